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
