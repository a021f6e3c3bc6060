import type { Rect } from '../../core/frame.js';

/**
 * Where the model looks: fixed-size crops (the model's input shape) cut around a hole, scaled so
 * the hole and some context fit its height, and tiled along wide holes (subtitle bands). The
 * sampling convention is training/data.py's exactly: model pixel (j, i) reads frame position
 * (x0 + (j + 0.5) / scale, y0 + (i + 0.5) / scale) by bilinear interpolation at pixel centres,
 * luma and half-size chroma at the same normalised position, borders clamped.
 */
export interface Tile {
  /** Top-left of the crop in frame pixels (fractional). */
  readonly x0: number;
  readonly y0: number;
  /** Model pixels per frame pixel (<= 1 shrinks). */
  readonly scale: number;
}

export interface CropShape {
  readonly width: number;
  readonly height: number;
}

/** Context kept around a hole, as a fraction of its height and at least this many pixels. */
const CONTEXT_FRAC = 0.4;
const CONTEXT_MIN_PX = 8;
/** Model pixels shared by neighbouring tiles, so their seams can be blended. */
const TILE_OVERLAP = 16;
/** Training drew scales from 0.4 to 1: the runtime stays inside that range where the frame allows. */
export const MIN_SCALE = 0.4;

/** Tiles covering `hole` (frame pixels) with context, inside a frame of `frameW` x `frameH`. */
export function planTiles(hole: Rect, frameW: number, frameH: number, shape: CropShape): Tile[] {
  const ctx = Math.max(CONTEXT_MIN_PX, Math.round(hole.height * CONTEXT_FRAC));
  const boxH = hole.height + 2 * ctx;
  const boxW = hole.width + 2 * ctx;
  // Shrink until the box's height fits (its width is tiled), never below the trained range (the
  // context is cut instead); a frame smaller than one crop is magnified so the crop stays inside it.
  const fit = Math.min(1, Math.max(MIN_SCALE, shape.height / boxH));
  const scale = Math.max(fit, shape.width / frameW, shape.height / frameH);
  const tileW = shape.width / scale;
  const tileH = shape.height / scale;
  const cx = hole.x + hole.width / 2;
  const cy = hole.y + hole.height / 2;
  const clampX = (x: number) => Math.min(Math.max(0, x), frameW - tileW);
  const y0 = Math.min(Math.max(0, cy - tileH / 2), frameH - tileH);
  const span = Math.min(boxW, frameW);
  if (span <= tileW) return [{ x0: clampX(cx - tileW / 2), y0, scale }];
  const step = (shape.width - TILE_OVERLAP) / scale;
  const n = Math.ceil((span - tileW) / step) + 1;
  const start = clampX(cx - span / 2);
  const stride = n > 1 ? (Math.min(span, frameW - start) - tileW) / (n - 1) : 0;
  return Array.from({ length: n }, (_, k) => ({ x0: clampX(start + k * stride), y0, scale }));
}

/** Bilinear sample of a plane at continuous position (u, v) in that plane's pixel units (centres at +0.5). */
export function bilinear(plane: Uint8Array | Float32Array, offset: number, width: number, height: number, u: number, v: number): number {
  let x = u - 0.5;
  let y = v - 0.5;
  x = x < 0 ? 0 : x > width - 1 ? width - 1 : x;
  y = y < 0 ? 0 : y > height - 1 ? height - 1 : y;
  const xi = Math.min(Math.floor(x), width - 2 < 0 ? 0 : width - 2);
  const yi = Math.min(Math.floor(y), height - 2 < 0 ? 0 : height - 2);
  const fx = x - xi;
  const fy = y - yi;
  const x1 = Math.min(xi + 1, width - 1);
  const y1 = Math.min(yi + 1, height - 1);
  const a = plane[offset + yi * width + xi]!;
  const b = plane[offset + yi * width + x1]!;
  const c = plane[offset + y1 * width + xi]!;
  const d = plane[offset + y1 * width + x1]!;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

/** Bilinear taps along one axis for every model pixel: the same clamping and arithmetic as bilinear(). */
interface Taps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly f: Float64Array;
}

function axisTaps(start: number, scale: number, count: number, size: number, origin: number, sub: 1 | 2): Taps {
  const i0 = new Int32Array(count), i1 = new Int32Array(count), f = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    let x = (start + (j + 0.5) / scale) / sub - origin - 0.5;
    x = x < 0 ? 0 : x > size - 1 ? size - 1 : x;
    const xi = Math.min(Math.floor(x), size - 2 < 0 ? 0 : size - 2);
    i0[j] = xi;
    i1[j] = Math.min(xi + 1, size - 1);
    f[j] = x - xi;
  }
  return { i0, i1, f };
}

/** One plane's crop through precomputed taps: what bilinear() gives at every model pixel, without per-pixel clamping. */
function samplePlane(plane: Uint8Array, offset: number, width: number, tx: Taps, ty: Taps, out: Float32Array, at: number, threshold?: number): void {
  const w = tx.i0.length;
  for (let i = 0; i < ty.i0.length; i++) {
    const r0 = offset + ty.i0[i]! * width, r1 = offset + ty.i1[i]! * width, fy = ty.f[i]!;
    const row = at + i * w;
    for (let j = 0; j < w; j++) {
      const x0 = tx.i0[j]!, x1 = tx.i1[j]!, fx = tx.f[j]!;
      const v = (plane[r0 + x0]! * (1 - fx) + plane[r0 + x1]! * fx) * (1 - fy) + (plane[r1 + x0]! * (1 - fx) + plane[r1 + x1]! * fx) * fy;
      out[row + j] = threshold === undefined ? v : v > threshold ? 1 : 0;
    }
  }
}

/**
 * Writes a yuv420p frame's crop into `out` at `at` as 3 planes of shape.height x shape.width
 * (Y, U, V byte values as float, chroma upsampled by the same bilinear sampling).
 */
export function sampleCrop(yuv: Uint8Array, width: number, height: number, tile: Tile, shape: CropShape, out: Float32Array, at: number): void {
  const cw = width >> 1, ch = height >> 1;
  const n = shape.width * shape.height;
  const lx = axisTaps(tile.x0, tile.scale, shape.width, width, 0, 1), ly = axisTaps(tile.y0, tile.scale, shape.height, height, 0, 1);
  const cx = axisTaps(tile.x0, tile.scale, shape.width, cw, 0, 2), cy = axisTaps(tile.y0, tile.scale, shape.height, ch, 0, 2);
  samplePlane(yuv, 0, width, lx, ly, out, at);
  samplePlane(yuv, width * height, cw, cx, cy, out, at + n);
  samplePlane(yuv, width * height + cw * ch, cw, cx, cy, out, at + 2 * n);
}

/** A frame-aligned box of a larger picture: where a local raster sits in the frame. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Writes a hole mask's crop: 1 where any of the bilinear taps touches a hole pixel (training
 * thresholds the sampled mask at any coverage). `mask` is a 0/1 raster over `box`, which must hold
 * every tap (tileBox) so that clamping happens only where the box meets the frame's edge.
 */
export function sampleMask(mask: Uint8Array, box: Box, tile: Tile, shape: CropShape, out: Float32Array, at: number): void {
  const tx = axisTaps(tile.x0, tile.scale, shape.width, box.width, box.x, 1);
  const ty = axisTaps(tile.y0, tile.scale, shape.height, box.height, box.y, 1);
  samplePlane(mask, 0, box.width, tx, ty, out, at, 0.001);
}

/** The frame pixels a tile's bilinear taps can reach, with a margin, clipped to the frame. */
export function tileBox(tile: Tile, shape: CropShape, frameW: number, frameH: number): Box {
  const x = Math.max(0, Math.floor(tile.x0) - 2);
  const y = Math.max(0, Math.floor(tile.y0) - 2);
  const x1 = Math.min(frameW, Math.ceil(tile.x0 + shape.width / tile.scale) + 2);
  const y1 = Math.min(frameH, Math.ceil(tile.y0 + shape.height / tile.scale) + 2);
  return { x, y, width: x1 - x, height: y1 - y };
}
