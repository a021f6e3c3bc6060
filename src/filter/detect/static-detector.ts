import type { Rect, VideoFrame } from '../../core/frame.js';
import type { Region, RegionState } from '../filter.js';
import { DEFAULT_CANDIDATE_PARAMS, findCandidates, type CandidateParams } from './candidates.js';
import { downscaleChroma, downscaleLuma, workingScale } from './downscale.js';
import { DEFAULT_FOLLOWER_PARAMS, RegionFollower, type Followed, type FollowerParams } from './follower.js';
import { DEFAULT_MOTION_EVIDENCE, MotionEvidence, type MotionEvidenceParams } from './motion-evidence.js';
import { PersistenceStats } from './persistence.js';
import { DEFAULT_TRACKER_PARAMS, RegionTracker, type TrackedRegion, type TrackerParams } from './tracker.js';

export interface StaticDetectorOptions {
  /** Feed every n-th frame to the statistics: consecutive frames add little new background. */
  readonly sampleEvery: number;
  /** Re-extract regions every n samples (labelling costs more than a sample). */
  readonly extractEvery: number;
  /** Samples the exponential window remembers (sampleEvery * memorySamples frames). */
  readonly memorySamples: number;
  /** Widest working resolution, in columns. */
  readonly maxColumns: number;
  readonly candidates: CandidateParams;
  readonly tracker: TrackerParams;
  readonly follower: FollowerParams;
  /** Camera-motion evidence (its memory is `memorySamples`, whatever this says). */
  readonly motion: MotionEvidenceParams;
  /**
   * In a still shot, how long a region confirmed for at least this long stays removed while the
   * statistics miss it and its follower still sees it (see reportedState).
   */
  readonly stillGraceMs: number;
  /** Samples in a row a confirmed region off screen holds back the motion evidence around it (a blink's off-phase). */
  readonly maxHoldSamples: number;
  /** Luma rectangles never reported as overlay (user exclusion zones). */
  readonly exclusions: readonly Rect[];
}

export const DEFAULT_STATIC_DETECTOR: StaticDetectorOptions = {
  sampleEvery: 2,
  extractEvery: 4,
  memorySamples: 48,
  maxColumns: 480,
  candidates: DEFAULT_CANDIDATE_PARAMS,
  tracker: DEFAULT_TRACKER_PARAMS,
  follower: DEFAULT_FOLLOWER_PARAMS,
  motion: DEFAULT_MOTION_EVIDENCE,
  stillGraceMs: 2000,
  maxHoldSamples: 15,
  exclusions: [],
};

/** Smallest working scale at which chroma (half resolution) is as fine as the working grid. */
const MIN_CHROMA_SCALE = 2;

interface Geometry {
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly stats: PersistenceStats;
  readonly motion: MotionEvidence;
  /** Two luma buffers, alternated: the motion evidence keeps the previous sample by reference. */
  readonly luma: [Float32Array, Float32Array];
  /** U and V at the working resolution (the motion evidence copies what it keeps). */
  readonly chroma: [Float32Array, Float32Array];
  readonly excluded: Uint8Array;
}

/**
 * Finds overlays that stay fixed while the picture moves (logos, bugs, watermarks), amortised:
 * a downscaled sample every few frames, region extraction every few samples. It reports nothing
 * until the background has changed enough to tell overlay from scene ("learning").
 */
export class StaticOverlayDetector {
  private readonly opts: StaticDetectorOptions;
  private geo: Geometry | undefined;
  private readonly tracker: RegionTracker;
  private readonly follower: RegionFollower;
  private frames = 0;
  /** Presentation time of the last frame observed. */
  private nowMs = 0;
  private learningNow = true;
  private extractPending = false;
  private cached: Region[] = [];
  private exclusions: Rect[];

  constructor(opts: Partial<StaticDetectorOptions> = {}) {
    this.opts = { ...DEFAULT_STATIC_DETECTOR, ...opts };
    this.exclusions = [...this.opts.exclusions];
    this.tracker = new RegionTracker(this.opts.tracker);
    this.follower = new RegionFollower(this.opts.follower);
  }

  /** True until the window separates overlay from scene. */
  get learning(): boolean {
    return this.learningNow;
  }

  /** Feeds one frame; returns true when the regions were re-extracted. */
  observe(frame: VideoFrame): boolean {
    const geo = this.geometry(frame.width, frame.height);
    this.nowMs = frame.ptsMs;
    const sample = this.frames++ % this.opts.sampleEvery === 0;
    if (sample) {
      const luma = geo.luma[geo.stats.samples % 2]!;
      downscaleLuma(frame.data, frame.width, frame.height, geo.scale, luma);
      geo.stats.add(luma);
      // Presence first: where a known overlay is off screen now, this sample says nothing about it.
      this.follower.update(luma, geo.stats.width, geo.stats.height);
      // Chroma joins the motion evidence only where its grid is at least as fine as the working
      // one: upsampled 4:2:0 chroma (scale 1) smears every colour edge a working pixel outwards,
      // and the found masks grew by that halo (logo-eval at 320x240: precision 0.94 -> 0.87).
      const chroma = geo.scale >= MIN_CHROMA_SCALE ? geo.chroma : undefined;
      if (chroma) downscaleChroma(frame.data, frame.width, frame.height, geo.scale, chroma[0], chroma[1]);
      geo.motion.add(luma, this.overlayMask(geo), chroma, this.offScreen(geo));
      this.publish(geo);
      if (geo.stats.samples % this.opts.extractEvery === 0) this.extractPending = true;
    }
    // Extraction waits for a frame that took no sample (when there is one), so no single frame
    // pays for both: that is what keeps the worst frame inside the live budget.
    if (!this.extractPending || (sample && this.opts.sampleEvery > 1)) return false;
    this.extractPending = false;
    const found = findCandidates(geo.stats, this.opts.candidates, geo.excluded, geo.motion);
    this.learningNow = found.learning;
    this.tracker.update(found.candidates, frame.ptsMs);
    for (const r of this.tracker.all) {
      // Freshly seen where the statistics put it: the follower starts again from there.
      if (r.state !== 'learning' && r.misses === 0) this.follower.anchor(r.id, r, geo.stats.gx, geo.stats.gy, geo.stats.width, geo.stats.height);
    }
    this.follower.forget(new Set(this.tracker.all.map((r) => r.id)));
    this.publish(geo);
    return true;
  }

  /**
   * The regions as reported: a confirmed region is removed while the follower sees it on screen,
   * wherever it has slid to, and remembered (lost) while it is off; the statistics alone decide
   * only before confirmation.
   */
  private publish(geo: Geometry): void {
    this.cached = this.tracker.all.map((r) => toRegion(r, geo, r.state === 'learning' ? undefined : this.follower.get(r.id), this.nowMs, this.opts.stillGraceMs));
  }

  /** Every tracked region (learning, active and lost), in luma coordinates with its mask. */
  regions(): readonly Region[] {
    return this.cached;
  }

  /** Replaces the exclusion zones; takes effect from the next extraction, statistics are kept. */
  setExclusions(rects: readonly Rect[]): void {
    this.exclusions = [...rects];
    if (this.geo) excludedMask(this.exclusions, this.geo.scale, this.geo.stats.width, this.geo.stats.height, this.geo.excluded);
  }

  private geometry(width: number, height: number): Geometry {
    if (this.geo && this.geo.width === width && this.geo.height === height) return this.geo;
    // A new resolution means old statistics no longer line up with the picture.
    const scale = workingScale(width, this.opts.maxColumns);
    const w = Math.floor(width / scale), h = Math.floor(height / scale);
    const excluded = excludedMask(this.exclusions, scale, w, h, new Uint8Array(w * h));
    this.tracker.clear();
    this.follower.clear();
    this.cached = [];
    this.learningNow = true;
    this.extractPending = false;
    this.geo = {
      width, height, scale, excluded,
      stats: new PersistenceStats(w, h, this.opts.memorySamples),
      motion: new MotionEvidence(w, h, { ...this.opts.motion, memorySamples: this.opts.memorySamples }),
      luma: [new Float32Array(w * h), new Float32Array(w * h)],
      chroma: [new Float32Array(w * h), new Float32Array(w * h)],
    };
    return this.geo;
  }

  /**
   * Working-resolution pixels around confirmed regions the follower finds off screen now (their box
   * grown by half its larger side: what was found of a blinking logo may be only part of it), or
   * undefined when none is. Only for the length of an off-phase (`maxHoldSamples`): a region that
   * stays off is not held, so that evidence keeps coming in to correct one that was scene (held
   * for good, a false region on a swirl's ribbons was confirmed again and again: bench
   * pan-dynamic-ticker-0, area outside overlays 0.155 -> 0.675 %).
   */
  private offScreen(geo: Geometry): Uint8Array | undefined {
    let m: Uint8Array | undefined;
    const { width: w, height: h } = geo.stats;
    for (const r of this.tracker.all) {
      const f = r.state === 'learning' ? undefined : this.follower.get(r.id);
      if (!f || f.offSamples === 0 || f.offSamples > this.opts.maxHoldSamples) continue;
      m ??= new Uint8Array(w * h);
      const g = Math.ceil(Math.max(r.x1 - r.x0, r.y1 - r.y0) / 2);
      const x0 = Math.max(0, r.x0 + f.dx - g), x1 = Math.min(w, r.x1 + f.dx + g);
      for (let y = Math.max(0, r.y0 + f.dy - g); y < Math.min(h, r.y1 + f.dy + g); y++) if (x1 > x0) m.fill(1, y * w + x0, y * w + x1);
    }
    return m;
  }

  /** Working-resolution pixels of tracked regions (and exclusion zones): they do not move with the camera. */
  private overlayMask(geo: Geometry): Uint8Array | undefined {
    const regions = this.tracker.all;
    if (regions.length === 0) return geo.excluded;
    const m = geo.excluded.slice();
    for (const r of regions) for (const p of r.pixels) m[p] = 1;
    return m;
  }
}

/** Working-resolution pixels touched by any of the luma rectangles, written into `out`. */
function excludedMask(rects: readonly Rect[], scale: number, w: number, h: number, out: Uint8Array): Uint8Array {
  out.fill(0);
  for (const r of rects) {
    for (let y = Math.max(0, Math.floor(r.y / scale)); y < Math.min(h, Math.ceil((r.y + r.height) / scale)); y++) {
      out.fill(1, y * w + Math.max(0, Math.floor(r.x / scale)), y * w + Math.min(w, Math.ceil((r.x + r.width) / scale)));
    }
  }
  return out;
}

/** Scales a tracked region's working-resolution pixels up to a luma rectangle and mask, where the follower sees it now. */
function toRegion(r: TrackedRegion, geo: Geometry, followed: Followed | undefined, nowMs: number, graceMs: number): Region {
  const s = geo.scale;
  const w = geo.stats.width;
  const dx = followed?.dx ?? 0, dy = followed?.dy ?? 0;
  const rect = { x: (r.x0 + dx) * s, y: (r.y0 + dy) * s, width: (r.x1 - r.x0) * s, height: (r.y1 - r.y0) * s };
  const mask = new Uint8Array(rect.width * rect.height);
  for (const p of r.pixels) {
    const px = (p % w) - r.x0, py = Math.floor(p / w) - r.y0;
    for (let dy = 0; dy < s; dy++) mask.fill(1, (py * s + dy) * rect.width + px * s, (py * s + dy) * rect.width + px * s + s);
  }
  return { id: r.id, kind: 'logo', rect, enabled: true, mask, confidence: r.confidence, state: reportedState(r, followed, nowMs, graceMs) };
}

/**
 * While the statistics still see a confirmed region, the follower says whether it is on screen
 * this moment. Once they have lost it (a bug fading or pulsing dilutes them), the follower is
 * trusted only where a template match means something: the region was confirmed while the
 * camera moved (scene would have moved away from it), or it has been seen going off and coming
 * back. In a still shot, scene the statistics gave up would match its template for ever.
 */
export function reportedState(r: TrackedRegion, followed: Followed | undefined, nowMs: number, graceMs: number): RegionState {
  if (followed === undefined || r.state === 'learning') return r.state;
  if (r.state === 'active') return followed.present ? 'active' : 'lost';
  if (followed.present && (r.byMotion || followed.blinked)) return 'active';
  // A still shot's long-confirmed region that the statistics miss for a moment (a translucent logo
  // over a sky whose exposure flickers: lost for 0.6 s twice in 10 s, the follower matching at
  // 0.99 throughout) stays while it is on screen, for at most as long as it had been confirmed
  // and at most `graceMs`: scene the statistics gave up would match its template for ever.
  // A publisher that reconnects starts its timestamps afresh: time that runs backwards grants nothing.
  const confirmedFor = r.lastSeenMs - r.activeSinceMs;
  const missedFor = nowMs - r.lastSeenMs;
  return followed.present && missedFor >= 0 && missedFor <= Math.min(graceMs, confirmedFor) ? 'active' : 'lost';
}
