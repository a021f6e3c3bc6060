import type { Plane } from './plane.js';
import { containsPixel, type PixelRect } from './rect.js';

/**
 * Light smoothing along the border line, so a single noisy or blocky border pixel does not set the
 * boundary value on its own. Kept short, and only the nearest row is used: the harmonic fill
 * already averages the border heavily, and on synthetic 1/f images wider kernels or averaging in
 * the second row out (biased by the gradient across the edge) measured slightly worse.
 */
const ALONG = [1, 2, 1] as const;
/** Weights of the rows at distance 1, 2, ... outside the rectangle. */
const DEPTH = [1] as const;
const HALF = (ALONG.length - 1) >> 1;

/** One side of the border ring, walked from corner to corner. */
export interface SideWalk {
  /** Ring pixel at index 0: the corner just outside the rectangle. */
  readonly x: number;
  readonly y: number;
  /** Unit step along the side. */
  readonly dx: number;
  readonly dy: number;
  /** Unit step away from the rectangle. */
  readonly nx: number;
  readonly ny: number;
  /** Ring length: the side's length plus both corners. */
  readonly count: number;
}

export function sideWalks(r: PixelRect): { top: SideWalk; bottom: SideWalk; left: SideWalk; right: SideWalk } {
  const w = r.x1 - r.x0 + 2;
  const h = r.y1 - r.y0 + 2;
  return {
    top: { x: r.x0 - 1, y: r.y0 - 1, dx: 1, dy: 0, nx: 0, ny: -1, count: w },
    bottom: { x: r.x0 - 1, y: r.y1, dx: 1, dy: 0, nx: 0, ny: 1, count: w },
    left: { x: r.x0 - 1, y: r.y0 - 1, dx: 0, dy: 1, nx: -1, ny: 0, count: h },
    right: { x: r.x1, y: r.y0 - 1, dx: 0, dy: 1, nx: 1, ny: 0, count: h },
  };
}

function pendingAt(pending: readonly PixelRect[], x: number, y: number): boolean {
  for (let i = 0; i < pending.length; i++) if (containsPixel(pending[i]!, x, y)) return true;
  return false;
}

/**
 * Fills `out[0..count)` with the smoothed border values of one side. Pixels outside the plane or
 * inside a `pending` rectangle (another region not filled yet, so still showing its logo) are
 * skipped; positions with no usable pixel at all are bridged linearly from their neighbours.
 * Returns false when the side has no usable pixel: the rectangle touches the frame edge there, or
 * the whole side lies under other pending regions.
 */
export function sampleSide(plane: Plane, side: SideWalk, pending: readonly PixelRect[], out: Float32Array): boolean {
  const { data, offset, width, height } = plane;
  const ringX = side.x;
  const ringY = side.y;
  const checkPending = pending.length > 0;
  let found = false;
  // -1 marks a pixel that cannot serve as border.
  const pixel = (i: number, d: number): number => {
    const x = ringX + i * side.dx + d * side.nx;
    const y = ringY + i * side.dy + d * side.ny;
    if (x < 0 || y < 0 || x >= width || y >= height || (checkPending && pendingAt(pending, x, y))) return -1;
    return data[offset + y * width + x]!;
  };
  for (let i = 0; i < side.count; i++) {
    let sum = 0;
    let weight = 0;
    for (let d = 0; d < DEPTH.length; d++) {
      for (let k = 0; k <= HALF; k++) {
        // Taps are taken in mirrored pairs only, so a kernel cut short by the frame edge or a
        // pending region stays centred and a ramp along the border is not pulled sideways.
        const a = pixel(i - k, d);
        const b = k === 0 ? a : pixel(i + k, d);
        if (a < 0 || b < 0) continue;
        const wgt = ALONG[HALF + k]! * DEPTH[d]!;
        sum += wgt * (k === 0 ? a : a + b);
        weight += k === 0 ? wgt : 2 * wgt;
      }
    }
    out[i] = weight > 0 ? sum / weight : Number.NaN;
    if (weight > 0) found = true;
  }
  if (found) bridgeGaps(out, side.count);
  return found;
}

/** Replaces NaN runs by linear interpolation between their valid ends (constant past the last one). */
function bridgeGaps(v: Float32Array, n: number): void {
  let prev = -1;
  for (let i = 0; i <= n; i++) {
    if (i < n && Number.isNaN(v[i]!)) continue;
    if (i - prev > 1) {
      const a = prev >= 0 ? v[prev]! : v[i]!;
      const b = i < n ? v[i]! : a;
      for (let j = prev + 1; j < i; j++) v[j] = prev < 0 ? b : a + ((b - a) * (j - prev)) / (i - prev);
    }
    prev = i;
  }
}
