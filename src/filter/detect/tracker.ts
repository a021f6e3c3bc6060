import type { RegionState } from '../filter.js';
import type { Candidate } from './candidates.js';

/** A detected overlay as the tracker keeps it, in working-resolution pixels. */
export interface TrackedRegion {
  readonly id: string;
  state: RegionState;
  confidence: number;
  /** Pixel indices (working resolution) and their bounding box (x1/y1 exclusive). */
  pixels: number[];
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Consecutive extractions that found / missed it. */
  hits: number;
  misses: number;
  lastSeenMs: number;
  /** When it was first confirmed (NaN: still learning); a spell lost does not reset it. */
  activeSinceMs: number;
  /** Ever confirmed by camera-motion evidence: then matching its own template means it is on screen. */
  byMotion: boolean;
}

export interface TrackerParams {
  /** Consecutive sightings before a region is trusted enough to be removed. */
  readonly confirmHits: number;
  /** Consecutive misses before an active region counts as lost (hysteresis on disappearance). */
  readonly lostAfterMisses: number;
  /** How long a lost region is remembered: it comes back active, same id, if seen again. */
  readonly forgetMs: number;
  /** Overlap (intersection over union) that makes a candidate the same region. */
  readonly matchIou: number;
  /** Share of a region's pixels inside a candidate that makes the candidate the same region too. */
  readonly containShare: number;
}

export const DEFAULT_TRACKER_PARAMS: TrackerParams = { confirmHits: 2, lostAfterMisses: 3, forgetMs: 20_000, matchIou: 0.3, containShare: 0.8 };

/** Gives candidates stable identities and the learning -> active -> lost life cycle. */
export class RegionTracker {
  private regions: TrackedRegion[] = [];
  private nextId = 1;

  constructor(private readonly params: TrackerParams = DEFAULT_TRACKER_PARAMS) {}

  get all(): readonly TrackedRegion[] {
    return this.regions;
  }

  update(candidates: readonly Candidate[], nowMs: number): void {
    const labels = new Map<number, number>();
    candidates.forEach((c, k) => c.pixels.forEach((p) => labels.set(p, k)));
    const claimed = new Set<number>();
    for (const r of this.regions) {
      const best = this.bestMatch(r, candidates, labels, claimed);
      if (best < 0) {
        this.miss(r);
        continue;
      }
      claimed.add(best);
      this.hit(r, candidates[best]!, nowMs);
    }
    candidates.forEach((c, k) => {
      if (claimed.has(k)) return;
      const r: TrackedRegion = { id: `logo-${this.nextId++}`, state: 'learning', confidence: 0, pixels: [], x0: 0, y0: 0, x1: 0, y1: 0, hits: 0, misses: 0, lastSeenMs: nowMs, activeSinceMs: Number.NaN, byMotion: false };
      this.hit(r, c, nowMs);
      this.regions.push(r);
    });
    this.regions = this.regions.filter((r) => !(r.state === 'learning' && r.misses > 0) && !(r.state === 'lost' && nowMs - r.lastSeenMs > this.params.forgetMs));
  }

  /** Forgets everything, e.g. on a resolution change. */
  clear(): void {
    this.regions = [];
  }

  private bestMatch(r: TrackedRegion, candidates: readonly Candidate[], labels: Map<number, number>, claimed: Set<number>): number {
    const overlap = new Map<number, number>();
    for (const p of r.pixels) {
      const k = labels.get(p);
      if (k !== undefined && !claimed.has(k)) overlap.set(k, (overlap.get(k) ?? 0) + 1);
    }
    let best = -1, bestIou = -1;
    for (const [k, inter] of overlap) {
      const iou = inter / (r.pixels.length + candidates[k]!.pixels.length - inter);
      // A region first seen as a fragment (a corner of a faint plate) is the same overlay when a
      // later, fuller candidate contains it: by IoU alone it became a second region, the fragment
      // stayed "active" on the follower's word beside it, and the operator's switch for the first
      // id no longer covered what was removed.
      const same = iou >= this.params.matchIou || inter >= this.params.containShare * r.pixels.length;
      if (same && iou > bestIou) {
        best = k;
        bestIou = iou;
      }
    }
    return best;
  }

  private hit(r: TrackedRegion, c: Candidate, nowMs: number): void {
    r.pixels = c.pixels;
    r.x0 = c.x0;
    r.y0 = c.y0;
    r.x1 = c.x1;
    r.y1 = c.y1;
    r.hits++;
    r.misses = 0;
    r.lastSeenMs = nowMs;
    r.byMotion ||= c.byMotion;
    r.confidence = r.hits === 1 ? c.confidence : 0.7 * r.confidence + 0.3 * c.confidence;
    // A remembered region that shows again is trusted at once: that is what the memory is for.
    if (r.state === 'lost' || r.hits >= this.params.confirmHits) {
      // A region back from lost keeps its first confirmation: one life, with gaps.
      if (r.state === 'learning') r.activeSinceMs = nowMs;
      r.state = 'active';
    }
  }

  private miss(r: TrackedRegion): void {
    r.hits = 0;
    r.misses++;
    if (r.state === 'active' && r.misses >= this.params.lostAfterMisses) r.state = 'lost';
  }
}
