/**
 * Sample-by-sample presence and position of the overlays the detector has confirmed.
 *
 * The detector's statistics span seconds, so on their own they would remove a blinking bug while
 * it is off and miss one that slides. Each confirmed region keeps a template of its edges (the
 * gradient field over its box) and, on every sample, the current picture's gradients are
 * correlated with it at small offsets: a strong match means the overlay is on screen (where the
 * best offset says), a weak one for a couple of samples means it is off. Gradients, normalised,
 * make the match indifferent to the overlay's current opacity (fades, pulses) and to what the
 * scene behind a translucent overlay does.
 */

export interface FollowerParams {
  /** Normalised correlation at or above which an absent overlay counts as back. */
  readonly presentScore: number;
  /** Below this for `absentSamples` samples in a row, a present overlay counts as gone. */
  readonly absentScore: number;
  readonly absentSamples: number;
  /** Offsets searched around the last position, in working pixels per sample. */
  readonly search: number;
  /** How fast the template follows what the overlay looks like now (per present sample). */
  readonly templateRate: number;
  /** The template learns only from clear matches: a doubtful one would teach it the scene, and it would follow that. */
  readonly refreshScore: number;
  /** An offset only wins over staying put by this much correlation (noise must not make a logo wander). */
  readonly moveMargin: number;
  /** Furthest (working pixels, each axis) a region may slide from where the statistics last put it. */
  readonly maxDrift: number;
}

export const DEFAULT_FOLLOWER_PARAMS: FollowerParams = {
  presentScore: 0.35,
  absentScore: 0.15,
  absentSamples: 1,
  search: 2,
  templateRate: 0.03,
  refreshScore: 0.5,
  moveMargin: 0.08,
  maxDrift: 8,
};

/** What a followed region looks like and where it is now. */
export interface Followed {
  present: boolean;
  /** It has gone off screen at least once since it was first followed (a blinking or fading bug). */
  blinked: boolean;
  /** Offset from the position the detector last extracted, in working pixels. */
  dx: number;
  dy: number;
  score: number;
  /** Samples in a row it has been found off screen (0 while present). */
  offSamples: number;
}

interface Template {
  /** Box (working pixels) the template covers, at the region's extracted position. */
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly gx: Float32Array;
  readonly gy: Float32Array;
  state: Followed;
  absentRun: number;
}

/** Margin of picture around a region's box that the template includes: the outline's outer side. */
const MARGIN = 2;

export class RegionFollower {
  private readonly templates = new Map<string, Template>();
  /** The sample last matched: the detector alternates two buffers, so it is intact until the next update. */
  private last: { luma: Float32Array; width: number; height: number } | undefined;

  constructor(private readonly params: FollowerParams = DEFAULT_FOLLOWER_PARAMS) {}

  /**
   * (Re)starts following a region at its freshly extracted box, its template taken from the mean
   * gradient field (`meanGx`/`meanGy`, working resolution): what stayed put over the statistics'
   * window is the overlay's own edges.
   */
  anchor(id: string, box: { x0: number; y0: number; x1: number; y1: number }, meanGx: Float32Array, meanGy: Float32Array, width: number, height: number): void {
    const x0 = Math.max(1, box.x0 - MARGIN), y0 = Math.max(1, box.y0 - MARGIN);
    const x1 = Math.min(width - 1, box.x1 + MARGIN), y1 = Math.min(height - 1, box.y1 + MARGIN);
    const w = x1 - x0, h = y1 - y0;
    if (w < 2 || h < 2) return;
    const prev = this.templates.get(id);
    const gx = new Float32Array(w * h), gy = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        gx[y * w + x] = meanGx[(y0 + y) * width + x0 + x]!;
        gy[y * w + x] = meanGy[(y0 + y) * width + x0 + x]!;
      }
    }
    // A re-anchored region keeps its on/off state: re-extraction says where, not whether.
    const state: Followed = { present: prev?.state.present ?? true, blinked: prev?.state.blinked ?? false, dx: 0, dy: 0, score: prev?.state.score ?? 1, offSamples: prev?.state.offSamples ?? 0 };
    const next: Template = { x0, y0, w, h, gx, gy, state, absentRun: prev?.absentRun ?? 0 };
    if (prev && this.last && this.keepsSeeing(prev, next, this.last)) return;
    this.templates.set(id, next);
  }

  /**
   * True when the template in use sees its overlay in the last sample and the new one would not.
   * While the scene behind a plate goes from brighter to darker, the window's mean outline passes
   * through zero: a template taken then holds only the faint lettering, and the outline in the
   * picture drowns it (a plate in plain view scored 0.03 for a third of a second).
   */
  private keepsSeeing(prev: Template, next: Template, last: { luma: Float32Array; width: number; height: number }): boolean {
    const p = this.params;
    if (!prev.state.present) return false;
    const old = Math.abs(correlate(prev, last.luma, last.width, last.height, prev.state.dx, prev.state.dy));
    return old >= p.presentScore && Math.abs(correlate(next, last.luma, last.width, last.height, 0, 0)) < p.presentScore;
  }

  forget(keep: ReadonlySet<string>): void {
    for (const id of this.templates.keys()) if (!keep.has(id)) this.templates.delete(id);
  }

  clear(): void {
    this.templates.clear();
    this.last = undefined;
  }

  get(id: string): Followed | undefined {
    return this.templates.get(id)?.state;
  }

  /** Matches every template against the new sample (working-resolution luma). */
  update(luma: Float32Array, width: number, height: number): void {
    const p = this.params;
    this.last = { luma, width, height };
    for (const t of this.templates.values()) {
      const s = t.state;
      let best = -Infinity, bx = s.dx, by = s.dy;
      const still = correlate(t, luma, width, height, s.dx, s.dy);
      for (let dy = Math.max(-p.maxDrift, s.dy - p.search); dy <= Math.min(p.maxDrift, s.dy + p.search); dy++) {
        for (let dx = Math.max(-p.maxDrift, s.dx - p.search); dx <= Math.min(p.maxDrift, s.dx + p.search); dx++) {
          const c = dx === s.dx && dy === s.dy ? still : correlate(t, luma, width, height, dx, dy);
          if (c > best) {
            best = c;
            bx = dx;
            by = dy;
          }
        }
      }
      if (best < still + p.moveMargin) {
        best = still;
        bx = s.dx;
        by = s.dy;
      }
      // The same edges in reversed contrast, where they were: an opaque plate whose outline was
      // dark against a bright sky and is bright against shade once the camera has panned. Its
      // template (the mean over the window) then scores about -0.9 in plain view, and read as
      // "absent" the logo was kept out of the picture for the rest of the shot. Only a clear
      // reversal counts: a scene's correlation with the template wanders about 0 by +-0.25.
      const reversed = -still >= p.presentScore && -still > best;
      if (reversed) {
        best = -still;
        bx = s.dx;
        by = s.dy;
      }
      s.score = best;
      if (best >= p.presentScore) {
        s.present = true;
        t.absentRun = 0;
        s.dx = bx;
        s.dy = by;
        // A reversed match would teach the template the opposite sign and wear it away.
        if (best >= p.refreshScore && !reversed) refresh(t, luma, width, height, bx, by, p.templateRate);
      } else if (best < p.absentScore && ++t.absentRun >= p.absentSamples) {
        if (s.present) s.blinked = true;
        s.present = false;
      }
      s.offSamples = s.present ? 0 : s.offSamples + 1;
    }
  }
}

/** Normalised correlation of the template with the picture's gradients, the box shifted by (dx, dy). */
function correlate(t: Template, luma: Float32Array, width: number, height: number, dx: number, dy: number): number {
  let dot = 0, tt = 0, gg = 0;
  for (let y = 0; y < t.h; y++) {
    const py = t.y0 + y + dy;
    if (py < 1 || py >= height - 1) continue;
    for (let x = 0; x < t.w; x++) {
      const px = t.x0 + x + dx;
      if (px < 1 || px >= width - 1) continue;
      const i = py * width + px;
      const gx = 0.5 * (luma[i + 1]! - luma[i - 1]!), gy = 0.5 * (luma[i + width]! - luma[i - width]!);
      const k = y * t.w + x;
      const tx = t.gx[k]!, ty = t.gy[k]!;
      dot += tx * gx + ty * gy;
      tt += tx * tx + ty * ty;
      gg += gx * gx + gy * gy;
    }
  }
  return tt > 1e-6 && gg > 1e-6 ? dot / Math.sqrt(tt * gg) : 0;
}

/** Moves the template a little towards what the overlay looks like at its current position. */
function refresh(t: Template, luma: Float32Array, width: number, height: number, dx: number, dy: number, rate: number): void {
  for (let y = 0; y < t.h; y++) {
    const py = t.y0 + y + dy;
    if (py < 1 || py >= height - 1) continue;
    for (let x = 0; x < t.w; x++) {
      const px = t.x0 + x + dx;
      if (px < 1 || px >= width - 1) continue;
      const i = py * width + px;
      const k = y * t.w + x;
      t.gx[k] = t.gx[k]! + rate * (0.5 * (luma[i + 1]! - luma[i - 1]!) - t.gx[k]!);
      t.gy[k] = t.gy[k]! + rate * (0.5 * (luma[i + width]! - luma[i - width]!) - t.gy[k]!);
    }
  }
}
