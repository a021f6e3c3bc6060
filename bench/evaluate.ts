import { trueMask } from '../src/synth/clip.js';
import { addMaskCounts, changedMask, detectionScores, dilate, psnrFromMse, ssimMap, type MaskCounts } from './metrics.js';

/** Pixels around the true mask that still count as "the overlay": fills bleed and halos sit there. */
export const MASK_DILATE_PX = 3;

export interface ClipQuality {
  /** Luma mean squared error inside / outside the dilated mask (what PSNRs over several clips pool). */
  readonly mseIn: number;
  readonly mseOut: number;
  /** Luma PSNR (dB) and mean SSIM inside the dilated true mask, pooled over all frames; NaN without overlay. */
  readonly psnrIn: number;
  readonly ssimIn: number;
  /** The same outside it: what a method damages that it should have left alone. */
  readonly psnrOut: number;
  readonly ssimOut: number;
  readonly iou: number;
  readonly precision: number;
  readonly recall: number;
  /** Changed pixels outside the dilated true mask, % of frame area, mean over frames (the whole false-positive area on a clean clip). */
  readonly fpAreaPct: number;
  /**
   * Temporal error: mean |d(out) - d(clean)| in luma levels over the dilated mask of consecutive
   * frames, d = frame-to-frame change. 0 = the region changes exactly as the clean video does.
   */
  readonly flicker: number;
  /** Mean |d(clean)| over the same pixels: the ground truth's own change, to read `flicker` against. */
  readonly truthChange: number;
}

/** Accumulates one method's output on one clip, frame by frame, so clips need not sit in memory twice. */
export class ClipEvaluator {
  private readonly counts: MaskCounts = { tp: 0, fp: 0, fn: 0 };
  private sqIn = 0;
  private nIn = 0;
  private sqOut = 0;
  private nOut = 0;
  private ssimIn = 0;
  private ssimOut = 0;
  private fpPct = 0;
  private frames = 0;
  private flickerSum = 0;
  private truthChangeSum = 0;
  private flickerN = 0;
  private prev: { out: Uint8Array; clean: Uint8Array; region: Uint8Array } | undefined;

  constructor(private readonly width: number, private readonly height: number) {}

  addFrame(input: Uint8Array, output: Uint8Array, clean: Uint8Array, alpha: Uint8Array): void {
    const { width, height } = this;
    const n = width * height;
    const truth = trueMask(alpha);
    const region = dilate(truth, width, height, MASK_DILATE_PX);
    const outY = output.subarray(0, n);
    const cleanY = clean.subarray(0, n);
    const sm = ssimMap(outY, cleanY, width, height);
    const changed = changedMask(output, input, width, height);
    addMaskCounts(this.counts, changed, truth);
    let fp = 0;
    for (let i = 0; i < n; i++) {
      const d = outY[i]! - cleanY[i]!;
      if (region[i]) {
        this.sqIn += d * d;
        this.nIn++;
        this.ssimIn += sm[i]!;
      } else {
        this.sqOut += d * d;
        this.nOut++;
        this.ssimOut += sm[i]!;
        if (changed[i]) fp++;
      }
    }
    this.fpPct += (100 * fp) / n;
    if (this.prev) {
      const p = this.prev;
      for (let i = 0; i < n; i++) {
        if (!region[i] && !p.region[i]) continue;
        const dOut = outY[i]! - p.out[i]!;
        const dClean = cleanY[i]! - p.clean[i]!;
        this.flickerSum += Math.abs(dOut - dClean);
        this.truthChangeSum += Math.abs(dClean);
        this.flickerN++;
      }
    }
    this.prev = { out: outY.slice(), clean: cleanY.slice(), region };
    this.frames++;
  }

  result(): ClipQuality {
    const det = detectionScores(this.counts);
    return {
      mseIn: this.nIn ? this.sqIn / this.nIn : NaN,
      mseOut: this.nOut ? this.sqOut / this.nOut : NaN,
      psnrIn: this.nIn ? psnrFromMse(this.sqIn / this.nIn) : NaN,
      ssimIn: this.nIn ? this.ssimIn / this.nIn : NaN,
      psnrOut: this.nOut ? psnrFromMse(this.sqOut / this.nOut) : NaN,
      ssimOut: this.nOut ? this.ssimOut / this.nOut : NaN,
      ...det,
      fpAreaPct: this.frames ? this.fpPct / this.frames : NaN,
      flicker: this.flickerN ? this.flickerSum / this.flickerN : NaN,
      truthChange: this.flickerN ? this.truthChangeSum / this.flickerN : NaN,
    };
  }
}
