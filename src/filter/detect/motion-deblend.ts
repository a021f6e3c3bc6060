import { median } from '../../core/stats.js';
import type { Plane, PixelRect } from '../fill/index.js';
import { composeZoom, IDENTITY_ZOOM, invertZoom, type Zoom } from '../temporal/zoom.js';

/**
 * The blend of a translucent overlay, solved from the camera's motion.
 *
 * De-blending (deblend.ts) reads (1-a) from the ratio of a pixel's temporal spread to the
 * background's and the level it varies around from the background's temporal mean, both
 * interpolated from the ring around the overlay. Under a slow pan neither holds: the temporal mean
 * still carries the picture's detail (a 25-pixel icon over grass drifting 2 px/s), and the spread
 * under the overlay is not the ring's, so the alpha comes out wrong too.
 *
 * The camera's motion gives both per pixel. The scene point under pixel p now was under
 * q = M_k(p) in an earlier frame k, and every frame obeys
 *   observed_k(q) = b(q) * clean_k(q) + g(q)      (b = 1-a, g = a*colour; b = 1, g = 0 off the overlay)
 * A solve works outwards from the background, in rounds:
 *  - the scene now, X(p), under an unsolved pixel is read from the snapshots that saw that scene
 *    point beside the overlay, or through overlay pixels already solved, (observed - g) / b;
 *  - each unsolved pixel whose scene is known in enough snapshots gets its b and g by regressing
 *    what it showed on the scene that was under it: slope b, intercept g (a pixel whose scene stayed
 *    flat takes the region's b and fits its level alone, which is what the ring mean got wrong).
 * Nothing is fitted against a guess, so no wrong start can confirm itself. Textured pixels also say
 * whether the overlay is translucent at all (an opaque logo's body hides its scene; only its rim
 * looks translucent); the region's b is one regression pooled over the last few solves. The overlay
 * is fixed on screen, so a good solution is kept (pixels a later solve cannot reach keep theirs),
 * and every frame is inverted with it; a poor fit or an opaque verdict drops it.
 */

export interface MotionDeblendParams {
  /** A snapshot of the overlay's surroundings is kept every this many frames... */
  readonly snapshotEvery: number;
  /** ...and this many are kept (the oldest go first). */
  readonly snapshots: number;
  /** Least camera displacement (pixels, at the overlay) between the oldest and newest snapshot for a solve. */
  readonly minSpanPx: number;
  /** Frames between two solves. */
  readonly solveEvery: number;
  /** Rounds per solve (each round reaches one camera displacement deeper into the overlay). */
  readonly iterations: number;
  /** Scene samples a pixel needs before its blend is fitted. */
  readonly minSamples: number;
  /** Ridge weight pulling a pixel's b toward the region's, in levels^2 of scene variance per sample. */
  readonly ridge: number;
  /** A pixel whose scene varied less than this (variance, levels^2) has no b of its own: it takes the region's. */
  readonly voteVariance: number;
  /** The region's b is measured once the pooled scene variance reaches this (levels^2 per sample). */
  readonly poolVariance: number;
  /** Frames added before the next solve once the overlay was found opaque. */
  readonly opaqueBackoff: number;
  /** Overlays larger than this (plane pixels) are left to deblend.ts: the solve's cost grows with the area. */
  readonly maxPixels: number;
  /** Pixel-snapshot pairs a solve reads at most: a large overlay reads fewer snapshots. */
  readonly tapBudget: number;
  /** A fit whose RMS residual exceeds this (levels) is not used. */
  readonly maxResidual: number;
  /** Smallest b inverted (1 - maxAlpha of deblend.ts): below it the fill is used. */
  readonly minSlope: number;
}

export const DEFAULT_MOTION_DEBLEND_PARAMS: MotionDeblendParams = {
  snapshotEvery: 5,
  snapshots: 16,
  minSpanPx: 1,
  solveEvery: 5,
  iterations: 30,
  minSamples: 4,
  ridge: 16,
  voteVariance: 64,
  poolVariance: 16,
  opaqueBackoff: 100,
  maxPixels: 30_000,
  tapBudget: 40_000,
  maxResidual: 3,
  minSlope: 0.33,
};

/** Fitted b a pixel must have to count in the region's: an overlay's body, not background nor a faint edge. */
const VOTE_MIN = 0.25;
const VOTE_MAX = 0.85;

/** Textured pixels that must show their scene through, and by how many times they must outnumber those that hide it, before the overlay counts as translucent. */
const MIN_BODY = 20;
const BODY_MAJORITY = 2;
/** A textured pixel fitted below this b hides its scene: it says the overlay is opaque (between this and VOTE_MIN it says nothing). */
const OPAQUE_VOTE = 0.15;
/** A solved pixel with b at or above this shows no overlay worth summarising (background in the grown mask). */
const SHOWN_B = 0.95;
/** Fewest snapshots a solve reads, however large the overlay. */
const MIN_SNAPSHOTS = 4;
/** Solves whose sums are pooled for the region's b. */
const POOL_SOLVES = 6;

const BACKGROUND = 0;
const UNSOLVED = 1;
const SOLVED = 2;
/** Too opaque to invert: blocks reads like an unsolved pixel, left to the fill. */
const OPAQUE = 3;

interface Snapshot {
  readonly observed: Float32Array;
  /** This frame's plane coordinates -> the snapshot frame's. */
  toSnapshot: Zoom;
}

export interface SolveStats {
  /** Snapshots used, camera displacement they span (px), RMS residual of the fit (levels), region b. */
  readonly snapshots: number;
  readonly spanPx: number;
  readonly residual: number;
  readonly slope: number;
  /** Share of the overlay's pixels whose blend was solved. */
  readonly solved: number;
  /** What the textured pixels say the overlay is. */
  readonly verdict: 'translucent' | 'opaque' | 'unsure';
  readonly used: boolean;
}

/** One plane of one de-blended target: its snapshots and its per-pixel blend. */
export class MotionReference {
  /** The box snapshots cover: the target's rectangle grown by the margin, clipped to the plane. */
  readonly box: PixelRect;
  private readonly bw: number;
  private readonly bh: number;
  private snaps: Snapshot[] = [];
  private frames = 0;
  private sinceSolve = 0;
  /** Per box pixel: b and g of the blend (b = 1, g = 0 off the overlay), from the last solve. */
  private readonly slope: Float32Array;
  private readonly offset: Float32Array;
  /** Per box pixel: BACKGROUND, UNSOLVED, SOLVED or OPAQUE, as the last solve left it. */
  private readonly state: Uint8Array;
  /** A solve has run since the reference began (the first one is due as soon as there are snapshots). */
  private attempted = false;
  private isUsable = false;
  private seenTranslucent = false;
  /** Bumped whenever the kept blend changes (a matte built from it can be cached against it). */
  version = 0;
  /** The region regression's sums from the last few solves (see POOL_SOLVES). */
  private pools: { sxy: number; sxx: number; m: number; body: number; opaque: number }[] = [];
  private last: SolveStats | undefined;

  constructor(rect: PixelRect, private readonly planeWidth: number, private readonly planeHeight: number, margin: number, private readonly params: MotionDeblendParams = DEFAULT_MOTION_DEBLEND_PARAMS) {
    this.box = { x0: Math.max(0, rect.x0 - margin), y0: Math.max(0, rect.y0 - margin), x1: Math.min(planeWidth, rect.x1 + margin), y1: Math.min(planeHeight, rect.y1 + margin) };
    this.bw = this.box.x1 - this.box.x0;
    this.bh = this.box.y1 - this.box.y0;
    this.slope = new Float32Array(this.bw * this.bh).fill(1);
    this.offset = new Float32Array(this.bw * this.bh);
    this.state = new Uint8Array(this.bw * this.bh);
  }

  /** True when `rect` (a region refined or drifting by a few pixels) still lies well inside the box, on a plane of the same size. */
  fits(rect: PixelRect, margin: number, planeWidth: number, planeHeight: number): boolean {
    const m = margin >> 1, b = this.box;
    if (planeWidth !== this.planeWidth || planeHeight !== this.planeHeight) return false;
    return Math.max(0, rect.x0 - m) >= b.x0 && Math.max(0, rect.y0 - m) >= b.y0 && Math.min(this.planeWidth, rect.x1 + m) <= b.x1 && Math.min(this.planeHeight, rect.y1 + m) <= b.y1;
  }

  /**
   * Carries the snapshots along with this frame's camera motion (plane coordinates, this frame ->
   * the previous one; undefined when it is not known, which forgets the snapshots) and takes a
   * snapshot when one is due. The solved blend is kept: the overlay has not moved on screen.
   */
  advance(plane: Plane, toPrevious: Zoom | undefined): void {
    if (!toPrevious) {
      this.snaps = [];
      this.frames = 0;
      return;
    }
    if (this.frames > 0) for (const s of this.snaps) s.toSnapshot = composeZoom(s.toSnapshot, toPrevious);
    if (this.frames % this.params.snapshotEvery === 0) {
      this.snaps.push({ observed: this.crop(plane), toSnapshot: IDENTITY_ZOOM });
      if (this.snaps.length > this.params.snapshots) this.snaps.shift();
    }
    this.frames++;
    this.sinceSolve++;
  }

  /** What the last solve found (for diagnostics and tests). */
  get lastSolve(): SolveStats | undefined {
    return this.last;
  }

  /** True while the last solve's blend is trusted. */
  get usable(): boolean {
    return this.isUsable;
  }

  /** True when the last solve with a verdict found the overlay translucent on its own evidence. */
  get translucent(): boolean {
    return this.seenTranslucent;
  }

  /** True when a new solve should run this frame. */
  get due(): boolean {
    return this.snaps.length > 2 && (!this.attempted || this.sinceSolve >= this.params.solveEvery);
  }

  /**
   * Solves b and g over `overlay` (plane indices of the target's pixels), from scratch each time so
   * that no guess can confirm itself: a pixel's blend is fitted only against scene values read off
   * the background, or through overlay pixels already solved that way, and each round of solved
   * pixels lets the next reach deeper. `regionSlope` is deblend.ts's estimate of b, if any.
   */
  solve(plane: Plane, overlay: readonly number[], regionSlope: number | undefined): SolveStats {
    this.sinceSolve = 0;
    this.attempted = true;
    const { box, bw, bh, params } = this;
    const pw = plane.width;
    const n = bw * bh;
    const now = this.crop(plane);
    // Solved into fresh arrays: a solve that fails its checks must not spoil the last good one.
    const b = new Float32Array(n).fill(1), g = new Float32Array(n);
    const state = new Uint8Array(n);
    const pix: number[] = [];
    for (const i of overlay) {
      const y = (i / pw) | 0, x = i - y * pw;
      if (x < box.x0 || x >= box.x1 || y < box.y0 || y >= box.y1) continue;
      const k = (y - box.y0) * bw + x - box.x0;
      state[k] = UNSOLVED;
      pix.push(k);
    }
    // A large overlay reads fewer snapshots (spread over the window), so a solve's cost is bounded.
    const snaps = spread(this.snaps, Math.max(MIN_SNAPSHOTS, Math.floor(params.tapBudget / Math.max(1, pix.length))));
    const cx = box.x0 + bw / 2, cy = box.y0 + bh / 2;
    let span = 0;
    for (const s of snaps) {
      const m = s.toSnapshot;
      span = Math.max(span, Math.abs(m.s * cx + m.tx - cx), Math.abs(m.s * cy + m.ty - cy));
    }
    const fail = (residual: number) => {
      this.last = { snapshots: snaps.length, spanPx: span, residual, slope: Number.NaN, solved: 0, used: false, verdict: 'unsure' };
      return this.last;
    };
    if (span < params.minSpanPx || pix.length === 0 || pix.length > params.maxPixels) return fail(Number.NaN);
    // Bicubic taps of every overlay pixel's scene point in every snapshot, both ways:
    // back: current pixel p -> snapshot position M_k(p); forth: snapshot pixel q -> current position M_k^-1(q).
    const S = snaps.length;
    const back = new TapTable(pix.length * S, bw);
    const forth = new TapTable(pix.length * S, bw);
    const inverses = snaps.map((sn) => invertZoom(sn.toSnapshot));
    pix.forEach((k, u) => {
      const px = box.x0 + (k % bw), py = box.y0 + ((k / bw) | 0);
      for (let j = 0; j < S; j++) {
        back.set(u * S + j, snaps[j]!.toSnapshot, px, py, box, bh);
        forth.set(u * S + j, inverses[j]!, px, py, box, bh);
      }
    });
    // The scene now, where some snapshot saw it through known blends only (NaN elsewhere).
    const x = new Float32Array(n);
    for (let k = 0; k < n; k++) x[k] = state[k] === BACKGROUND ? now[k]! : Number.NaN;
    const blend = { g, b };
    // Per box pixel: 1 where the blend is known (background, or solved).
    const known = new Uint8Array(n);
    for (let k = 0; k < n; k++) known[k] = state[k] === BACKGROUND ? 1 : 0;
    let regionB = regionSlope ?? Number.NaN;
    const roundPool = { sxy: 0, sxx: 0, m: 0, body: 0, opaque: 0 };
    let verdict: 'translucent' | 'opaque' | 'unsure' = 'unsure';
    let solvedCount = 0;
    let sq = 0, count = 0;
    for (let round = 0; round < params.iterations; round++) {
      // Scene points under unsolved pixels that some snapshot saw through known blends.
      pix.forEach((k, u) => {
        if (x[k] === x[k]) return;
        let acc = 0, m = 0;
        for (let j = 0; j < S; j++) {
          const t = u * S + j;
          if (!back.readable(t, known)) continue;
          acc += back.sample(t, snaps[j]!.observed, blend);
          m++;
        }
        if (m > 0) x[k] = acc / m;
      });
      // Each unsolved pixel's blend: what it showed against the scene known to have been under it.
      const fits: { k: number; f: Fit }[] = [];
      pix.forEach((k, u) => {
        if (state[k] !== UNSOLVED) return;
        const f = newFit();
        for (let j = 0; j < S; j++) {
          const xv = forth.sample(u * S + j, x);
          if (xv === xv) addFit(f, xv, snaps[j]!.observed[k]!);
        }
        if (f.m >= params.minSamples) fits.push({ k, f: centred(f) });
      });
      if (fits.length === 0) break;
      // The region's b: one regression over the pixels that look like the overlay's body (not the
      // grown mask's background, b near 1, nor absurdly opaque), textured pixels weighing most.
      for (const { f } of fits) {
        const own = f.sxx > 0 ? f.sxy / f.sxx : Number.NaN;
        if (own > VOTE_MIN && own < VOTE_MAX) {
          roundPool.sxy += f.sxy;
          roundPool.sxx += f.sxx;
          roundPool.m += f.m;
        }
        // Textured pixels say what the overlay is: those that hide their scene (an opaque logo's
        // body; its anti-aliased rim alone looks translucent) against those that show it through.
        if (f.sxx / f.m >= params.voteVariance && own < VOTE_MAX) {
          if (own > VOTE_MIN) roundPool.body++;
          else if (own < OPAQUE_VOTE) roundPool.opaque++;
        }
      }
      // Pooled with the last few solves: the overlay's b does not change, one solve whose pixels saw
      // little texture must not swing it.
      const pool = this.pools.reduce((acc, p) => ({ sxy: acc.sxy + p.sxy, sxx: acc.sxx + p.sxx, m: acc.m + p.m, body: acc.body + p.body, opaque: acc.opaque + p.opaque }), roundPool);
      verdict = pool.body >= MIN_BODY && pool.body >= BODY_MAJORITY * pool.opaque ? 'translucent' : pool.opaque > pool.body ? 'opaque' : 'unsure';
      // Translucent on this evidence, or on the ring's (deblend.ts) where this has none against it.
      const translucent = verdict === 'translucent' || (regionSlope !== undefined && verdict !== 'opaque');
      if (!translucent) regionB = Number.NaN;
      else if (pool.m > 0 && pool.sxx / pool.m >= params.poolVariance) regionB = pool.sxy / pool.sxx;
      else regionB = regionSlope ?? regionB;
      if (!(regionB === regionB)) break;
      for (const { k, f } of fits) {
        // Ridge toward the region's b: a pixel whose scene stayed flat fits its level alone.
        const lam = params.ridge * f.m;
        const slope = (f.sxy + lam * regionB) / (f.sxx + lam);
        b[k] = slope;
        g[k] = (f.sy - slope * f.sx) / f.m;
        // Too opaque to invert only on the pixel's own evidence: where its scene stayed flat the
        // slope is the region's, and the level it fits is what matters.
        const textured = f.sxx / f.m >= params.voteVariance;
        state[k] = slope >= params.minSlope || (!textured && regionB >= params.minSlope) ? SOLVED : OPAQUE;
        if (state[k] === SOLVED && slope < params.minSlope) {
          b[k] = regionB;
          g[k] = (f.sy - regionB * f.sx) / f.m;
        }
        if (state[k] === SOLVED) {
          solvedCount++;
          known[k] = 1;
          sq += Math.max(0, f.syy - 2 * b[k]! * f.sxy + b[k]! * b[k]! * f.sxx);
          count += f.m;
          x[k] = (now[k]! - g[k]!) / b[k]!;
        }
      }
    }
    const residual = count ? Math.sqrt(sq / count) : Number.NaN;
    if (roundPool.m > 0) {
      this.pools.push(roundPool);
      if (this.pools.length > POOL_SOLVES) this.pools.shift();
    }
    const used = solvedCount > 0 && residual <= params.maxResidual && regionB >= params.minSlope && regionB < 1;
    // Evidence against the blend model (the overlay hides its scene, or the fit is poor) drops the
    // last solution too; a solve that merely lacked evidence leaves it.
    if (verdict === 'opaque' || residual > params.maxResidual) this.isUsable = false;
    if (verdict !== 'unsure') this.seenTranslucent = verdict === 'translucent';
    // An opaque logo stays opaque: look again much later, not every few frames. With nothing to
    // go on either way (a flat scene, no ring slope) evidence builds up slowly: look less often.
    if (verdict === 'opaque') this.sinceSolve = -params.opaqueBackoff;
    else if (verdict === 'unsure' && regionSlope === undefined) this.sinceSolve = -2 * params.solveEvery;
    if (used) {
      // The overlay is fixed on screen: a pixel this solve did not reach keeps what an earlier one found.
      for (let k = 0; k < n; k++) {
        if (state[k] !== UNSOLVED || this.state[k] !== SOLVED) {
          this.state[k] = state[k]!;
          this.slope[k] = b[k]!;
          this.offset[k] = g[k]!;
        }
      }
      this.isUsable = true;
      this.version++;
    }
    this.last = { snapshots: snaps.length, spanPx: span, residual, slope: regionB, solved: solvedCount / pix.length, used, verdict };
    return this.last;
  }

  /**
   * What the kept blend says of the overlay: its alpha (the median over its solved pixels that show
   * one) and its colour on this plane (their alpha-weighted mean of g / alpha); undefined without.
   */
  summary(): { alpha: number; level: number } | undefined {
    if (!this.isUsable) return undefined;
    const alphas: number[] = [];
    let gs = 0, as = 0;
    for (let k = 0; k < this.state.length; k++) {
      if (this.state[k] !== SOLVED || this.slope[k]! >= SHOWN_B) continue;
      const a = 1 - this.slope[k]!;
      alphas.push(a);
      gs += this.offset[k]!;
      as += a;
    }
    return alphas.length && as > 0 ? { alpha: median(alphas), level: gs / as } : undefined;
  }

  /** The solved alpha at plane pixel (x, y), 0 where the blend is the identity; undefined where unsolved. */
  alphaAt(x: number, y: number): number | undefined {
    const { box } = this;
    if (!this.isUsable || x < box.x0 || x >= box.x1 || y < box.y0 || y >= box.y1) return undefined;
    const k = (y - box.y0) * this.bw + x - box.x0;
    const st = this.state[k];
    if (st === BACKGROUND) return 0;
    if (st === OPAQUE) return 1;
    return st === SOLVED ? Math.min(1, Math.max(0, 1 - this.slope[k]!)) : undefined;
  }

  /** The clean value of plane pixel `i` observed as `observed`; undefined where no blend was solved. */
  value(i: number, pw: number, observed: number): number | undefined {
    if (!this.isUsable) return undefined;
    const y = (i / pw) | 0, x = i - y * pw;
    const k = (y - this.box.y0) * this.bw + x - this.box.x0;
    if (x < this.box.x0 || x >= this.box.x1 || y < this.box.y0 || y >= this.box.y1 || this.state[k] !== SOLVED) return undefined;
    return (observed - this.offset[k]!) / this.slope[k]!;
  }

  private crop(plane: Plane): Float32Array {
    const { box, bw, bh } = this;
    const out = new Float32Array(bw * bh);
    for (let y = 0; y < bh; y++) {
      const row = plane.offset + (box.y0 + y) * plane.width + box.x0;
      for (let x = 0; x < bw; x++) out[y * bw + x] = plane.data[row + x]!;
    }
    return out;
  }
}

/**
 * Catmull-Rom (bicubic) samples of positions `m(px, py)` in the box, flat: per sample the box index
 * of its top-left tap (-1 where the 4x4 taps leave the box) and its 4 + 4 weights. Bilinear
 * weights would blur the scene's finest detail, and a blurred scene read against sharp
 * observations biases every fitted b upwards.
 */
class TapTable {
  private readonly at: Int32Array;
  private readonly w: Float32Array;

  constructor(size: number, private readonly bw: number) {
    this.at = new Int32Array(size);
    this.w = new Float32Array(8 * size);
  }

  set(i: number, m: Zoom, px: number, py: number, box: PixelRect, bh: number): void {
    const qx = m.s * px + m.tx - box.x0, qy = m.s * py + m.ty - box.y0;
    const x0 = Math.floor(qx), y0 = Math.floor(qy);
    if (x0 < 1 || y0 < 1 || x0 + 2 >= this.bw || y0 + 2 >= bh) {
      this.at[i] = -1;
      return;
    }
    this.at[i] = (y0 - 1) * this.bw + x0 - 1;
    cubic(qx - x0, this.w, 8 * i);
    cubic(qy - y0, this.w, 8 * i + 4);
  }

  /**
   * The sample of `v`; NaN off the box or where a weighted tap is NaN. With `blend`, of the clean
   * scene a snapshot `v` showed: (v - g) / b at every tap.
   */
  sample(i: number, v: Float32Array, blend?: { g: Float32Array; b: Float32Array }): number {
    const k = this.at[i]!;
    if (k < 0) return Number.NaN;
    const w = this.w, o = 8 * i, bw = this.bw;
    let acc = 0;
    for (let a = 0; a < 4; a++) {
      const wa = w[o + 4 + a]!;
      if (wa === 0) continue;
      const row = k + a * bw;
      for (let c = 0; c < 4; c++) {
        const wc = w[o + c]!;
        if (wc === 0) continue;
        const q = row + c;
        acc += wa * wc * (blend ? (v[q]! - blend.g[q]!) / blend.b[q]! : v[q]!);
      }
    }
    return acc;
  }

  /** True when the sample is on the box and every weighted tap is `known`. */
  readable(i: number, known: Uint8Array): boolean {
    const k = this.at[i]!;
    if (k < 0) return false;
    const w = this.w, o = 8 * i, bw = this.bw;
    for (let a = 0; a < 4; a++) {
      if (w[o + 4 + a] === 0) continue;
      for (let c = 0; c < 4; c++) if (w[o + c] !== 0 && !known[k + a * bw + c]) return false;
    }
    return true;
  }
}

function cubic(f: number, out: Float32Array, at: number): void {
  const f2 = f * f, f3 = f2 * f;
  out[at] = 0.5 * (-f3 + 2 * f2 - f);
  out[at + 1] = 0.5 * (3 * f3 - 5 * f2 + 2);
  out[at + 2] = 0.5 * (-3 * f3 + 4 * f2 + f);
  out[at + 3] = 0.5 * (f3 - f2);
}

/** At most `count` of `snaps`, spread evenly over them, the newest always among them. */
function spread<T>(snaps: readonly T[], count: number): T[] {
  if (snaps.length <= count) return [...snaps];
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(snaps[Math.round(((snaps.length - 1) * i) / (count - 1))]!);
  return out;
}

/** Running sums of a least-squares line fit y = b*x + g (second moments centred on use). */
interface Fit {
  m: number;
  sx: number;
  sy: number;
  sxx: number;
  sxy: number;
  syy: number;
}

function newFit(): Fit {
  return { m: 0, sx: 0, sy: 0, sxx: 0, sxy: 0, syy: 0 };
}

function addFit(f: Fit, x: number, y: number): void {
  f.m++;
  f.sx += x;
  f.sy += y;
  f.sxx += x * x;
  f.sxy += x * y;
  f.syy += y * y;
}

/** The same sums with the second moments taken about the means. */
function centred(f: Fit): Fit {
  const { m, sx, sy } = f;
  return { m, sx, sy, sxx: f.sxx - (sx * sx) / m, sxy: f.sxy - (sx * sy) / m, syy: f.syy - (sy * sy) / m };
}
