import { components, dilate, erode, fillHoles, hysteresis, type Component } from './mask-ops.js';
import type { PersistenceStats } from './persistence.js';

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
  maxAreaShare: 0.08,
};

export interface Candidate extends Component {
  /** 0..1: how far above the seed threshold its edges stay, on average. */
  readonly confidence: number;
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
export function findCandidates(stats: PersistenceStats, params: CandidateParams, excluded?: Uint8Array): CandidateResult {
  const { width: w, height: h, size } = stats;
  const share = movingShare(stats, params.movingActivity);
  if (stats.samples < params.minSamples || share < params.minMovingShare) return { learning: true, movingShare: share, candidates: [] };

  const strong = new Uint8Array(size);
  const weak = new Uint8Array(size);
  for (let p = 0; p < size; p++) {
    if (excluded?.[p]) continue;
    const act = stats.activity[p]!;
    if (act <= params.weakConstancy) weak[p] = 1;
    const pers = stats.persistence(p);
    if (pers < params.weakEdge) continue;
    const coh = stats.coherence(p);
    // Constancy seeds only where there is some fixed detail: a flat patch of sky or a clipped
    // highlight is constant too, but it may only join a region that real detail has started.
    if (act <= params.strongConstancy && coh >= params.strongCoherence) strong[p] = 1;
    const ratio = act / pers;
    if (coh >= params.weakCoherence && ratio <= params.weakActivityRatio) weak[p] = 1;
    if (pers >= params.strongEdge && coh >= params.strongCoherence && ratio <= params.strongActivityRatio) strong[p] = 1;
  }
  let mask = hysteresis(strong, weak, w, h);
  mask = erode(dilate(mask, w, h, 1), w, h, 1);
  mask = fillHoles(mask, w, h);
  if (excluded) for (let p = 0; p < size; p++) if (excluded[p]) mask[p] = 0;

  const candidates: Candidate[] = [];
  for (const c of components(mask, w, h)) {
    if (c.pixels.length < params.minArea || c.pixels.length > params.maxAreaShare * size) continue;
    const ring = ringActivity(stats, c, params.movingActivity);
    if (ring.movingShare < params.minRingMoving) continue;
    let act = 0;
    for (const p of c.pixels) act += stats.activity[p]!;
    if (act / c.pixels.length > params.maxRelativeActivity * ring.mean) continue;
    let excess = 0;
    for (const p of c.pixels) excess += Math.min(1, stats.persistence(p) / (2 * params.strongEdge));
    candidates.push({ ...c, confidence: excess / c.pixels.length });
  }
  return { learning: false, movingShare: share, candidates };
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
