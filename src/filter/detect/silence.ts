import { components, dilate, erode, fillHoles, type Component } from './mask-ops.js';
import type { PersistenceStats } from './persistence.js';

/**
 * Graphics keyed on after the camera, found by their silence. In a still shot the persistence cues
 * cannot tell a logo from the window frame it sits on: both keep their edges. What differs is the
 * noise. Sensor and codec noise makes every pixel of a real still scene flicker a little (mean
 * change 0.2-0.8 levels per sample on tree.avi), while an inserted opaque graphic is the same
 * bytes every frame (0.000). The cue switches itself off where the still scene is itself nearly
 * noiseless (a synthetic still, or a stream whose encoder skips static blocks): there silence
 * says nothing, and the detector keeps waiting as before.
 */
export interface SilenceParams {
  /** Median activity of the still part of the picture below which the cue is off. */
  readonly sceneNoiseFloor: number;
  /**
   * A pixel is silent at or below this share of that noise. Letting quieter-than-noise pixels join
   * a silent one (a soft edge lets some noise through) leaked into the scene's quiet pixels and cost
   * the whole graphic its ring test: video-opaque-0 went from IoU 0.705 to 0.000 at 0.4.
   */
  readonly silentRatio: number;
  /** Activity above which a pixel moves (the still part is the rest). */
  readonly movingActivity: number;
  /** Persistent edge (levels per working pixel) a graphic must have in some of its pixels: a flat silent patch is a frozen area, not a logo. */
  readonly minEdge: number;
  readonly minEdgeShare: number;
  /** Mean activity on the ring around a component, relative to the noise, at or above which its surroundings are the noisy scene. */
  readonly minRingNoise: number;
  readonly minArea: number;
  readonly maxAreaShare: number;
  /** Mean luma at or beyond which a pixel is clipped (a sensor's limit is silent too). */
  readonly saturatedAbove: number;
  readonly saturatedBelow: number;
  readonly maxSaturatedShare: number;
}

export const DEFAULT_SILENCE_PARAMS: SilenceParams = {
  sceneNoiseFloor: 0.2,
  silentRatio: 0.25,
  movingActivity: 1.5,
  minEdge: 8,
  minEdgeShare: 0.15,
  minRingNoise: 0.6,
  minArea: 20,
  maxAreaShare: 0.08,
  saturatedAbove: 233,
  saturatedBelow: 18,
  maxSaturatedShare: 0.3,
};

/** Median activity over the pixels that do not move, from a histogram in 1/100 level steps. */
export function stillSceneNoise(stats: PersistenceStats, movingActivity: number): number {
  const bins = new Uint32Array(Math.ceil(movingActivity * 100) + 1);
  let n = 0;
  for (let p = 0; p < stats.size; p++) {
    const a = stats.activity[p]!;
    if (a > movingActivity) continue;
    bins[Math.round(a * 100)]!++;
    n++;
  }
  for (let b = 0, seen = 0; b < bins.length; b++) if ((seen += bins[b]!) * 2 >= n && n > 0) return b / 100;
  return 0;
}

/** Components that never changed while the still scene around them kept its noise. */
export function silentGraphics(stats: PersistenceStats, params: SilenceParams, excluded?: Uint8Array): Component[] {
  const { width: w, height: h, size } = stats;
  const noise = stillSceneNoise(stats, params.movingActivity);
  if (noise < params.sceneNoiseFloor) return [];
  let mask: Uint8Array = new Uint8Array(size);
  for (let p = 0; p < size; p++) if (!excluded?.[p] && stats.activity[p]! <= params.silentRatio * noise) mask[p] = 1;
  // Closing joins a letter to its anti-aliased outline (which lets a little noise through).
  mask = fillHoles(erode(dilate(mask, w, h, 1), w, h, 1), w, h);
  if (excluded) for (let p = 0; p < size; p++) if (excluded[p]) mask[p] = 0;
  const found: Component[] = [];
  for (const c of components(mask, w, h)) {
    const n = c.pixels.length;
    if (n < params.minArea || n > params.maxAreaShare * size) continue;
    let edged = 0, saturated = 0;
    for (const p of c.pixels) {
      if (stats.persistence(p) >= params.minEdge) edged++;
      const m = stats.mean[p]!;
      if (m >= params.saturatedAbove || m <= params.saturatedBelow) saturated++;
    }
    if (edged < params.minEdgeShare * n || saturated > params.maxSaturatedShare * n) continue;
    if (ringMean(stats, mask, c) < params.minRingNoise * noise) continue;
    found.push(c);
  }
  return found;
}

/** Mean activity of the pixels within 2 of the component (its box grown by 2) that are not silent. */
function ringMean(stats: PersistenceStats, mask: Uint8Array, c: Component): number {
  const { width: w, height: h } = stats;
  let n = 0, sum = 0;
  for (let y = Math.max(0, c.y0 - 2); y < Math.min(h, c.y1 + 2); y++) {
    for (let x = Math.max(0, c.x0 - 2); x < Math.min(w, c.x1 + 2); x++) {
      const p = y * w + x;
      if (mask[p]) continue;
      n++;
      sum += stats.activity[p]!;
    }
  }
  return n ? sum / n : 0;
}
