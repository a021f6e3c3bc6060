import { sampleSide, sideWalks } from './border.js';
import { gridSize, solveHarmonic, type Grid, type Walls } from './harmonic.js';
import type { Plane } from './plane.js';
import type { PixelRect } from './rect.js';
import type { FillScratch } from './scratch.js';

/**
 * Replaces the pixels of `r` in place with a harmonic interpolation of the pixels around it.
 *
 * `pending` lists rectangles that still hold unremoved content (regions filled after this one):
 * their pixels are not used as border, so overlapping or touching logos do not bleed into each
 * other. Returns false, leaving the plane untouched, when there is no border to work from (the
 * rectangle covers the plane, or every side is outside it or pending).
 *
 * There is no feathered blend at the edge: the solution takes the border values themselves on the
 * ring, so there is no step to hide. Feathering inward would mix logo pixels back in; feathering
 * outward would alter clean pixels; both measured worse.
 */
export function fillRect(plane: Plane, r: PixelRect, pending: readonly PixelRect[], scratch: FillScratch): boolean {
  const w = r.x1 - r.x0;
  const h = r.y1 - r.y0;
  if (w <= 0 || h <= 0) return false;
  scratch.ensure(w, h);
  const walks = sideWalks(r);
  const walls: Walls = {
    top: sampleSide(plane, walks.top, pending, scratch.top),
    bottom: sampleSide(plane, walks.bottom, pending, scratch.bottom),
    left: sampleSide(plane, walks.left, pending, scratch.left),
    right: sampleSide(plane, walks.right, pending, scratch.right),
  };
  if (!walls.top && !walls.bottom && !walls.left && !walls.right) return false;

  const grid: Grid = { nx: w, ny: h, sx: 1, sy: 1, v: scratch.grid(0, gridSize(w, h)) };
  writeRing(grid, walls, scratch);
  solveHarmonic(grid, walls, (level, size) => scratch.grid(level, size));

  const { data, offset, width: stride } = plane;
  const s = w + 2;
  for (let j = 0; j < h; j++) {
    let o = offset + (r.y0 + j) * stride + r.x0;
    for (let k = (j + 1) * s + 1, end = k + w; k < end; k++, o++) {
      const value = grid.v[k]!;
      // Uint8Array stores modulo 256, so rounding and clamping are ours to do.
      data[o] = value <= 0 ? 0 : value >= 255 ? 255 : (value + 0.5) | 0;
    }
  }
  return true;
}

/** Copies the sampled sides into the grid's ring; where two sides share a corner, their mean. */
function writeRing(g: Grid, walls: Walls, scratch: FillScratch): void {
  const s = g.nx + 2;
  const bottomRow = (g.ny + 1) * s;
  const v = g.v;
  if (walls.top) v.set(scratch.top.subarray(0, s), 0);
  if (walls.bottom) v.set(scratch.bottom.subarray(0, s), bottomRow);
  for (let j = 0; j < g.ny + 2; j++) {
    const corner = j === 0 || j === g.ny + 1;
    const row = j * s;
    if (walls.left) v[row] = corner && (j === 0 ? walls.top : walls.bottom) ? (v[row]! + scratch.left[j]!) / 2 : scratch.left[j]!;
    if (walls.right) v[row + s - 1] = corner && (j === 0 ? walls.top : walls.bottom) ? (v[row + s - 1]! + scratch.right[j]!) / 2 : scratch.right[j]!;
  }
}
