/**
 * Global (camera) motion between two luma images: a similarity transform (zoom, rotation,
 * translation) found by coarse-to-fine Gauss-Newton image alignment with robust weights.
 *
 * Overlays do not move with the camera, and moving objects do not either; both are outliers to a
 * model of the whole picture. Huber weights keep them from pulling the estimate, and callers can
 * also hand in the pixels they already know to be overlay so they are never sampled.
 *
 * The temporal fill has its own estimator (src/filter/temporal/motion.ts: zoom + shift + exposure,
 * warm-started frame to frame). The detector needs something different: motion between a frame and
 * a sample chosen seconds back, with rotation, before any overlay is known. Running the detector on
 * the temporal estimator was tried and cut logo IoU on panning clips from 0.78-0.89 to 0.28-0.47
 * (bench:logos), so the two stay separate.
 */

/** Maps a point of the previous image to the current one: x' = a*x - b*y + tx, y' = b*x + a*y + ty, about the image centre. */
export interface Similarity {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

export const IDENTITY: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };

export interface MotionEstimate {
  readonly motion: Similarity;
  /** RMS of the (robustly weighted) residual after alignment, in luma levels. */
  readonly residual: number;
  /** RMS of the residual without any motion, over the same samples: what alignment explains. */
  readonly residualStill: number;
  /** Share of sample weight the final model explains (Huber weight 1): low on cuts and chaos. */
  readonly inlierShare: number;
  readonly samples: number;
}

export interface GlobalMotionParams {
  /** Coarsest pyramid level is at least this wide. */
  readonly minLevelWidth: number;
  readonly iterations: number;
  /** At most one sample per cell of this many pixels square, the strongest gradient in it. */
  readonly cell: number;
  /** Gradient magnitude below which a pixel tells nothing about motion. */
  readonly minGradient: number;
  /** Huber threshold in luma levels: residuals above it are down-weighted. */
  readonly huber: number;
}

export const DEFAULT_GLOBAL_MOTION: GlobalMotionParams = { minLevelWidth: 40, iterations: 6, cell: 4, minGradient: 4, huber: 6 };

/** One level of an image pyramid: a float luma image. */
export interface Level {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** Halves an image by 2x2 box averaging until it would be narrower than `minWidth`. Level 0 is the input. */
export function pyramid(data: Float32Array, width: number, height: number, minWidth: number): Level[] {
  const levels: Level[] = [{ width, height, data }];
  for (;;) {
    const prev = levels[levels.length - 1]!;
    const w = prev.width >> 1, h = prev.height >> 1;
    if (w < minWidth || h < 8) return levels;
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      const r0 = 2 * y * prev.width, r1 = r0 + prev.width;
      for (let x = 0; x < w; x++) out[y * w + x] = 0.25 * (prev.data[r0 + 2 * x]! + prev.data[r0 + 2 * x + 1]! + prev.data[r1 + 2 * x]! + prev.data[r1 + 2 * x + 1]!);
    }
    levels.push({ width: w, height: h, data: out });
  }
}

/** Bilinear sample; NaN outside the image so callers can drop the sample. */
export function sampleBilinear(img: Level, x: number, y: number): number {
  const { width: w, height: h, data } = img;
  if (!(x >= 0 && y >= 0 && x <= w - 1 && y <= h - 1)) return NaN;
  const x0 = Math.min(Math.floor(x), w - 2), y0 = Math.min(Math.floor(y), h - 2);
  return bilinearAt(data, y0 * w + x0, w, x - x0, y - y0);
}

/**
 * sampleBilinear's arithmetic once the cell is known (top-left index `i`, row length `w`,
 * fractions fx, fy): for loops that find the cell themselves, or sample several planes of one
 * size at the same point.
 */
export function bilinearAt(d: Float32Array, i: number, w: number, fx: number, fy: number): number {
  const top = d[i]! + fx * (d[i + 1]! - d[i]!);
  const bottom = d[i + w]! + fx * (d[i + w + 1]! - d[i + w]!);
  return top + fy * (bottom - top);
}

/** Where `motion` takes the point (x, y) of an image of size w x h (coordinates about its centre). */
export function applySimilarity(m: Similarity, x: number, y: number, w: number, h: number): [number, number] {
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  const u = x - cx, v = y - cy;
  return [m.a * u - m.b * v + m.tx + cx, m.b * u + m.a * v + m.ty + cy];
}

/** a then b: the motion that first applies `first` and then `second`. */
export function composeSimilarity(first: Similarity, second: Similarity): Similarity {
  return {
    a: second.a * first.a - second.b * first.b,
    b: second.b * first.a + second.a * first.b,
    tx: second.a * first.tx - second.b * first.ty + second.tx,
    ty: second.b * first.tx + second.a * first.ty + second.ty,
  };
}

export function invertSimilarity(m: Similarity): Similarity {
  const d = m.a * m.a + m.b * m.b;
  const a = m.a / d, b = -m.b / d;
  return { a, b, tx: -(a * m.tx - b * m.ty), ty: -(b * m.tx + a * m.ty) };
}

/** Largest displacement the motion gives any corner of a w x h image: how far the picture moved. */
export function maxDisplacement(m: Similarity, w: number, h: number): number {
  let d = 0;
  for (const [x, y] of [[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]] as const) {
    const [u, v] = applySimilarity(m, x, y, w, h);
    d = Math.max(d, Math.hypot(u - x, v - y));
  }
  return d;
}

/**
 * Resamples `src` so that its content lines up with the image the motion leads to: out(p) =
 * src(motion^-1(p)). Pixels that come from outside `src` are NaN.
 */
export function warpInto(src: Level, motion: Similarity, out: Float32Array): void {
  const inv = invertSimilarity(motion);
  const { width: w, height: h } = src;
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    const v = y - cy;
    let sx = inv.a * -cx - inv.b * v + inv.tx + cx;
    let sy = inv.b * -cx + inv.a * v + inv.ty + cy;
    for (let x = 0; x < w; x++) {
      out[y * w + x] = sampleBilinear(src, sx, sy);
      sx += inv.a;
      sy += inv.b;
    }
  }
}

interface Samples {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly v: Float32Array;
  count: number;
}

/** The strongest-gradient pixel of each cell of the previous image, away from the border and `ignore`. */
function pickSamples(img: Level, cell: number, minGradient: number, ignore: Uint8Array | undefined, scale: number, fullWidth: number): Samples {
  const { width: w, height: h, data } = img;
  const cap = Math.ceil(w / cell) * Math.ceil(h / cell);
  const s: Samples = { x: new Float32Array(cap), y: new Float32Array(cap), v: new Float32Array(cap), count: 0 };
  for (let cy = 1; cy < h - 1; cy += cell) {
    for (let cx = 1; cx < w - 1; cx += cell) {
      let best = minGradient * minGradient, bx = -1, by = -1;
      for (let y = cy; y < Math.min(cy + cell, h - 1); y++) {
        for (let x = cx; x < Math.min(cx + cell, w - 1); x++) {
          const i = y * w + x;
          const gx = data[i + 1]! - data[i - 1]!, gy = data[i + w]! - data[i - w]!;
          const g = 0.25 * (gx * gx + gy * gy);
          if (g <= best) continue;
          if (ignore && ignore[Math.min(Math.floor(y * scale), Math.floor(ignore.length / fullWidth) - 1) * fullWidth + Math.floor(x * scale)]) continue;
          best = g;
          bx = x;
          by = y;
        }
      }
      if (bx < 0) continue;
      s.x[s.count] = bx;
      s.y[s.count] = by;
      s.v[s.count] = data[by * w + bx]!;
      s.count++;
    }
  }
  return s;
}

/**
 * Estimates the motion that carries `prev` onto `cur` (same size). `ignore` (optional, prev's
 * size, 1 = never sample) excludes known overlays; `guess` seeds the search (e.g. the last motion).
 */
export function estimateGlobalMotion(prev: Float32Array, cur: Float32Array, width: number, height: number, opts: { ignore?: Uint8Array; guess?: Similarity; params?: GlobalMotionParams } = {}): MotionEstimate {
  const p = opts.params ?? DEFAULT_GLOBAL_MOTION;
  const pp = pyramid(prev, width, height, p.minLevelWidth);
  const cp = pyramid(cur, width, height, p.minLevelWidth);
  return estimateOnPyramids(pp, cp, opts.ignore, opts.guess ?? IDENTITY, p);
}

/** As estimateGlobalMotion, on pyramids the caller keeps (each image's pyramid is built once). */
export function estimateOnPyramids(pp: readonly Level[], cp: readonly Level[], ignore: Uint8Array | undefined, guess: Similarity, p: GlobalMotionParams): MotionEstimate {
  const top = Math.min(pp.length, cp.length) - 1;
  const fullWidth = pp[0]!.width;
  let scaleT = 2 ** top;
  let m: Similarity = { a: guess.a, b: guess.b, tx: guess.tx / scaleT, ty: guess.ty / scaleT };
  let last: MotionEstimate = { motion: guess, residual: NaN, residualStill: NaN, inlierShare: 0, samples: 0 };
  for (let level = top; level >= 0; level--) {
    const scale = 2 ** level;
    if (level !== top) m = { ...m, tx: m.tx * 2, ty: m.ty * 2 };
    const prevL = pp[level]!, curL = cp[level]!;
    const s = pickSamples(prevL, level === 0 ? p.cell : 2, p.minGradient / Math.sqrt(scale), ignore, scale, fullWidth);
    if (s.count < 12) continue;
    const r = refine(prevL, curL, s, m, p, level === 0 ? p.iterations : Math.ceil(p.iterations / 2));
    m = r.motion;
    last = { ...r, motion: { ...m, tx: m.tx * scale, ty: m.ty * scale } };
    scaleT = scale;
  }
  return last;
}

/** The sample points' Jacobian rows, kept between refinements (several per frame, ~200 KB each at 720p). */
let jacobianScratch = new Float64Array(0);

/**
 * Inverse-compositional Gauss-Newton with Huber weights: the Jacobian comes from the previous
 * image's own gradients at the sample points (computed once), so each iteration costs one
 * bilinear sample of the current image per point.
 */
function refine(prev: Level, cur: Level, s: Samples, start: Similarity, p: GlobalMotionParams, iterations: number): MotionEstimate {
  const { width: w, height: h } = cur;
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  // Unknowns (a-1, b, tx, ty), the rotation/zoom columns scaled by the half-size so the normal
  // equations are well conditioned.
  const norm = Math.max(cx, cy, 1);
  const n = s.count;
  if (jacobianScratch.length < 4 * n) jacobianScratch = new Float64Array(4 * n);
  const J = jacobianScratch;
  for (let k = 0; k < n; k++) {
    const x = s.x[k]!, y = s.y[k]!, i = y * prev.width + x;
    const gx = 0.5 * (prev.data[i + 1]! - prev.data[i - 1]!), gy = 0.5 * (prev.data[i + prev.width]! - prev.data[i - prev.width]!);
    const u = x - cx, v = y - cy;
    J[4 * k] = (gx * u + gy * v) / norm;
    J[4 * k + 1] = (-gx * v + gy * u) / norm;
    J[4 * k + 2] = gx;
    J[4 * k + 3] = gy;
  }
  let m = start;
  let residual = NaN, residualStill = NaN, inlierShare = 0, used = 0;
  // Locals, not fields or typed-array cells, inside the per-sample loop (samples x iterations, ~45k
  // at 426x240): the sums are the same, in the same order, as the Hessian's 10 distinct cells.
  const xs = s.x, ys = s.y, vs = s.v, cd = cur.data, huber = p.huber;
  for (let it = 0; it <= iterations; it++) {
    const H = new Float64Array(16);
    const g = new Float64Array(4);
    let sw = 0, se = 0, sStill = 0, inl = 0;
    let h00 = 0, h01 = 0, h02 = 0, h03 = 0, h11 = 0, h12 = 0, h13 = 0, h22 = 0, h23 = 0, h33 = 0;
    let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
    const { a, b, tx, ty } = m;
    used = 0;
    for (let k = 0; k < n; k++) {
      const u = xs[k]! - cx, v = ys[k]! - cy;
      // sampleBilinear, its bounds test and cell here.
      const sx = a * u - b * v + tx + cx, sy = b * u + a * v + ty + cy;
      if (!(sx >= 0 && sy >= 0 && sx <= w - 1 && sy <= h - 1)) continue;
      const x0 = Math.min(Math.floor(sx), w - 2), y0 = Math.min(Math.floor(sy), h - 2);
      const val = bilinearAt(cd, y0 * w + x0, w, sx - x0, sy - y0);
      if (Number.isNaN(val)) continue;
      const e = val - vs[k]!;
      const ae = Math.abs(e);
      const wt = ae <= huber ? 1 : huber / ae;
      if (ae <= huber) inl++;
      used++;
      sw += wt;
      se += wt * e * e;
      if (it === 0) {
        const still = cd[ys[k]! * w + xs[k]!]! - vs[k]!;
        sStill += still * still;
      }
      const o = 4 * k;
      const j0 = J[o]!, j1 = J[o + 1]!, j2 = J[o + 2]!, j3 = J[o + 3]!;
      const w0 = wt * j0, w1 = wt * j1, w2 = wt * j2, w3 = wt * j3;
      g0 += w0 * e;
      h00 += w0 * j0;
      h01 += w0 * j1;
      h02 += w0 * j2;
      h03 += w0 * j3;
      g1 += w1 * e;
      h11 += w1 * j1;
      h12 += w1 * j2;
      h13 += w1 * j3;
      g2 += w2 * e;
      h22 += w2 * j2;
      h23 += w2 * j3;
      g3 += w3 * e;
      h33 += w3 * j3;
    }
    H[0] = h00; H[1] = h01; H[2] = h02; H[3] = h03; H[5] = h11; H[6] = h12; H[7] = h13; H[10] = h22; H[11] = h23; H[15] = h33;
    g[0] = g0; g[1] = g1; g[2] = g2; g[3] = g3;
    if (it === 0) residualStill = used ? Math.sqrt(sStill / used) : NaN;
    residual = sw ? Math.sqrt(se / sw) : NaN;
    inlierShare = used ? inl / used : 0;
    if (it === iterations || used < 12) break;
    for (let r = 0; r < 4; r++) for (let c = 0; c < r; c++) H[r * 4 + c] = H[c * 4 + r]!;
    // A touch of damping keeps flat pictures (no gradient in one direction) from blowing up.
    for (let r = 0; r < 4; r++) H[r * 4 + r]! += 1e-3 * (H[r * 4 + r]! + 1);
    const d = solve4(H, g);
    if (!d) break;
    const step: Similarity = { a: 1 + d[0]! / norm, b: d[1]! / norm, tx: d[2]!, ty: d[3]! };
    m = composeSimilarity(invertSimilarity(step), m);
    if (Math.abs(d[0]!) + Math.abs(d[1]!) + Math.abs(d[2]!) + Math.abs(d[3]!) < 0.01) iterations = it + 1;
  }
  return { motion: m, residual, residualStill, inlierShare, samples: used };
}

/** Solves the symmetric 4x4 system by Gaussian elimination with partial pivoting; null if singular. */
function solve4(H: Float64Array, g: Float64Array): Float64Array | null {
  const m = new Float64Array(20);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) m[r * 5 + c] = H[r * 4 + c]!;
    m[r * 5 + 4] = g[r]!;
  }
  for (let c = 0; c < 4; c++) {
    let piv = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(m[r * 5 + c]!) > Math.abs(m[piv * 5 + c]!)) piv = r;
    if (Math.abs(m[piv * 5 + c]!) < 1e-12) return null;
    if (piv !== c) for (let k = 0; k < 5; k++) [m[c * 5 + k], m[piv * 5 + k]] = [m[piv * 5 + k]!, m[c * 5 + k]!];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = m[r * 5 + c]! / m[c * 5 + c]!;
      for (let k = c; k < 5; k++) m[r * 5 + k]! -= f * m[c * 5 + k]!;
    }
  }
  const out = new Float64Array(4);
  for (let r = 0; r < 4; r++) out[r] = m[r * 5 + 4]! / m[r * 5 + r]!;
  return out;
}
