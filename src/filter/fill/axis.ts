import type { Grid } from './harmonic.js';

/**
 * Blends, into a solved grid, the axis interpolation ffmpeg's delogo uses: each pixel from the
 * four border samples on its own row and column, weighted by the product of distances to the
 * other sides. It keeps lines that cross the hole straight (a horizon, a table edge) where the
 * harmonic solution, averaging the whole border, softens them; which of the two is closer to the
 * truth depends on the picture, so the caller chooses the weight.
 *
 * `ring` holds the grid's border ring as written before solving (same layout as grid.v).
 */
export function blendAxisInterpolation(grid: Grid, ring: Float32Array, weight: number): void {
  if (weight <= 0) return;
  const { nx: w, ny: h, v } = grid;
  const s = w + 2;
  for (let j = 1; j <= h; j++) {
    const left = ring[j * s]!;
    const right = ring[j * s + w + 1]!;
    const up = j;
    const down = h + 1 - j;
    for (let i = 1; i <= w; i++) {
      const l = w + 1 - i; // distance to the right side weighs the left sample, and so on
      const wl = l * up * down;
      const wr = i * up * down;
      const wt = i * l * down;
      const wb = i * l * up;
      const axis = (left * wl + right * wr + ring[i]! * wt + ring[(h + 1) * s + i]! * wb) / (wl + wr + wt + wb);
      const k = j * s + i;
      v[k] = (1 - weight) * v[k]! + weight * axis;
    }
  }
}
