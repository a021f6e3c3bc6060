import { componentOf, components, dilate, erode, fillEnclosed, fillHoles, hysteresis, type Component } from './mask-ops.js';
import type { MotionEvidence } from './motion-evidence.js';
import type { PersistenceStats } from './persistence.js';
import { DEFAULT_SILENCE_PARAMS, silentGraphics, type SilenceParams } from './silence.js';

export interface CandidateParams {
  /** Mean-gradient length (levels per working pixel) that seeds a region / that extends one. */
  readonly strongEdge: number;
  readonly weakEdge: number;
  /** Gradient coherence that seeds / extends (1 = never changes). */
  readonly strongCoherence: number;
  readonly weakCoherence: number;
  /**
   * Largest activity / persistence ratio that seeds / extends. An overlay edge keeps its gradient
   * *and* barely changes; a scene edge that stays put in a static-camera shot still flickers with
   * noise and small motion, which is what this ratio sees.
   */
  readonly strongActivityRatio: number;
  readonly weakActivityRatio: number;
  /**
   * Activity at or below which a pixel counts as constant (seed / extension) whatever its
   * gradients: an opaque logo's flat body and its borders, where the contrast against the moving
   * background keeps changing sign, have no persistent gradient but never change.
   */
  readonly strongConstancy: number;
  readonly weakConstancy: number;
  /** Mean absolute change per sample above which a pixel counts as "moving background". */
  readonly movingActivity: number;
  /** Share of the frame that must be moving before anything fixed means "overlay". */
  readonly minMovingShare: number;
  /** Share of the ring around a component that must be moving (a fixed patch of scene is not a logo). */
  readonly minRingMoving: number;
  /** Mean activity inside a component, relative to its ring, above which it is scene that moves too. */
  readonly maxRelativeActivity: number;
  readonly minSamples: number;
  /** Components smaller than this (working pixels) are noise; larger than this share of the frame, scene. */
  readonly minArea: number;
  readonly maxAreaShare: number;
  /**
   * Least share of its bounding box a candidate must fill. A logo, closed and filled, is compact
   * (0.43-1.00 on every logo-eval and bench clip at 640x360); what the camera model fits poorly
   * along a curved or diagonal scene edge is a thin arc across a large box (0.08-0.28: a swirl's
   * ribbon, a window frame's diagonal).
   */
  readonly minFill: number;
  /**
   * A component at least this share of the frame's height is scene: a pillar or a window frame
   * that stays put and keeps its edges while leaves move beside it, a pillarbox bar. No logo runs
   * from top to bottom. (Wide ones may be overlays: a lower-third plate spans the width.)
   */
  readonly maxHeightShare: number;
  /** Camera-moving samples after which the motion evidence is trusted (and learning ends). */
  readonly minInformative: number;
  /** Static score (see MotionEvidence) that seeds / extends, and the warped-error energy (levels^2) it needs. */
  readonly motionStrongScore: number;
  readonly motionWeakScore: number;
  readonly motionStrongEnergy: number;
  readonly motionWeakEnergy: number;
  /** Squared noise level added to the score's denominator: flat areas say nothing either way. */
  readonly motionNoise2: number;
  /** Mean static score over a candidate's textured pixels below which it is scene that happens to persist. */
  readonly motionMinComponentScore: number;
  /** Closing radius (working pixels) for outlines found by motion. */
  readonly motionCloseRadius: number;
  /**
   * A hole in a motion-found candidate (a connected piece without evidence of its own, at least
   * `holeMinArea` pixels) is scene showing through, and is cut out, when the camera's motion
   * explains it (mean static score at most `holeMaxScore`) and it changes about as much as the
   * ring around the candidate does (mean squared change between `holeMinRatio` and `holeMaxRatio`
   * times the ring's, and at least `motionStrongEnergy`). Under a translucent body the change is
   * (1-a)^2 of the ring's (0.49 at a = 0.3); a body that blinks, fades or pulses changes 2.5 to 15
   * times as much as the ring, or is not explained by the camera. A real hole changes less than the
   * ring too (its rim shares working pixels with the overlay's unchanging edge): on the 640x360
   * eval clips the holes the camera explains measured 0.6-1.5, the bodies below 0.6 or above 0.9,
   * so the lower bound is 0.6 (it was 0.9, and a ring icon kept most of its holes filled).
   */
  readonly holeMinRatio: number;
  readonly holeMaxRatio: number;
  readonly holeMaxScore: number;
  readonly holeMinArea: number;
  /** Mean luma at or beyond which a pixel is clipped (its constancy says nothing): limited-range white and black. */
  readonly saturatedAbove: number;
  readonly saturatedBelow: number;
  /** Share of a candidate's pixels that may be clipped. */
  readonly maxSaturatedShare: number;
  /** Mean squared change (levels^2) at or below which a pixel never changed. */
  readonly motionConstancy: number;
  /** Graphics told from a still scene by their lack of noise (silence.ts); `false` turns that cue off. */
  readonly silence: SilenceParams | false;
}

export const DEFAULT_CANDIDATE_PARAMS: CandidateParams = {
  strongEdge: 8,
  weakEdge: 3,
  strongCoherence: 0.85,
  weakCoherence: 0.5,
  strongActivityRatio: 0.15,
  weakActivityRatio: 0.5,
  strongConstancy: 0.4,
  weakConstancy: 0.6,
  movingActivity: 1.5,
  minMovingShare: 0.25,
  minRingMoving: 0.5,
  maxRelativeActivity: 0.5,
  minSamples: 10,
  minArea: 20,
  minFill: 0.3,
  maxAreaShare: 0.08,
  maxHeightShare: 0.8,
  minInformative: 6,
  motionStrongScore: 0.8,
  motionWeakScore: 0.6,
  motionStrongEnergy: 36,
  motionWeakEnergy: 9,
  motionNoise2: 16,
  motionMinComponentScore: 0.75,
  motionCloseRadius: 2,
  holeMinRatio: 0.6,
  holeMaxRatio: 1.5,
  holeMaxScore: 0.15,
  holeMinArea: 4,
  saturatedAbove: 233,
  saturatedBelow: 18,
  maxSaturatedShare: 0.3,
  motionConstancy: 2,
  silence: DEFAULT_SILENCE_PARAMS,
};

export interface Candidate extends Component {
  /** 0..1: how far above the seed threshold its edges stay, on average. */
  readonly confidence: number;
  /** Found because its detail ignored the camera's motion (the strong evidence), not by persistence in a still shot. */
  readonly byMotion: boolean;
}

export interface CandidateResult {
  /** True while the window holds too little background change to separate overlay from scene. */
  readonly learning: boolean;
  readonly movingShare: number;
  readonly candidates: Candidate[];
}

/** Share of pixels whose activity says the picture under them changes. */
export function movingShare(stats: PersistenceStats, threshold: number): number {
  let n = 0;
  for (let p = 0; p < stats.size; p++) if (stats.activity[p]! > threshold) n++;
  return n / stats.size;
}

/**
 * Fixed-content regions in the current statistics: persistent, coherent edges (hysteresis from
 * strong seeds through weaker ones), closed and hole-filled so flat logo interiors count, kept
 * only where the background around them moves. `excluded` pixels (user exclusion zones) are
 * never part of a candidate.
 */
export function findCandidates(stats: PersistenceStats, params: CandidateParams, excluded?: Uint8Array, motion?: MotionEvidence): CandidateResult {
  const { width: w, height: h, size } = stats;
  const share = movingShare(stats, params.movingActivity);
  const moved = motion !== undefined && motion.informative >= params.minInformative;
  if (!moved && stats.samples < params.minSamples) return { learning: true, movingShare: share, candidates: [] };
  // With the camera still, an inserted graphic is told from the scene by its silence; in a shot
  // where nothing moves that is the only evidence there is, and without it the detector waits.
  const tooTall = (c: Component) => c.y1 - c.y0 >= params.maxHeightShare * h;
  const sparse = (c: Component) => c.pixels.length < params.minFill * (c.x1 - c.x0) * (c.y1 - c.y0);
  const silent = !moved && params.silence ? silentGraphics(stats, params.silence, excluded).filter((c) => !tooTall(c) && !sparse(c)).map((c) => ({ ...c, confidence: edgeExcess(stats, c, params), byMotion: false })) : [];
  if (!moved && share < params.minMovingShare) return { learning: silent.length === 0, movingShare: share, candidates: silent };

  const strong = new Uint8Array(size);
  const weak = new Uint8Array(size);
  // With the camera moving, which motion explains a pixel says more than any single-image cue:
  // scene texture parallel to a slow pan persists too, so the persistence cues are left out.
  for (let p = 0; p < size && !moved; p++) {
    if (excluded?.[p]) continue;
    const act = stats.activity[p]!;
    if (act <= params.weakConstancy) weak[p] = 1;
    const pers = stats.persistence(p);
    if (pers < params.weakEdge) continue;
    const coh = stats.coherence(p);
    // Constancy seeds only where there is some fixed detail: a flat patch of sky or a clipped
    // highlight is constant too, but it may only join a region that real detail has started. A
    // saturated pixel's constancy is the sensor's, so it never seeds even beside moving detail.
    const saturated = isSaturated(stats, p, params);
    if (!saturated && act <= params.strongConstancy && coh >= params.strongCoherence) strong[p] = 1;
    const ratio = act / pers;
    if (coh >= params.weakCoherence && ratio <= params.weakActivityRatio) weak[p] = 1;
    if (!saturated && pers >= params.strongEdge && coh >= params.strongCoherence && ratio <= params.strongActivityRatio) strong[p] = 1;
  }
  if (moved) {
    for (let p = 0; p < size; p++) {
      if (excluded?.[p]) continue;
      const e = motion.warped[p]!;
      if (e < params.motionWeakEnergy) continue;
      const score = motion.staticScore(p, params.motionNoise2);
      if (score >= params.motionWeakScore) weak[p] = 1;
      if (score >= params.motionStrongScore && e >= params.motionStrongEnergy) strong[p] = 1;
    }
    // An opaque overlay's edge never changes at all while the texture beside it moves: that seeds
    // too, and covers the side of a logo that a fast pan predicts from the logo itself. (A smooth
    // sky barely changes under a slow pan either, but nothing beside it moves much.)
    const busy = maxFilter(motion.still, w, h, 2);
    for (let p = 0; p < size; p++) {
      if (excluded?.[p] || motion.stillCount[p]! < params.minInformative || motion.still[p]! > params.motionConstancy || isSaturated(stats, p, params)) continue;
      if (busy[p]! >= params.motionStrongEnergy && stats.persistence(p) >= params.weakEdge) strong[p] = 1;
    }
  }
  const raw = hysteresis(strong, weak, w, h);
  let mask = raw;
  // Motion evidence marks an outline with gaps where the scene behind happened to match the
  // overlay's colour: a wider closing bridges them before the interior is filled.
  const close = moved ? params.motionCloseRadius : 1;
  mask = erode(dilate(mask, w, h, close), w, h, close);
  mask = fillHoles(mask, w, h);
  if (excluded) for (let p = 0; p < size; p++) if (excluded[p]) mask[p] = 0;

  const candidates: Candidate[] = [];
  const found = components(mask, w, h);
  for (const evidence of moved ? groupNear(found, 2 * params.motionCloseRadius) : found) {
    const c = moved ? carveSceneHoles(fillEnclosed(evidence, w), raw, motion, params, w, h) : evidence;
    if (c.pixels.length < params.minArea || c.pixels.length > params.maxAreaShare * size || tooTall(c) || sparse(c)) continue;
    // Scored on the evidence itself, not the filled interior: inside a translucent logo the scene
    // shows through and moves with the camera, as it should.
    const fixedByMotion = moved ? motionComponentScore(motion, evidence, params, raw) : undefined;
    if (fixedByMotion !== undefined) {
      // The camera moved: what decides is whether the component's detail ignored that motion. A
      // translucent logo lets the scene's activity through and may sit on a flat patch of sky, so
      // the activity tests below would miss it.
      if (fixedByMotion < params.motionMinComponentScore) continue;
    } else {
      // Without camera motion, a clipped highlight is constant and edged like an overlay, but
      // it is the sensor's limit: a candidate made largely of it is scene. (With motion, an
      // overlay's white is told apart by what the camera does, so it is not held against it.)
      let saturated = 0;
      for (const p of c.pixels) if (isSaturated(stats, p, params)) saturated++;
      if (saturated > params.maxSaturatedShare * c.pixels.length) continue;
      const ring = ringActivity(stats, c, params.movingActivity);
      if (ring.movingShare < params.minRingMoving) continue;
      let act = 0;
      for (const p of c.pixels) act += stats.activity[p]!;
      if (act / c.pixels.length > params.maxRelativeActivity * ring.mean) continue;
    }
    candidates.push({ ...c, confidence: fixedByMotion ?? edgeExcess(stats, c, params), byMotion: fixedByMotion !== undefined });
  }
  // A silent graphic the persistence cues also found (or joined to the still scene) is kept once.
  for (const s of silent) if (!candidates.some((c) => overlapShare(s, c) > 0.5)) candidates.push(s);
  return { learning: false, movingShare: share, candidates };
}

/** 0..1: how far above the seed threshold a candidate's edges stay, on average. */
function edgeExcess(stats: PersistenceStats, c: Component, params: CandidateParams): number {
  let excess = 0;
  for (const p of c.pixels) excess += Math.min(1, stats.persistence(p) / (2 * params.strongEdge));
  return excess / c.pixels.length;
}

/** Share of `a`'s box inside `b`'s box. */
function overlapShare(a: Component, b: Component): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return iw > 0 && ih > 0 ? (iw * ih) / Math.max(1, (a.x1 - a.x0) * (a.y1 - a.y0)) : 0;
}

/**
 * Components whose boxes come within `gap` pixels of each other, merged: motion evidence draws a
 * faint logo's outline in pieces (its corners, where the scene behind matched it), and the
 * interior is only enclosed by all of them together.
 */
function groupNear(parts: readonly Component[], gap: number): Component[] {
  const groups = parts.map((c) => ({ ...c, pixels: [...c.pixels] }));
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < groups.length && !merged; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = groups[i]!, b = groups[j]!;
        if (a.x0 - gap >= b.x1 || b.x0 - gap >= a.x1 || a.y0 - gap >= b.y1 || b.y0 - gap >= a.y1) continue;
        groups[i] = { pixels: a.pixels.concat(b.pixels), x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
        groups.splice(j, 1);
        merged = true;
        break;
      }
    }
  }
  return groups;
}

/**
 * Cuts out of a motion-found candidate the holes the scene shows through (see
 * CandidateParams.holeMinRatio). Closing and filling give a ring-shaped icon its whole disc: an
 * opaque ring with the picture moving inside it (full bench pan-opaque-logo-2) scored precision 0.65.
 */
function carveSceneHoles(c: Component, raw: Uint8Array, motion: MotionEvidence, params: CandidateParams, w: number, h: number): Component {
  const bw = c.x1 - c.x0, bh = c.y1 - c.y0;
  const at = (k: number) => (Math.floor(k / bw) + c.y0) * w + (k % bw) + c.x0;
  const inside = new Uint8Array(bw * bh);
  for (const p of c.pixels) inside[(Math.floor(p / w) - c.y0) * bw + (p % w) - c.x0] = 1;
  // Pieces are judged, not pixels: an opaque body (no change at all) often touches a hole through
  // a gap in the edge evidence, and single pixels of a fading body look like scene.
  const holes = new Uint8Array(bw * bh);
  for (let k = 0; k < bw * bh; k++) if (inside[k] && !raw[at(k)] && motion.still[at(k)]! >= params.motionStrongEnergy) holes[k] = 1;
  const pieces = components(holes, bw, bh).filter((piece) => piece.pixels.length >= params.holeMinArea);
  if (pieces.length === 0) return c;
  // The scene's own change next to the candidate: a 3-pixel ring outside its box.
  let ringSum = 0, ringN = 0;
  for (let y = Math.max(0, c.y0 - 3); y < Math.min(h, c.y1 + 3); y++) {
    for (let x = Math.max(0, c.x0 - 3); x < Math.min(w, c.x1 + 3); x++) {
      const p = y * w + x;
      if ((x >= c.x0 && x < c.x1 && y >= c.y0 && y < c.y1) || motion.stillCount[p]! < params.minInformative) continue;
      ringSum += motion.still[p]!;
      ringN++;
    }
  }
  if (ringN === 0) return c;
  const ring = ringSum / ringN;
  let cut = false;
  for (const piece of pieces) {
    let still = 0, score = 0;
    for (const k of piece.pixels) {
      still += motion.still[at(k)]!;
      score += motion.staticScore(at(k), params.motionNoise2);
    }
    const ratio = still / piece.pixels.length / ring;
    if (score / piece.pixels.length > params.holeMaxScore || ratio < params.holeMinRatio || ratio > params.holeMaxRatio) continue;
    for (const k of piece.pixels) inside[k] = 0;
    cut = true;
  }
  if (!cut) return c;
  return componentOf(c.pixels.filter((p) => inside[(Math.floor(p / w) - c.y0) * bw + (p % w) - c.x0]), w, h);
}

/** Largest value within a (2r+1) square, by a row pass and a column pass. */
function maxFilter(v: Float32Array, w: number, h: number, r: number): Float32Array {
  const rows = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = -Infinity;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++) m = Math.max(m, v[y * w + k]!);
      rows[y * w + x] = m;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = -Infinity;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++) m = Math.max(m, rows[k * w + x]!);
      out[y * w + x] = m;
    }
  }
  return out;
}

/** Mean static score over the component's textured pixels; undefined when it has too few to tell. */
/**
 * Scored over the evidence itself (`raw`, before closing and filling): a thin icon's strokes with
 * the scene showing between them are closed into one piece. The scene pixels that brought in
 * dragged an opaque ring icon to 0.56 and it was never found. The bar is higher than over the
 * closed piece (0.75, was 0.65), because the scene's own doubtful pixels no longer dilute it.
 */
function motionComponentScore(motion: MotionEvidence, c: Component, params: CandidateParams, raw: Uint8Array): number | undefined {
  let sum = 0, n = 0;
  for (const p of c.pixels) {
    if (motion.warped[p]! < params.motionWeakEnergy || !raw[p]) continue;
    sum += motion.staticScore(p, params.motionNoise2);
    n++;
  }
  return n >= Math.max(4, 0.1 * c.pixels.length) ? sum / n : undefined;
}

function isSaturated(stats: PersistenceStats, p: number, params: CandidateParams): boolean {
  const m = stats.mean[p]!;
  return m >= params.saturatedAbove || m <= params.saturatedBelow;
}

/** Share of moving pixels and mean activity on a 2-pixel ring just outside the component's box. */
function ringActivity(stats: PersistenceStats, c: Component, threshold: number): { movingShare: number; mean: number } {
  const { width: w, height: h } = stats;
  const x0 = Math.max(0, c.x0 - 3), x1 = Math.min(w, c.x1 + 3);
  const y0 = Math.max(0, c.y0 - 3), y1 = Math.min(h, c.y1 + 3);
  let n = 0, moving = 0, sum = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (x >= c.x0 - 1 && x < c.x1 + 1 && y >= c.y0 - 1 && y < c.y1 + 1) continue;
      const a = stats.activity[y * w + x]!;
      n++;
      sum += a;
      if (a > threshold) moving++;
    }
  }
  return n ? { movingShare: moving / n, mean: sum / n } : { movingShare: 0, mean: 0 };
}

