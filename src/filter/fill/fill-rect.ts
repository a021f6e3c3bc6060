import { sampleSide, sideWalks } from './border.js';
import { grid as makeGrid, gridSize, solveHarmonic, type Grid, type Walls } from './harmonic.js';
import { blendAxisInterpolation } from './axis.js';
import { copyRectIn, copyRectOut, patchSize } from './patch.js';
import type { Plane } from './plane.js';
import type { PixelRect } from './rect.js';
import type { FillScratch } from './scratch.js';

/**
 * Replaces the pixels of `r` in place with a harmonic interpolation of the pixels around it,
 * blended with delogo's axis interpolation by `axisWeight` (0..1; see chooseAxisWeight).
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
export function fillRect(plane: Plane, r: PixelRect, pending: readonly PixelRect[], scratch: FillScratch, axisWeight = 0): boolean {
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

  const grid = makeGrid(w, h, 1, 1, scratch.grid(0, gridSize(w, h)));
  writeRing(grid, walls, scratch);
  // The axis interpolation needs all four sides; at a frame edge the harmonic fill stands alone.
  const axis = axisWeight > 0 && walls.top && walls.bottom && walls.left && walls.right;
  const ring = axis ? scratch.ringCopy(grid.v, (w + 2) * (h + 2)) : undefined;
  solveHarmonic(grid, walls, (level, size) => scratch.grid(level, size));
  if (ring) blendAxisInterpolation(grid, ring, axisWeight);

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

/** Axis-interpolation weights tried by chooseAxisWeight, from pure harmonic to pure axis. */
const AXIS_WEIGHTS = [0, 0.25, 0.5, 0.75, 1] as const;
/** Width of the known band, around the hole, on which the candidates are scored. */
const HOLDOUT_PX = 8;

/**
 * Picks the axis-interpolation weight that best predicts known pixels: the rectangle is grown by a
 * band of real picture, each candidate fills the grown rectangle from further out, and the one
 * with the least squared error on that band wins. The plane is left as it was.
 */
export function chooseAxisWeight(plane: Plane, r: PixelRect, pending: readonly PixelRect[], scratch: FillScratch): number {
  const grown: PixelRect = {
    x0: Math.max(0, r.x0 - HOLDOUT_PX), y0: Math.max(0, r.y0 - HOLDOUT_PX),
    x1: Math.min(plane.width, r.x1 + HOLDOUT_PX), y1: Math.min(plane.height, r.y1 + HOLDOUT_PX),
  };
  const saved = copyRectOut(plane, grown, scratch.holdout(patchSize(grown)));
  const gw = grown.x1 - grown.x0;
  let best: number = AXIS_WEIGHTS[0];
  let bestError = Infinity;
  for (const weight of AXIS_WEIGHTS) {
    if (!fillRect(plane, grown, pending, scratch, weight)) break;
    let error = 0;
    for (let y = grown.y0; y < grown.y1; y++) {
      const inRows = y >= r.y0 && y < r.y1;
      const row = plane.offset + y * plane.width;
      const savedRow = (y - grown.y0) * gw - grown.x0;
      for (let x = grown.x0; x < grown.x1; x++) {
        if (inRows && x >= r.x0 && x < r.x1) continue; // the hole itself holds the logo, not truth
        const d = plane.data[row + x]! - saved[savedRow + x]!;
        error += d * d;
      }
    }
    copyRectIn(plane, grown, saved);
    if (error < bestError) {
      bestError = error;
      best = weight;
    }
  }
  return best;
}

