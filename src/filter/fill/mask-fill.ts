import { PushPull } from '../temporal/push-pull.js';
import type { Plane } from './plane.js';
import type { PixelRect } from './rect.js';

/** Over-relaxation of the smoothing sweeps. */
const OMEGA = 1.6;

/** Buffers reused between fills (a live stream fills the same few regions 30 times a second). */
export class MaskFillScratch {
  private values = new Float32Array(0);
  private weights = new Float32Array(0);
  private unknown = new Int32Array(0);
  private edges = new Uint8Array(0);
  readonly pushPull = new PushPull();

  buffers(size: number): { v: Float32Array; a: Float32Array; idx: Int32Array; edge: Uint8Array } {
    if (this.values.length < size) {
      this.values = new Float32Array(size);
      this.weights = new Float32Array(size);
      this.unknown = new Int32Array(size);
      this.edges = new Uint8Array(size);
    }
    return { v: this.values, a: this.weights, idx: this.unknown, edge: this.edges };
  }
}

/**
 * Fills the pixels of `r` marked in `domain` (r's width x height, row-major, 1 = fill) from every
 * other pixel of `r` and the one-pixel ring around it, and leaves the rest of `r` as it is. A
 * caption's strokes or a thin logo's lines are filled from the scene right beside them, between
 * the letters and inside the loops, not from a rectangle's border tens of pixels away.
 *
 * The fill is harmonic on the domain (each filled pixel the mean of its four neighbours), started
 * from a pull-push interpolation of the known pixels, which already carries the far field into
 * a wide domain, and smoothed by `sweeps` over-relaxed Gauss-Seidel sweeps, which settle the thin
 * parts exactly. Returns false (plane untouched) when nothing around the domain is known.
 */
export function fillMask(plane: Plane, r: PixelRect, domain: Uint8Array, sweeps: number, scratch: MaskFillScratch): boolean {
  const { data, offset, width: pw, height: ph } = plane;
  const rw = r.x1 - r.x0;
  // Working window: the rectangle and a ring of one pixel where the plane has one.
  const x0 = Math.max(0, r.x0 - 1), y0 = Math.max(0, r.y0 - 1);
  const x1 = Math.min(pw, r.x1 + 1), y1 = Math.min(ph, r.y1 + 1);
  const ww = x1 - x0, wh = y1 - y0;
  const { v, a, idx, edge } = scratch.buffers(ww * wh);
  let n = 0;
  let known = 0;
  for (let y = y0; y < y1; y++) {
    const row = offset + y * pw;
    const base = (y - y0) * ww;
    // Row by row with bulk copies: a per-pixel test of the ring made this loop cost more than the sweeps.
    v.set(data.subarray(row + x0, row + x1), base);
    a.fill(1, base, base + ww);
    if (y < r.y0 || y >= r.y1) {
      known += ww;
      continue;
    }
    const rowEdge = y === y0 || y === y1 - 1 ? 1 : 0;
    const d = (y - r.y0) * rw - r.x0;
    let filled = 0;
    for (let x = r.x0; x < r.x1; x++) {
      if (domain[d + x] !== 1) continue;
      const k = base + x - x0;
      a[k] = 0;
      edge[n] = rowEdge | (x === x0 || x === x1 - 1 ? 1 : 0);
      idx[n++] = k;
      filled++;
    }
    known += ww - filled;
  }
  if (n === 0) return true;
  if (known === 0) return false;
  scratch.pushPull.fill(v, a, ww, wh);
  if (ww < 2 || wh < 2) sweeps = 0;
  // Sweeps over the domain only. A domain pixel on the window's edge (the frame's edge) mirrors
  // its missing neighbour: no flux through the frame's border.
  for (let s = 0; s < sweeps; s++) {
    for (let i = 0; i < n; i++) {
      const k = idx[i]!;
      if (edge[i] === 0) {
        v[k] = v[k]! + OMEGA * (0.25 * (v[k - 1]! + v[k + 1]! + v[k - ww]! + v[k + ww]!) - v[k]!);
        continue;
      }
      const y = (k / ww) | 0, x = k - y * ww;
      const left = x > 0 ? v[k - 1]! : v[k + 1]!;
      const right = x < ww - 1 ? v[k + 1]! : v[k - 1]!;
      const up = y > 0 ? v[k - ww]! : v[k + ww]!;
      const down = y < wh - 1 ? v[k + ww]! : v[k - ww]!;
      v[k] = v[k]! + OMEGA * (0.25 * (left + right + up + down) - v[k]!);
    }
  }
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    const y = (k / ww) | 0, x = k - y * ww;
    const value = v[k]!;
    data[offset + (y + y0) * pw + x + x0] = value <= 0 ? 0 : value >= 255 ? 255 : (value + 0.5) | 0;
  }
  return true;
}
