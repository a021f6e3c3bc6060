import type { PixelRect } from '../fill/rect.js';
import { buildPyramid, type Level } from './pyramid.js';
import type { Raster } from './resample.js';
import { IDENTITY_ZOOM, type Zoom } from './zoom.js';

/** How the camera moved between the previous frame seen and this one. */
export interface GlobalMotion {
  /** Maps this frame's luma coordinates onto the previous frame's. */
  readonly toPrevious: Zoom;
  /**
   * The estimate before steps under minShiftPx were taken as none: what a consumer that integrates
   * over seconds rather than minutes (the de-blend's motion references) uses to follow a slow pan.
   */
  readonly measured: Zoom;
  /** Luma brightness change: this frame ~ previous + bias (levels). */
  readonly bias: number;
  /** Fraction of the compared pixels the model explains (within `explainedLevels`), 0..1. */
  readonly confidence: number;
  /**
   * Median aligned difference over the picture's own contrast (mean absolute deviation of the
   * compared pixels): near 0 for the same scene, around 1 for two unrelated pictures.
   */
  readonly mismatch: number;
  /** A scene cut: the model explains too little of the picture for anything remembered to hold. */
  readonly cut: boolean;
  /** No previous frame to compare with (first frame, or the size changed). */
  readonly first: boolean;
}

export interface MotionOptions {
  /** Widest working resolution: frames are box-downscaled by a power of two to fit (720p: 640x360). */
  readonly maxWorkWidth: number;
  /** The pyramid is halved while a level stays at least this wide. */
  readonly minLevelWidth: number;
  /** A pixel is explained when its aligned difference is below this many levels (at working scale). */
  readonly explainedLevels: number;
  /** Below this confidence, or above this mismatch, the frame is a cut. */
  readonly cutBelow: number;
  readonly cutAbove: number;
  /**
   * Pixels compared per pyramid level at most (textured ones, evenly spread): beyond a few
   * thousand well-textured pixels precision hardly improves, and the cost would grow with the frame.
   */
  readonly maxSamples: number;
  /**
   * Motion whose largest displacement over the frame is below this (full-resolution pixels) is
   * taken as none: a static camera must stay exactly static, or the estimate's noise would be
   * integrated over minutes into a drift of remembered pixels.
   */
  readonly minShiftPx: number;
}

export const DEFAULT_MOTION_OPTIONS: MotionOptions = { maxWorkWidth: 640, minLevelWidth: 24, explainedLevels: 8, cutBelow: 0.15, cutAbove: 0.5, minShiftPx: 0.15, maxSamples: 4000 };

/** Gauss-Newton iterations per level, coarsest first; finer levels start close and need fewer. */
const COARSE_ITERATIONS = 8;
const FINE_ITERATIONS = 3;
/** An update below this (level pixels of displacement) ends a level's iterations; coarser levels need less. */
const CONVERGED_PX = 0.005;
const COARSE_CONVERGED_PX = 0.03;
/** Robust scale floor, levels: below it Tukey weights would reject plain noise. */
const MIN_SIGMA = 1;
/** Tukey's constant: 95 % efficiency on Gaussian residuals. */
const TUKEY = 4.685;
/** Largest per-frame zoom change believed (10 %): beyond, the solve has gone astray. */
const MAX_ZOOM_STEP = 0.1;
const HISTOGRAM_BINS = 256;
/**
 * The robust scale comes from a low quantile of |residual| (not the median): where half the texture
 * moves on its own (leaves in the wind, a hand), the median would set a scale at which the moving
 * half still counts and drags the camera along; the best-fitting third is the camera's.
 * SCALE_QUANTILE_GAUSS is that quantile of |N(0, 1)|, so Gaussian noise still gets its sigma.
 */
const SCALE_QUANTILE = 0.3;
const SCALE_QUANTILE_GAUSS = 0.385;
/**
 * Only textured pixels are compared (squared gradient above this, levels^2 per pixel): flat pixels
 * match under any motion, and on a mostly flat picture their zero residuals would set a robust
 * scale under which every informative pixel looks like an outlier.
 */
const TEXTURED = 16;
const DAMPING = 1.001;
/**
 * Pull toward the predicted motion (the previous frame's), per compared pixel, in levels^2 of
 * gradient energy: a picture with less texture than this (a flat wallpaper, a clear sky) cannot
 * say where it moved, and then the camera is taken to keep its pace instead of drifting on noise.
 * Textured pictures carry hundreds per pixel and are not held back.
 */
const MOTION_PRIOR = 0.1;
const HISTOGRAM_STEP = 0.25;

/**
 * Parameters in full-resolution units around the frame centre: x_prev = (1 + ds)(x - c) + c + t;
 * luma_cur = luma_prev + b. No exposure gain: fitted together with sub-pixel shifts it mostly
 * learns to undo the contrast that bilinear interpolation loses (a steady 1-2 % that would compound
 * frame after frame), while a real exposure change is close enough to an offset over a frame.
 */
class Params {
  // One class rather than object literals and spreads: those gave the parameters several hidden
  // classes, and iterate() was deoptimised on a "wrong map" dozens of times in 300 frames.
  constructor(
    public tx: number,
    public ty: number,
    public ds: number,
    public b: number,
  ) {}

  copy(): Params {
    return new Params(this.tx, this.ty, this.ds, this.b);
  }
}

const still = (): Params => new Params(0, 0, 0, 0);

/**
 * Global motion between consecutive frames: a zoom + shift plus a luma gain and offset, fitted
 * directly to the pixels (Gauss-Newton on a downscaled luma pyramid, coarse to fine, warm-started
 * with the previous frame's motion). Robust: hole pixels are left out (a fixed overlay would pull
 * the estimate toward "no motion"), and Tukey weights scaled by the best-fitting residuals reject what moves
 * on its own (a hand, a ticker). Sub-pixel: the fit is continuous, its precision a few hundredths
 * of a working pixel on textured pictures.
 */
export class GlobalMotionEstimator {
  private readonly opts: MotionOptions;
  private previous: Level[] = [];
  private spare: Level[] = [];
  private velocity: Params = still();
  private readonly histogram = new Uint32Array(HISTOGRAM_BINS);
  private readonly samples: Samples[] = [];

  constructor(opts: Partial<MotionOptions> = {}) {
    this.opts = { ...DEFAULT_MOTION_OPTIONS, ...opts };
  }

  reset(): void {
    this.spare = this.previous;
    this.previous = [];
    this.velocity = still();
  }

  /** Compares `luma` (this frame) with the last frame given; `holes` are full-resolution luma rectangles to ignore. */
  estimate(luma: Raster, holes: readonly PixelRect[]): GlobalMotion {
    let factor = 1;
    while (luma.width / factor > this.opts.maxWorkWidth) factor *= 2;
    const current = buildPyramid(luma, factor, this.opts.minLevelWidth, holes, this.spare);
    const prev = this.previous;
    this.spare = prev;
    this.previous = current;
    const sameSize = prev.length === current.length && prev[0]!.width === current[0]!.width && prev[0]!.height === current[0]!.height;
    if (!sameSize) {
      this.velocity = still();
      return { toPrevious: IDENTITY_ZOOM, measured: IDENTITY_ZOOM, bias: 0, confidence: 0, mismatch: 0, cut: false, first: true };
    }
    const centre = { x: (luma.width - 1) / 2, y: (luma.height - 1) / 2 };
    const predicted = new Params(this.velocity.tx, this.velocity.ty, this.velocity.ds, 0);
    const p = predicted.copy();
    let sigma = 10;
    let explained = 0;
    let median = 0;
    for (let k = current.length - 1; k >= 0; k--) {
      const iterations = k === current.length - 1 ? COARSE_ITERATIONS : FINE_ITERATIONS;
      const samples = pickSamples(current[k]!, this.opts.maxSamples, (this.samples[k] ??= emptySamples()));
      for (let it = 0; it < iterations; it++) {
        const step = this.iterate(current[k]!, prev[k]!, samples, centre, p, predicted, sigma);
        if (!step) break;
        sigma = step.sigma;
        explained = step.explained;
        median = step.median;
        if (step.moved < (k === 0 ? CONVERGED_PX : COARSE_CONVERGED_PX)) break;
      }
    }
    const valid = Number.isFinite(p.tx + p.ty + p.ds + p.b) && Math.abs(p.ds) < MAX_ZOOM_STEP;
    const confidence = valid ? explained : 0;
    const mismatch = median / Math.max(1, spread(current[0]!, this.samples[0]!));
    const cut = confidence < this.opts.cutBelow || mismatch > this.opts.cutAbove;
    if (!valid || cut) {
      this.velocity = still();
      return { toPrevious: IDENTITY_ZOOM, measured: IDENTITY_ZOOM, bias: 0, confidence, mismatch, cut, first: false };
    }
    // Params are a zoom about the centre and a shift; as a map, the zoom is about the origin.
    const asZoom = (): Zoom => ({ s: 1 + p.ds, tx: p.tx - p.ds * centre.x, ty: p.ty - p.ds * centre.y });
    const measured = asZoom();
    // Largest displacement the zoom + shift makes anywhere in the frame.
    const shift = Math.max(Math.abs(p.tx), Math.abs(p.ty)) + Math.abs(p.ds) * Math.max(centre.x, centre.y);
    if (shift < this.opts.minShiftPx) {
      p.tx = 0;
      p.ty = 0;
      p.ds = 0;
    }
    this.velocity = p.copy();
    return {
      toPrevious: asZoom(),
      measured,
      bias: p.b,
      confidence,
      mismatch,
      cut: false,
      first: false,
    };
  }

  /**
   * One robust Gauss-Newton step on a level, updating `p` in place. The previous picture's
   * gradient is approximated by the current one's (they agree once aligned), so no gradient is
   * resampled. Null when too few pixels could be compared.
   */
  private iterate(cur: Level, prev: Level, samples: Samples, centre: { x: number; y: number }, p: Params, predicted: Params, sigma: number): Step | null {
    const { width: w, height: h, scale, luma: C } = cur;
    const P = prev.luma;
    const exP = prev.excluded;
    const cx = (centre.x + 0.5) / scale - 0.5;
    const cy = (centre.y + 0.5) / scale - 0.5;
    const a = 1 + p.ds;
    const offX = cx + p.tx / scale - a * cx;
    const offY = cy + p.ty / scale - a * cy;
    const bias = p.b;
    const c = TUKEY * Math.max(sigma, MIN_SIGMA);
    const c2 = c * c;
    const explainedLevels = this.opts.explainedLevels;
    const hist = this.histogram;
    hist.fill(0);
    const { n, index, gx: GX, gy: GY } = samples;
    // Normal equations, upper triangle of the 4x4 system in (tx, ty, ds, b).
    let h00 = 0, h01 = 0, h02 = 0, h03 = 0, h11 = 0, h12 = 0, h13 = 0, h22 = 0, h23 = 0, h33 = 0;
    let e0 = 0, e1 = 0, e2 = 0, e3 = 0;
    let count = 0;
    let explained = 0;
    for (let s = 0; s < n; s++) {
      const i = index[s]!;
      const y = (i / w) | 0;
      const x = i - y * w;
      const xp = a * x + offX;
      const yp = a * y + offY;
      if (xp < 0 || yp < 0 || xp >= w - 1 || yp >= h - 1) continue;
      const x0 = xp | 0;
      const y0 = yp | 0;
      const j = y0 * w + x0;
      if (exP[j]! | exP[j + w + 1]!) continue;
      const fx = xp - x0;
      const fy = yp - y0;
      const top = P[j]! + fx * (P[j + 1]! - P[j]!);
      const bottom = P[j + w]! + fx * (P[j + w + 1]! - P[j + w]!);
      const r = top + fy * (bottom - top) + bias - C[i]!;
      const ar = r < 0 ? -r : r;
      count++;
      if (ar < explainedLevels) explained++;
      const bin = (ar * (1 / HISTOGRAM_STEP)) | 0;
      hist[bin < HISTOGRAM_BINS ? bin : HISTOGRAM_BINS - 1]!++;
      if (ar >= c) continue;
      const u = 1 - (r * r) / c2;
      const wt = u * u;
      const gx = GX[s]!;
      const gy = GY[s]!;
      const gz = gx * (x - cx) + gy * (y - cy);
      const wgx = wt * gx, wgy = wt * gy, wgz = wt * gz;
      h00 += wgx * gx; h01 += wgx * gy; h02 += wgx * gz; h03 += wgx;
      h11 += wgy * gy; h12 += wgy * gz; h13 += wgy;
      h22 += wgz * gz; h23 += wgz;
      h33 += wt;
      e0 += wgx * r; e1 += wgy * r; e2 += wgz * r; e3 += wt * r;
    }
    if (count < 64) return null;
    // The prior on (tx, ty, ds), in level units, per pixel of the level, thinned as the samples
    // were (they hold 1/stride of the texture): ds moves the frame's edge by ds * half its size.
    const lambda = (MOTION_PRIOR * samples.of * count) / Math.max(1, n);
    const edge = Math.max(cx, cy);
    const lambdaZoom = lambda * edge * edge;
    // A little Levenberg damping on top keeps a near-singular system from jumping.
    const H = [
      [h00 * DAMPING + lambda, h01, h02, h03],
      [h01, h11 * DAMPING + lambda, h12, h13],
      [h02, h12, h22 * DAMPING + lambdaZoom, h23],
      [h03, h13, h23, h33 * DAMPING + 1e-9],
    ];
    const rhs = [
      -e0 - (lambda * (p.tx - predicted.tx)) / scale,
      -e1 - (lambda * (p.ty - predicted.ty)) / scale,
      -e2 - lambdaZoom * (p.ds - predicted.ds),
      -e3,
    ];
    const delta = solve(H, rhs);
    const nextSigma = quantile(hist, count, SCALE_QUANTILE) / SCALE_QUANTILE_GAUSS;
    const median = quantile(hist, count, 0.5);
    if (!delta) return { sigma: nextSigma, explained: explained / count, median, moved: 0 };
    p.tx += delta[0]! * scale;
    p.ty += delta[1]! * scale;
    p.ds += delta[2]!;
    p.b += delta[3]!;
    const moved = Math.abs(delta[0]!) + Math.abs(delta[1]!) + Math.abs(delta[2]!) * edge;
    return { sigma: nextSigma, explained: explained / count, median, moved };
  }
}

/** What one Gauss-Newton step saw (residuals before its update) and how far it moved (level pixels). */
interface Step {
  sigma: number;
  explained: number;
  median: number;
  moved: number;
}

/** Mean absolute deviation of the sampled pixels from their mean: the picture's own contrast. */
function spread(l: Level, samples: Samples): number {
  const { n, index } = samples;
  if (n === 0) return 0;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += l.luma[index[k]!]!;
  const mean = sum / n;
  let dev = 0;
  for (let k = 0; k < n; k++) dev += Math.abs(l.luma[index[k]!]! - mean);
  return dev / n;
}

/** The pixels of a level the fit compares, with this frame's gradient at each. */
interface Samples {
  n: number;
  /** Usable pixels of the level (outside holes and the border) that the samples stand for, divided by the thinning stride. */
  of: number;
  index: Int32Array;
  gx: Float32Array;
  gy: Float32Array;
}

function emptySamples(): Samples {
  return { n: 0, of: 0, index: new Int32Array(0), gx: new Float32Array(0), gy: new Float32Array(0) };
}

/**
 * The textured pixels of a level (squared gradient >= TEXTURED) outside holes, at most `max`, spread
 * evenly: candidates lie on a lattice sparse enough to hold about three times `max` (so the cost
 * does not grow with the frame), and the textured ones among them are thinned to `max`. On a
 * picture with almost no texture, the usable candidates themselves. Flat pixels say nothing about
 * motion, and would make the residual scale look like noise only.
 */
function pickSamples(l: Level, max: number, out: Samples): Samples {
  const { width: w, height: h, luma: C, excluded } = l;
  const lattice = Math.max(1, Math.floor(Math.sqrt(((w - 2) * (h - 2)) / (3 * max))));
  const room = Math.ceil((w - 2) / lattice) * Math.ceil((h - 2) / lattice);
  if (out.index.length < room) {
    out.index = new Int32Array(room);
    out.gx = new Float32Array(room);
    out.gy = new Float32Array(room);
  }
  let n = 0;
  let usable = 0;
  let flatFrom = room;
  // Textured candidates fill the lists from the front, flat ones from the back (kept for a flat picture).
  for (let y = 1; y < h - 1; y += lattice) {
    // Rows are staggered so the lattice does not line up with vertical structure.
    for (let x = 1 + ((((y - 1) / lattice) | 0) % lattice), i = y * w + x; x < w - 1; x += lattice, i += lattice) {
      if (excluded[i]) continue;
      usable++;
      const gx = 0.5 * (C[i + 1]! - C[i - 1]!);
      const gy = 0.5 * (C[i + w]! - C[i - w]!);
      const k = gx * gx + gy * gy >= TEXTURED ? n++ : --flatFrom;
      out.index[k] = i;
      out.gx[k] = gx;
      out.gy[k] = gy;
    }
  }
  if (n < 256) {
    // Too little texture to fit on: whatever there is, flat pixels included.
    out.index.copyWithin(n, flatFrom, room);
    out.gx.copyWithin(n, flatFrom, room);
    out.gy.copyWithin(n, flatFrom, room);
    n += room - flatFrom;
  }
  const stride = Math.max(1, Math.ceil(n / max));
  if (stride > 1) {
    let m = 0;
    for (let k = 0; k < n; k += stride, m++) {
      out.index[m] = out.index[k]!;
      out.gx[m] = out.gx[k]!;
      out.gy[m] = out.gy[k]!;
    }
    n = m;
  }
  out.n = n;
  out.of = (usable * lattice * lattice) / stride;
  return out;
}

/** The q-quantile of |residual| from its histogram (bin centres). */
function quantile(hist: Uint32Array, count: number, q: number): number {
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]!;
    if (seen >= q * count) return (b + 0.5) * HISTOGRAM_STEP;
  }
  return hist.length * HISTOGRAM_STEP;
}

/** Gaussian elimination with partial pivoting; null when singular. */
function solve(A: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = A.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-12) return null;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let k = col; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}
