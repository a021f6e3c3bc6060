import { bilinearAt, composeSimilarity, estimateOnPyramids, DEFAULT_GLOBAL_MOTION, IDENTITY, invertSimilarity, maxDisplacement, pyramid, sampleBilinear, type Level, type MotionEstimate, type Similarity } from '../motion/global-motion.js';

/**
 * Which motion explains each pixel's change: the camera's, or none.
 *
 * Between two samples, scene pixels move with the camera, so the previous sample warped by the
 * global motion predicts them; an overlay stays where it is, so the previous sample *unwarped*
 * predicts it. Per pixel, the running mean of both prediction errors:
 *   still  = (Y - Yprev)^2             small on overlays (zero when opaque), large on moving texture
 *   warped = (Y - warp(Yprev))^2       small on the scene, large on an overlay's edges
 * (with U and V, when given, added to both squared errors: see `chromaWeight`).
 * An overlay edge is where `warped` dominates. In flat areas both are small and nothing is said;
 * the interior of a logo is found by closing its outline. Samples in which the camera did not
 * move, or whose motion the model does not explain, carry no evidence and are skipped: a static
 * camera leaves the detector to its other cues.
 */
export interface MotionEvidenceParams {
  /** Smallest camera displacement (working pixels, any corner) that makes a sample informative. */
  readonly minDisplacement: number;
  /**
   * Displacement sought: a slow pan is compared with an older sample (up to `history` back) so
   * that the camera has moved about this far, which is what makes overlay edges stand out.
   */
  readonly targetDisplacement: number;
  readonly history: number;
  /** Share of the motion samples the model must explain (Huber inliers) for the sample to count. */
  readonly minInlierShare: number;
  /** Samples the exponential window remembers. */
  readonly memorySamples: number;
  /** A prediction source whose own evidence already says overlay (energy and score at least these) is not used. */
  readonly sourceEnergy: number;
  readonly sourceMaxScore: number;
  readonly sourceNoise2: number;
  /** A source that changed by at most this many levels between the two samples did not move with the camera. */
  readonly sourceStill: number;
  /** Displacement (working pixels) above which sources are vetted at all. */
  readonly guardDisplacement: number;
  /**
   * A sample is informative only when the camera's motion predicts more textured pixels (squared
   * central-difference gradient at least `texturedGradient2`) within `explainedLevels` than no motion
   * does, by the factor `cameraMargin`.
   */
  readonly explainedLevels: number;
  readonly texturedGradient2: number;
  readonly cameraMargin: number;
  /**
   * Weight of the chroma planes' squared errors added to luma's (0: luma only). A logo of about
   * the scene's brightness but another colour (a purple plate over a grey-violet wall) has edges
   * in chroma only.
   */
  readonly chromaWeight: number;
}

export const DEFAULT_MOTION_EVIDENCE: MotionEvidenceParams = {
  minDisplacement: 0.5,
  targetDisplacement: 1.5,
  history: 12,
  minInlierShare: 0.5,
  memorySamples: 48,
  sourceEnergy: 9,
  sourceMaxScore: 0.7,
  sourceNoise2: 16,
  sourceStill: 1,
  guardDisplacement: 3,
  explainedLevels: 6,
  texturedGradient2: 400,
  cameraMargin: 1.2,
  chromaWeight: 1,
};

/** A remembered sample: its luma pyramid, its chroma planes (when given) and the motion onto the newest sample. */
interface Sample {
  readonly levels: Level[];
  readonly chroma: readonly Level[] | undefined;
  /** Pixels whose evidence this sample does not carry (see `add`). */
  readonly hold: Uint8Array | undefined;
  toNewest: Similarity;
}

export class MotionEvidence {
  readonly size: number;
  /** Running means of the two squared prediction errors (see above). */
  readonly still: Float32Array;
  readonly warped: Float32Array;
  /** Samples each mean holds (capped at the memory): a pixel with none has no evidence at all. */
  readonly stillCount: Uint16Array;
  readonly warpedCount: Uint16Array;
  /** Informative samples so far (the others did not move the camera or broke the model). */
  informative = 0;
  /** The last estimate, for callers that want the camera motion itself. */
  last: MotionEstimate | undefined;
  /** Camera moving in the last sample: its displacement in working pixels. */
  lastDisplacement = 0;
  /** Recent samples, newest last, each with the motion that carries it onto the newest one. */
  private history: Sample[] = [];
  private guess: Similarity = IDENTITY;

  constructor(readonly width: number, readonly height: number, private readonly params: MotionEvidenceParams = DEFAULT_MOTION_EVIDENCE) {
    this.size = width * height;
    this.still = new Float32Array(this.size);
    this.warped = new Float32Array(this.size);
    this.stillCount = new Uint16Array(this.size);
    this.warpedCount = new Uint16Array(this.size);
  }

  /**
   * Feeds the next sample (working-resolution luma; its pyramid is kept for `history` samples).
   * `overlay` marks pixels already known to be overlay: they are not used to estimate motion.
   * `hold` marks pixels whose evidence this sample must not carry, nor any pair it is compared in:
   * where a known overlay is off screen (a blinking bug's off-phase), its pixels show the scene,
   * and averaged in they wore its outline down (bench pan-dynamic-ticker-1: half a disc found).
   */
  add(y: Float32Array, overlay?: Uint8Array, chroma?: readonly [Float32Array, Float32Array], hold?: Uint8Array): void {
    const held = hold?.slice(0, this.size);
    const levels = pyramid(y.slice(), this.width, this.height, DEFAULT_GLOBAL_MOTION.minLevelWidth);
    const planes = chroma && this.params.chromaWeight > 0 ? chroma.map((c) => ({ width: this.width, height: this.height, data: c.slice(0, this.size) })) : undefined;
    const prev = this.history[this.history.length - 1];
    if (!prev) {
      this.history.push({ levels, chroma: planes, hold: held, toNewest: IDENTITY });
      return;
    }
    const est = estimateOnPyramids(prev.levels, levels, overlay, this.guess, DEFAULT_GLOBAL_MOTION);
    this.last = est;
    this.lastDisplacement = maxDisplacement(est.motion, this.width, this.height);
    if (est.inlierShare < this.params.minInlierShare) {
      // A cut or chaos: nothing before it lines up with what comes after.
      this.guess = IDENTITY;
      this.history = [{ levels, chroma: planes, hold: held, toNewest: IDENTITY }];
      return;
    }
    this.guess = est.motion;
    for (const h of this.history) h.toNewest = composeSimilarity(h.toNewest, est.motion);
    this.history.push({ levels, chroma: planes, hold: held, toNewest: IDENTITY });
    if (this.history.length > this.params.history + 1) this.history.shift();
    const ref = this.reference();
    if (!ref || !this.cameraExplains(y, ref)) return;
    this.informative++;
    const memory = this.params.memorySamples;
    const src = ref.levels[0]!;
    const before = src.data;
    const inv = invertSimilarity(ref.toNewest);
    const { width: w, height: h } = this;
    const cx = (w - 1) / 2, cy = (h - 1) / 2;
    const guardSources = maxDisplacement(ref.toNewest, w, h) > this.params.guardDisplacement;
    // Chroma only where both samples have it (a stream that starts sending it mid-way waits a sample).
    const cNow = planes && ref.chroma ? planes : undefined;
    const cBefore = cNow ? ref.chroma : undefined;
    const cw = this.params.chromaWeight;
    const refHold = ref.hold;
    // Locals, not fields, inside the loop: it visits every working pixel (~100k at 720p) and the
    // calls in it would otherwise make every field be loaded again per pixel.
    const { still, warped, stillCount, warpedCount } = this;
    const { sourceStill, sourceEnergy, sourceMaxScore, sourceNoise2 } = this.params;
    const u0 = cNow?.[0]!.data, v0 = cNow?.[1]!.data;
    const uBefore = cBefore?.[0]!.data, vBefore = cBefore?.[1]!.data;
    const { a: ia, b: ib, tx: itx, ty: ity } = inv;
    const srcData = src.data, sw1 = src.width - 1, sh1 = src.height - 1, sw = src.width;
    for (let py = 0; py < h; py++) {
      for (let px = 0; px < w; px++) {
        const p = py * w + px;
        if ((held && held[p]) || (refHold && refHold[p])) continue;
        const val = y[p]!;
        const ds = val - before[p]!;
        let ds2 = ds * ds;
        if (u0 && v0 && uBefore && vBefore) {
          const du = u0[p]! - uBefore[p]!, dv = v0[p]! - vBefore[p]!;
          ds2 += cw * (du * du + dv * dv);
        }
        const ns = Math.min(stillCount[p]! + 1, memory);
        stillCount[p] = ns;
        still[p] = still[p]! + (ds2 - still[p]!) / ns;
        const u = px - cx, v = py - cy;
        const sx = ia * u - ib * v + itx + cx, sy = ib * u + ia * v + ity + cy;
        // Pixels the camera brought in from outside the frame have no prediction.
        if (!(sx >= 0 && sy >= 0 && sx <= sw1 && sy <= sh1)) continue;
        // sampleBilinear's bounds test and cell here, shared by the three planes (the same size).
        const x0 = Math.min(Math.floor(sx), sw1 - 1), y0 = Math.min(Math.floor(sy), sh1 - 1);
        const fx = sx - x0, fy = sy - y0;
        const i00 = y0 * sw + x0;
        const wv = bilinearAt(srcData, i00, sw, fx, fy);
        if (Number.isNaN(wv)) continue;
        // Scene just uncovered by an overlay is predicted from the overlay itself, which would
        // give every logo a halo on the side the scene comes from: a source that did not change
        // while the camera moved (an opaque body), or whose evidence already says overlay (its
        // edges), predicts nothing.
        // Under a slow pan that halo is thinner than a closing bridges, and the outline is better
        // complete: only a fast one is worth the gaps.
        const s = Math.round(sy) * w + Math.round(sx);
        if (guardSources) {
          if (Math.abs(y[s]! - before[s]!) <= sourceStill) continue;
          if (warped[s]! >= sourceEnergy && this.staticScore(s, sourceNoise2) >= sourceMaxScore) continue;
        }
        const dw = val - wv;
        let dw2 = dw * dw;
        if (u0 && v0 && uBefore && vBefore) {
          const du = u0[p]! - bilinearAt(uBefore, i00, sw, fx, fy), dv = v0[p]! - bilinearAt(vBefore, i00, sw, fx, fy);
          dw2 += cw * (du * du + dv * dv);
        }
        const nw = Math.min(warpedCount[p]! + 1, memory);
        warpedCount[p] = nw;
        warped[p] = warped[p]! + (dw2 - warped[p]!) / nw;
      }
    }
  }

  /**
   * True when the estimated camera motion predicts the textured pixels better than no motion at
   * all. A hand waved in front of a still camera can carry the robust fit. Then the wall and the
   * window frame, which did not move, look "unexplained by the camera": they were taken for an
   * overlay (tree.avi: a 68x69 region around a 39x35 logo). Counting the textured pixels that each
   * model predicts within `explainedLevels` tells the two apart. A real pan moves every textured
   * pixel.
   */
  private cameraExplains(y: Float32Array, ref: { levels: Level[]; toNewest: Similarity }): boolean {
    const src = ref.levels[0]!;
    const before = src.data;
    const inv = invertSimilarity(ref.toNewest);
    const { width: w, height: h } = this;
    const cx = (w - 1) / 2, cy = (h - 1) / 2;
    const tol = this.params.explainedLevels;
    let byCamera = 0, byNothing = 0;
    // Every third row and column: a count, not an image, is needed.
    for (let py = 1; py < h - 1; py += 3) {
      for (let px = 1; px < w - 1; px += 3) {
        const p = py * w + px;
        const gx = y[p + 1]! - y[p - 1]!, gy = y[p + w]! - y[p - w]!;
        if (gx * gx + gy * gy < this.params.texturedGradient2) continue;
        const u = px - cx, v = py - cy;
        const wv = sampleBilinear(src, inv.a * u - inv.b * v + inv.tx + cx, inv.b * u + inv.a * v + inv.ty + cy);
        if (Number.isNaN(wv)) continue;
        if (Math.abs(y[p]! - wv) <= tol) byCamera++;
        if (Math.abs(y[p]! - before[p]!) <= tol) byNothing++;
      }
    }
    return byCamera > this.params.cameraMargin * byNothing;
  }

  /** The newest earlier sample the camera has moved `targetDisplacement` from, else the oldest that moved enough. */
  private reference(): Sample | undefined {
    let best: Sample | undefined;
    for (let i = this.history.length - 2; i >= 0; i--) {
      const h = this.history[i]!;
      const d = maxDisplacement(h.toNewest, this.width, this.height);
      if (d >= this.params.minDisplacement) best = h;
      if (d >= this.params.targetDisplacement) break;
    }
    return best;
  }

  /** 0..1: how much better "no motion" explains the pixel than the camera's motion (0.5 = no telling). */
  staticScore(p: number, noise2: number): number {
    const s = this.still[p]!, w = this.warped[p]!;
    return w / (s + w + noise2);
  }

  reset(): void {
    this.still.fill(0);
    this.warped.fill(0);
    this.stillCount.fill(0);
    this.warpedCount.fill(0);
    this.informative = 0;
    this.history = [];
    this.guess = IDENTITY;
    this.last = undefined;
  }
}

