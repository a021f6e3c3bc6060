import { yuv420pLayout } from '../src/core/frame.js';

/**
 * Quality, detection, stability and speed measures for the benchmark. Quality is measured on luma
 * (what the eye resolves; chroma is a quarter of the samples and follows luma in every method here).
 */

/** PSNR from a mean squared error; identical pictures give +Infinity (printed as "inf"). */
export function psnrFromMse(mse: number, peak = 255): number {
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError('psnr of pictures of different sizes');
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return psnrFromMse(sum / a.length);
}

/** Sum of squared differences between `a` and `b` over the pixels where `mask` is set, and how many those are. */
export function maskedSquaredError(a: Uint8Array, b: Uint8Array, mask: Uint8Array): { se: number; n: number } {
  let se = 0, n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const d = a[i]! - b[i]!;
    se += d * d;
    n++;
  }
  return { se, n };
}

/** Square (Chebyshev) dilation by `r` pixels, separable so it costs O(r) per pixel per pass. */
export function dilate(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (!mask[row + x]) continue;
      const x0 = Math.max(0, x - r), x1 = Math.min(width - 1, x + r);
      for (let k = x0; k <= x1; k++) tmp[row + k] = 1;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!tmp[y * width + x]) continue;
      const y0 = Math.max(0, y - r), y1 = Math.min(height - 1, y + r);
      for (let k = y0; k <= y1; k++) out[k * width + x] = 1;
    }
  }
  return out;
}

function integral(src: ArrayLike<number>, width: number, height: number, f: (v: number) => number): Float64Array {
  const w1 = width + 1;
  const out = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let run = 0;
    for (let x = 0; x < width; x++) {
      run += f(src[y * width + x]!);
      out[(y + 1) * w1 + x + 1] = out[y * w1 + x + 1]! + run;
    }
  }
  return out;
}

function integralProduct(a: Uint8Array, b: Uint8Array, width: number, height: number): Float64Array {
  const w1 = width + 1;
  const out = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let run = 0;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      run += a[i]! * b[i]!;
      out[(y + 1) * w1 + x + 1] = out[y * w1 + x + 1]! + run;
    }
  }
  return out;
}

const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/**
 * Per-pixel SSIM with a (2r+1)^2 box window (clipped at the borders), via integral images so a
 * map costs the same whatever the window. Box rather than Gaussian windows: cheaper, and the
 * benchmark compares methods with each other, not with published SSIM figures.
 */
export function ssimMap(a: Uint8Array, b: Uint8Array, width: number, height: number, r = 3): Float64Array {
  const id = (v: number) => v;
  const sq = (v: number) => v * v;
  const sa = integral(a, width, height, id);
  const sb = integral(b, width, height, id);
  const saa = integral(a, width, height, sq);
  const sbb = integral(b, width, height, sq);
  const sab = integralProduct(a, b, width, height);
  const w1 = width + 1;
  const box = (s: Float64Array, x0: number, y0: number, x1: number, y1: number) =>
    s[y1 * w1 + x1]! - s[y0 * w1 + x1]! - s[y1 * w1 + x0]! + s[y0 * w1 + x0]!;
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(height, y + r + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(width, x + r + 1);
      const n = (x1 - x0) * (y1 - y0);
      const ma = box(sa, x0, y0, x1, y1) / n;
      const mb = box(sb, x0, y0, x1, y1) / n;
      const va = box(saa, x0, y0, x1, y1) / n - ma * ma;
      const vb = box(sbb, x0, y0, x1, y1) / n - mb * mb;
      const cov = box(sab, x0, y0, x1, y1) / n - ma * mb;
      out[y * width + x] = ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
    }
  }
  return out;
}

export function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const m = ssimMap(a, b, width, height);
  let s = 0;
  for (const v of m) s += v;
  return s / m.length;
}

export interface MaskCounts {
  tp: number;
  fp: number;
  fn: number;
}

export function addMaskCounts(acc: MaskCounts, pred: Uint8Array, truth: Uint8Array): void {
  for (let i = 0; i < pred.length; i++) {
    if (pred[i]) {
      if (truth[i]) acc.tp++;
      else acc.fp++;
    } else if (truth[i]) acc.fn++;
  }
}

export interface DetectionScores {
  /** NaN where undefined: IoU and recall with no true pixels, precision with no predicted ones. */
  readonly iou: number;
  readonly precision: number;
  readonly recall: number;
}

export function detectionScores(c: MaskCounts): DetectionScores {
  const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);
  return {
    iou: ratio(c.tp, c.tp + c.fp + c.fn),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
  };
}

/** Default: a change of more than 2 levels counts as "touched" (a lossless path changes nothing). */
export const CHANGE_THRESHOLD = 2;

/**
 * The pixels a method changed (luma, or the chroma sample covering the pixel): the method's
 * de facto mask. Derived from output vs input so every method, mask-given or not, is scored alike.
 */
export function changedMask(output: Uint8Array, input: Uint8Array, width: number, height: number, threshold = CHANGE_THRESHOLD): Uint8Array {
  const L = yuv420pLayout(width, height);
  const m = new Uint8Array(L.ySize);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = (y >> 1) * L.cWidth + (x >> 1);
      m[i] =
        Math.abs(output[i]! - input[i]!) > threshold ||
        Math.abs(output[L.uOffset + c]! - input[L.uOffset + c]!) > threshold ||
        Math.abs(output[L.vOffset + c]! - input[L.vOffset + c]!) > threshold
          ? 1
          : 0;
    }
  }
  return m;
}

export { percentile } from '../src/core/stats.js';
