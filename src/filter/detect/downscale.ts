import { yuv420pLayout } from '../../core/frame.js';

/**
 * Box-averaged luma at 1/`scale` resolution. Detection statistics only need the coarse shape of an
 * overlay, and averaging (rather than decimating) keeps sensor noise and aliasing out of the
 * gradients they are built on.
 */
export function downscaleLuma(y: Uint8Array, width: number, height: number, scale: number, out: Float32Array): void {
  const w = Math.floor(width / scale);
  const h = Math.floor(height / scale);
  if (out.length < w * h) throw new RangeError(`downscale target holds ${out.length}, needs ${w * h}`);
  if (scale === 1) {
    for (let i = 0; i < w * h; i++) out[i] = y[i]!;
    return;
  }
  const norm = 1 / (scale * scale);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      let s = 0;
      for (let dy = 0; dy < scale; dy++) {
        const row = (j * scale + dy) * width + i * scale;
        for (let dx = 0; dx < scale; dx++) s += y[row + dx]!;
      }
      out[j * w + i] = s * norm;
    }
  }
}

/** Working scale for a frame width: the detector never looks at more than ~640 columns. */
export function workingScale(width: number, maxColumns = 640): number {
  return Math.max(1, Math.ceil(width / maxColumns));
}

/**
 * Box-averaged U and V at the working resolution of `downscaleLuma` with the same `scale`: each
 * working pixel averages the chroma samples under its scale x scale luma block (4:2:0, so an odd
 * scale takes the samples the block overlaps).
 */
export function downscaleChroma(frame: Uint8Array, width: number, height: number, scale: number, outU: Float32Array, outV: Float32Array): void {
  const w = Math.floor(width / scale);
  const h = Math.floor(height / scale);
  if (outU.length < w * h || outV.length < w * h) throw new RangeError(`chroma downscale target holds ${Math.min(outU.length, outV.length)}, needs ${w * h}`);
  const { cWidth: cw, uOffset, vOffset } = yuv420pLayout(width, height);
  for (let j = 0; j < h; j++) {
    const cy0 = (j * scale) >> 1, cy1 = (j * scale + scale - 1) >> 1;
    for (let i = 0; i < w; i++) {
      const cx0 = (i * scale) >> 1, cx1 = (i * scale + scale - 1) >> 1;
      let u = 0, v = 0;
      for (let cy = cy0; cy <= cy1; cy++) {
        for (let cx = cx0; cx <= cx1; cx++) {
          u += frame[uOffset + cy * cw + cx]!;
          v += frame[vOffset + cy * cw + cx]!;
        }
      }
      const n = (cy1 - cy0 + 1) * (cx1 - cx0 + 1);
      outU[j * w + i] = u / n;
      outV[j * w + i] = v / n;
    }
  }
}
