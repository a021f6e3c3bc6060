import { yuv420pLayout } from '../core/frame.js';

/**
 * RGBA (as canvases give it) to yuv420p, BT.601 limited range: the matrix ffmpeg assumes for
 * untagged SD material, so clips rendered here and clips decoded by ffmpeg look alike.
 */

function lumaOf(r: number, g: number, b: number): number {
  return 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
}
function cbOf(r: number, g: number, b: number): number {
  return 128 + (-37.797 * r - 74.203 * g + 112 * b) / 255;
}
function crOf(r: number, g: number, b: number): number {
  return 128 + (112 * r - 93.786 * g - 18.214 * b) / 255;
}

const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Calls `visit` with the luma index of each existing pixel under chroma sample (cx, cy). */
function eachLumaOf(cx: number, cy: number, width: number, height: number, visit: (i: number) => void): void {
  for (let y = 2 * cy; y < Math.min(height, 2 * cy + 2); y++) {
    for (let x = 2 * cx; x < Math.min(width, 2 * cx + 2); x++) visit(y * width + x);
  }
}

/** Opaque picture: every pixel counts equally towards its chroma sample. */
export function rgbaToYuv420p(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Buffer {
  return weightedRgbaToYuv(rgba, width, height, false).yuv;
}

export interface OverlayYuv {
  /** The overlay's own colour (meaningless where alpha is 0; written as 0 there). */
  readonly yuv: Buffer;
  /** Luma-resolution alpha, 0..255. */
  readonly alpha: Uint8Array;
}

/**
 * Overlay picture: colour plus alpha. A chroma sample's colour is the alpha-weighted mean of its
 * 2x2 luma pixels, so a thin white stroke on a transparent background keeps its white instead of
 * being averaged with the undefined colour of transparent neighbours.
 */
export function overlayToYuv420p(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): OverlayYuv {
  return weightedRgbaToYuv(rgba, width, height, true);
}

function weightedRgbaToYuv(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, useAlpha: boolean): OverlayYuv {
  const L = yuv420pLayout(width, height);
  const yuv = Buffer.alloc(L.frameSize);
  const alpha = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < L.ySize; i++, p += 4) {
    const a = useAlpha ? rgba[p + 3]! : 255;
    alpha[i] = a;
    yuv[i] = a === 0 ? 0 : clampByte(lumaOf(rgba[p]!, rgba[p + 1]!, rgba[p + 2]!));
  }
  for (let cy = 0; cy < L.cHeight; cy++) {
    for (let cx = 0; cx < L.cWidth; cx++) {
      let r = 0, g = 0, b = 0, w = 0;
      eachLumaOf(cx, cy, width, height, (i) => {
        const p = i * 4;
        const a = useAlpha ? rgba[p + 3]! : 255;
        r += a * rgba[p]!;
        g += a * rgba[p + 1]!;
        b += a * rgba[p + 2]!;
        w += a;
      });
      const ci = cy * L.cWidth + cx;
      if (w === 0) continue;
      yuv[L.uOffset + ci] = clampByte(cbOf(r / w, g / w, b / w));
      yuv[L.vOffset + ci] = clampByte(crOf(r / w, g / w, b / w));
    }
  }
  return { yuv, alpha };
}

/**
 * Chroma-resolution alpha: the rounded mean of the 2x2 luma alphas (edge samples average the
 * pixels that exist). Part of the ground-truth format: the composite uses exactly this.
 */
export function chromaAlpha(alpha: Uint8Array, width: number, height: number): Uint8Array {
  const L = yuv420pLayout(width, height);
  const out = new Uint8Array(L.cSize);
  for (let cy = 0; cy < L.cHeight; cy++) {
    for (let cx = 0; cx < L.cWidth; cx++) {
      let s = 0, n = 0;
      eachLumaOf(cx, cy, width, height, (i) => {
        s += alpha[i]!;
        n++;
      });
      out[cy * L.cWidth + cx] = Math.round(s / n);
    }
  }
  return out;
}

/** The blend every clip obeys: out = round((a*overlay + (255-a)*clean) / 255), per plane. */
export function blendByte(a: number, overlay: number, clean: number): number {
  return Math.round((a * overlay + (255 - a) * clean) / 255);
}

export function compositeYuv420p(clean: Buffer, overlay: OverlayYuv, width: number, height: number): Buffer {
  const L = yuv420pLayout(width, height);
  const out = Buffer.allocUnsafe(L.frameSize);
  const a = overlay.alpha;
  for (let i = 0; i < L.ySize; i++) out[i] = blendByte(a[i]!, overlay.yuv[i]!, clean[i]!);
  const ca = chromaAlpha(a, width, height);
  for (let i = 0; i < L.cSize; i++) {
    out[L.uOffset + i] = blendByte(ca[i]!, overlay.yuv[L.uOffset + i]!, clean[L.uOffset + i]!);
    out[L.vOffset + i] = blendByte(ca[i]!, overlay.yuv[L.vOffset + i]!, clean[L.vOffset + i]!);
  }
  return out;
}
