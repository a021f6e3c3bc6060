import type { Zoom } from './zoom.js';

/** One 8-bit or float plane, row stride == width. */
export interface Raster {
  readonly data: Uint8Array | Float32Array;
  readonly offset: number;
  readonly width: number;
  readonly height: number;
}

/**
 * What a tap outside the raster reads: 'clamp' repeats the edge (a video frame: its border pixels
 * are real picture); 'unknown' makes the output NaN (a memory: nothing was seen there).
 */
export type Edge = 'clamp' | 'unknown';

/** Per-axis tap indices and weights, reused between calls. */
export class ResampleScratch {
  xIdx = new Int32Array(0);
  xWt = new Float32Array(0);
  xRun = new Int32Array(0);
  yIdx = new Int32Array(0);
  yWt = new Float32Array(0);
  row = new Float32Array(0);
  private cols = new Int32Array(0);
  private rows = new Int32Array(0);

  /** Room for a nearest-pixel index per output column (callers' own use, beside the taps). */
  nearestCols(w: number): Int32Array {
    if (this.cols.length < w) this.cols = new Int32Array(w);
    return this.cols;
  }

  nearestRows(h: number): Int32Array {
    if (this.rows.length < h) this.rows = new Int32Array(h);
    return this.rows;
  }

  ensure(w: number, h: number, rowLength: number): void {
    if (this.xIdx.length < 4 * w) {
      this.xIdx = new Int32Array(4 * w);
      this.xWt = new Float32Array(4 * w);
      this.xRun = new Int32Array(w);
    }
    if (this.yIdx.length < 4 * h) {
      this.yIdx = new Int32Array(4 * h);
      this.yWt = new Float32Array(4 * h);
    }
    if (this.row.length < rowLength) this.row = new Float32Array(rowLength);
  }
}

/**
 * Catmull-Rom taps along one axis for outputs `start .. start + count - 1` at source positions
 * `s * i + t`. An exact integer position gets one tap of weight 1 (repeated four times, so that
 * an unknown neighbour, NaN, cannot leak in through a zero weight). Returns whether every output
 * was an exact integer position with s == 1 (a plain copy). An output that cannot be sampled
 * (edge 'unknown') gets index -1.
 */
function axisTaps(count: number, start: number, s: number, t: number, length: number, edge: Edge, idx: Int32Array, wt: Float32Array): boolean {
  let copy = s === 1 && Number.isInteger(t);
  const last = length - 1;
  for (let i = 0; i < count; i++) {
    const p = s * (start + i) + t;
    const k = Math.floor(p);
    const f = p - k;
    const o = 4 * i;
    if (f === 0) {
      if (k < 0 || k > last) {
        if (edge === 'unknown') {
          idx[o] = -1;
          continue;
        }
      }
      const c = k < 0 ? 0 : k > last ? last : k;
      idx[o] = idx[o + 1] = idx[o + 2] = idx[o + 3] = c;
      wt[o] = 0;
      wt[o + 1] = 1;
      wt[o + 2] = 0;
      wt[o + 3] = 0;
      continue;
    }
    copy = false;
    if (edge === 'unknown' && (k - 1 < 0 || k + 2 > last)) {
      idx[o] = -1;
      continue;
    }
    const f2 = f * f;
    const f3 = f2 * f;
    wt[o] = 0.5 * (-f3 + 2 * f2 - f);
    wt[o + 1] = 0.5 * (3 * f3 - 5 * f2 + 2);
    wt[o + 2] = 0.5 * (-3 * f3 + 4 * f2 + f);
    wt[o + 3] = 0.5 * (f3 - f2);
    for (let a = 0; a < 4; a++) {
      const c = k - 1 + a;
      idx[o + a] = c < 0 ? 0 : c > last ? last : c;
    }
  }
  return copy;
}

/**
 * Samples `src` at `map(x, y)` for the output pixels x in [x0, x0 + w), y in [y0, y0 + h) and
 * writes them row-major into `out` (Catmull-Rom bicubic; NaN where edge 'unknown' applies or a
 * tap is unknown). The map is axis-aligned, so this is a column pass then a row pass with weights
 * computed once per row and per column: about 8 multiply-adds per output pixel.
 */
export function resample(src: Raster, map: Zoom, x0: number, y0: number, w: number, h: number, edge: Edge, out: Float32Array, scratch: ResampleScratch): void {
  const sampler = prepare(src, map, x0, y0, w, h, edge, scratch);
  for (let j = 0; j < h; j++) sampler.row(j, 0, w, out, j * w);
}

/** Output rows of one prepared resampling; a row can be computed over part of its width only. */
export interface RowSampler {
  /** Writes outputs [i0, i1) of row j to out[at + i0 .. at + i1). */
  row(j: number, i0: number, i1: number, out: Float32Array, at: number): void;
}

/**
 * Computes the taps of a resampling (see `resample`) once, for rows computed one by one. A class
 * rather than a closure: a closure made afresh per call was deoptimised and recompiled ~50 times
 * in 300 frames of the live filter (each new one met branches its optimised code had no feedback
 * for), and ran unoptimised meanwhile, boxing every float it computed (400 MB of garbage).
 */
export function prepare(src: Raster, map: Zoom, x0: number, y0: number, w: number, h: number, edge: Edge, scratch: ResampleScratch): RowSampler {
  return new PreparedSampler(src, map, x0, y0, w, h, edge, scratch);
}

class PreparedSampler implements RowSampler {
  private readonly data: Uint8Array | Float32Array;
  private readonly offset: number;
  private readonly sw: number;
  private readonly xCopy: boolean;
  private readonly scratch: ResampleScratch;

  constructor(src: Raster, map: Zoom, x0: number, y0: number, w: number, h: number, edge: Edge, scratch: ResampleScratch) {
    const { data, offset, width: sw, height: sh } = src;
    this.data = data;
    this.offset = offset;
    this.sw = sw;
    this.scratch = scratch;
    scratch.ensure(w, h, sw);
    const { xIdx, xWt, yIdx, yWt, xRun } = scratch;
    this.xCopy = axisTaps(w, x0, map.s, map.tx, sw, edge, xIdx, xWt);
    axisTaps(h, y0, map.s, map.ty, sh, edge, yIdx, yWt);
    // Runs of columns whose four taps are consecutive source columns, one further right per column:
    // the usual camera step (a zoom within a fraction of a percent of 1) gives runs of hundreds of
    // columns, sampled with the taps counted rather than loaded (xRun[i]: end of the run at i; i
    // itself when the column is not in one).
    for (let i = w - 1; i >= 0; i--) {
      const o = 4 * i;
      const plain = xIdx[o]! >= 0 && xIdx[o + 3]! - xIdx[o]! === 3;
      xRun[i] = !plain ? i : i + 1 < w && xRun[i + 1]! > i + 1 && xIdx[o + 4]! === xIdx[o]! + 1 ? xRun[i + 1]! : i + 1;
    }
  }

  row(j: number, i0: number, i1: number, out: Float32Array, at: number): void {
    const { data, offset, sw, xCopy } = this;
    const { xIdx, xWt, yIdx, yWt, xRun, row } = this.scratch;
    const b = 4 * j;
    if (i1 <= i0) return;
    // The source columns these outputs read: taps never go left as the output goes right, so the
    // first and last sampled columns bound them (give or take the two a column's taps span).
    let first = i0, last = i1 - 1;
    while (first <= last && xIdx[4 * first]! < 0) first++;
    while (last >= first && xIdx[4 * last]! < 0) last--;
    if (yIdx[b]! < 0 || first > last) {
      out.fill(Number.NaN, at + i0, at + i1);
      return;
    }
    const cMin = Math.max(0, xIdx[4 * first]! - 2);
    const cMax = Math.min(sw - 1, xIdx[4 * last + 3]! + 2);
    const r0 = offset + yIdx[b]! * sw;
    if (yIdx[b] === yIdx[b + 3]) {
      // One source row (an exact position, or all taps clamped onto the same edge row).
      for (let c = cMin; c <= cMax; c++) row[c] = data[r0 + c]!;
    } else {
      const r1 = offset + yIdx[b + 1]! * sw, r2 = offset + yIdx[b + 2]! * sw, r3 = offset + yIdx[b + 3]! * sw;
      const w0 = yWt[b]!, w1 = yWt[b + 1]!, w2 = yWt[b + 2]!, w3 = yWt[b + 3]!;
      for (let c = cMin; c <= cMax; c++) row[c] = w0 * data[r0 + c]! + w1 * data[r1 + c]! + w2 * data[r2 + c]! + w3 * data[r3 + c]!;
    }
    if (xCopy) {
      for (let i = i0; i < i1; i++) out[at + i] = row[xIdx[4 * i]!]!;
      return;
    }
    for (let i = i0; i < i1; ) {
      const o = 4 * i;
      const end = xRun[i]! < i1 ? xRun[i]! : i1;
      if (end > i) {
        for (let c = xIdx[o]!, k = o; i < end; i++, c++, k += 4) out[at + i] = xWt[k]! * row[c]! + xWt[k + 1]! * row[c + 1]! + xWt[k + 2]! * row[c + 2]! + xWt[k + 3]! * row[c + 3]!;
        continue;
      }
      const c0 = xIdx[o]!;
      out[at + i] = c0 < 0 ? Number.NaN : xWt[o]! * row[c0]! + xWt[o + 1]! * row[xIdx[o + 1]!]! + xWt[o + 2]! * row[xIdx[o + 2]!]! + xWt[o + 3]! * row[xIdx[o + 3]!]!;
      i++;
    }
  }
}
