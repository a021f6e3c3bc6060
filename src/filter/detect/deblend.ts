import { fillRect, type FillScratch, type Plane, type PixelRect } from '../fill/index.js';

/**
 * Exact removal of translucent overlays: observed = a*colour + (1-a)*clean, per pixel.
 *
 * Over a window in which the background changes, a and colour are constant, so
 *   observed - mean(observed) = (1-a) * (clean - mean(clean))
 * and (1-a) is the ratio of the pixel's temporal spread to the background's. The background's
 * temporal mean and spread under the overlay are not seen, but they are smooth (a moving picture
 * averages out), so they are interpolated from the ring around the region, where observed =
 * clean. Then clean = mean(clean) + (observed - mean(observed)) / (1-a): the picture's own detail
 * comes back, which no inpainting can do. (A regression against the fill was tried first: the
 * fill does not follow the background closely enough, and its slope came out 25 % low.)
 */

export interface DeblendParams {
  /** Samples a pixel needs before its statistics are used. */
  readonly minSamples: number;
  /** Samples remembered (exponential window). */
  readonly memorySamples: number;
  /** Largest alpha inverted: 1/(1-a) amplifies noise, 2.5x at 0.6. Above it the fill is used. */
  readonly maxAlpha: number;
  /** Smallest alpha worth inverting (below it the overlay is invisible anyway). */
  readonly minAlpha: number;
  /** A pixel whose own (1-a) is this far from its region's is edge or core: left to the fill. */
  readonly slopeTolerance: number;
  /** Background temporal spread (levels) below which (1-a) cannot be measured. */
  readonly minSpread: number;
}

export const DEFAULT_DEBLEND_PARAMS: DeblendParams = {
  minSamples: 30,
  memorySamples: 120,
  maxAlpha: 0.6,
  minAlpha: 0.08,
  slopeTolerance: 0.1,
  minSpread: 3,
};

/** Spread is stored x4 in bytes so the interpolation (which works on 8-bit planes) keeps 0.25-level steps. */
const SPREAD_SCALE = 4;

/** Running temporal mean and mean square of every pixel of one plane (only pixels fed are touched). */
export class PlaneMoments {
  readonly count: Uint16Array;
  readonly m1: Float32Array;
  readonly m2: Float32Array;

  constructor(readonly width: number, readonly height: number, private readonly memorySamples: number) {
    this.count = new Uint16Array(width * height);
    this.m1 = new Float32Array(width * height);
    this.m2 = new Float32Array(width * height);
  }

  /** Feeds the pixels of `r` grown by one (the ring the interpolation reads), clipped to the plane. */
  addRect(plane: Plane, r: PixelRect): void {
    const x0 = Math.max(0, r.x0 - 1), x1 = Math.min(this.width, r.x1 + 1);
    const y0 = Math.max(0, r.y0 - 1), y1 = Math.min(this.height, r.y1 + 1);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * this.width + x;
        const v = plane.data[plane.offset + i]!;
        const n = Math.min(this.count[i]! + 1, this.memorySamples);
        this.count[i] = n;
        const k = 1 / n;
        this.m1[i] = (1 - k) * this.m1[i]! + k * v;
        this.m2[i] = (1 - k) * this.m2[i]! + k * v * v;
      }
    }
  }

  spread(i: number): number {
    return Math.sqrt(Math.max(0, this.m2[i]! - this.m1[i]! ** 2));
  }
}

/** Interpolated background mean and spread over a region, in plane-sized scratch planes. */
export class BackgroundMaps {
  private mean = new Uint8Array(0);
  private spread = new Uint8Array(0);

  /** Writes the moments on the ring of `r` and interpolates them inside; false when there is no ring. */
  build(m: PlaneMoments, r: PixelRect, scratch: FillScratch): boolean {
    const size = m.width * m.height;
    if (this.mean.length < size) {
      this.mean = new Uint8Array(size);
      this.spread = new Uint8Array(size);
    }
    const x0 = Math.max(0, r.x0 - 1), x1 = Math.min(m.width, r.x1 + 1);
    const y0 = Math.max(0, r.y0 - 1), y1 = Math.min(m.height, r.y1 + 1);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * m.width + x;
        this.mean[i] = Math.round(m.m1[i]!);
        this.spread[i] = Math.min(255, Math.round(SPREAD_SCALE * m.spread(i)));
      }
    }
    const plane = (data: Uint8Array): Plane => ({ data, offset: 0, width: m.width, height: m.height });
    return fillRect(plane(this.mean), r, [], scratch) && fillRect(plane(this.spread), r, [], scratch);
  }

  meanAt(i: number): number {
    return this.mean[i]!;
  }

  spreadAt(i: number): number {
    return this.spread[i]! / SPREAD_SCALE;
  }
}

/** (1-a) of one pixel: its spread over the background's; undefined where that is unmeasurable. */
export function pixelSlope(m: PlaneMoments, maps: BackgroundMaps, i: number, params: DeblendParams): number | undefined {
  if (m.count[i]! < params.minSamples) return undefined;
  const bg = maps.spreadAt(i);
  return bg >= params.minSpread ? m.spread(i) / bg : undefined;
}

/**
 * The region's (1-a): the median of its pixels' own, so the opaque core and the anti-aliased edge
 * (a minority) do not drag it. Undefined while evidence is short or when the overlay is too opaque
 * (or too faint) to invert.
 */
export function regionSlope(m: PlaneMoments, maps: BackgroundMaps, pixels: readonly number[], params: DeblendParams): number | undefined {
  return medianSlope(pixels, (i) => pixelSlope(m, maps, i, params), params);
}

/** Median of the pixels' own slopes; undefined when under half have one or the alpha is outside the inverted range. */
function medianSlope(pixels: readonly number[], slopeOf: (i: number) => number | undefined, params: DeblendParams): number | undefined {
  const slopes: number[] = [];
  for (const i of pixels) {
    const s = slopeOf(i);
    if (s !== undefined) slopes.push(s);
  }
  if (slopes.length < Math.max(4, pixels.length / 2)) return undefined;
  slopes.sort((a, b) => a - b);
  const slope = slopes[slopes.length >> 1]!;
  const alpha = 1 - slope;
  return alpha >= params.minAlpha && alpha <= params.maxAlpha ? slope : undefined;
}

/** The clean value of pixel `i`, or undefined where the pixel does not share the region's alpha. */
export function deblendPixel(m: PlaneMoments, maps: BackgroundMaps, i: number, observed: number, slope: number, params: DeblendParams): number | undefined {
  const own = pixelSlope(m, maps, i, params);
  if (own === undefined || Math.abs(own - slope) > params.slopeTolerance) return undefined;
  return maps.meanAt(i) + (observed - m.m1[i]!) / slope;
}

/**
 * Per pixel, the observed value paired with what the motion-compensated background memory says is
 * behind it in the same frame (temporal/): observed = a*colour + (1-a)*background, so (1-a) is the
 * regression slope and no interpolation from the ring is needed. The ring's interpolated mean is
 * only right when the pan is fast enough to average the scene out; under a slow pan the scene
 * under the logo still has its own structure over a window, and the ring guesses it wrongly.
 */
export class PairedMoments {
  readonly count: Uint16Array;
  readonly mo: Float32Array;
  readonly mb: Float32Array;
  readonly mbb: Float32Array;
  readonly mob: Float32Array;
  readonly moo: Float32Array;

  constructor(readonly width: number, readonly height: number, private readonly memorySamples: number) {
    const n = width * height;
    this.count = new Uint16Array(n);
    this.mo = new Float32Array(n);
    this.mb = new Float32Array(n);
    this.mbb = new Float32Array(n);
    this.mob = new Float32Array(n);
    this.moo = new Float32Array(n);
  }

  add(i: number, observed: number, background: number): void {
    const n = Math.min(this.count[i]! + 1, this.memorySamples);
    this.count[i] = n;
    const k = 1 / n, j = 1 - k;
    this.mo[i] = j * this.mo[i]! + k * observed;
    this.mb[i] = j * this.mb[i]! + k * background;
    this.mbb[i] = j * this.mbb[i]! + k * background * background;
    this.mob[i] = j * this.mob[i]! + k * observed * background;
    this.moo[i] = j * this.moo[i]! + k * observed * observed;
  }

  /**
   * (1-a) of one pixel from its pairs; undefined while the pairs are few, the background barely
   * moved, or observed and background do not follow one line (an edge, the opaque core, a
   * misregistered memory).
   */
  slope(i: number, params: DeblendParams): number | undefined {
    if (this.count[i]! < params.minSamples) return undefined;
    const vb = this.mbb[i]! - this.mb[i]! ** 2;
    if (vb < params.minSpread ** 2) return undefined;
    const vo = this.moo[i]! - this.mo[i]! ** 2;
    const cov = this.mob[i]! - this.mo[i]! * this.mb[i]!;
    if (vo <= 0 || cov <= 0 || cov * cov < PAIRED_MIN_R2 * vb * vo) return undefined;
    return cov / vb;
  }
}

/** Squared correlation a pixel's pairs need before their slope is believed. */
const PAIRED_MIN_R2 = 0.9;

/** The region's (1-a) from the pairs: the median of its pixels' own; undefined when under half of them have one. */
export function pairedRegionSlope(pm: PairedMoments, pixels: readonly number[], params: DeblendParams): number | undefined {
  return medianSlope(pixels, (i) => pm.slope(i, params), params);
}

/** The clean value of pixel `i` from its pairs, or undefined where it does not share the region's alpha. */
export function pairedDeblendPixel(pm: PairedMoments, i: number, observed: number, slope: number, params: DeblendParams): number | undefined {
  const own = pm.slope(i, params);
  if (own === undefined || Math.abs(own - slope) > params.slopeTolerance) return undefined;
  return pm.mb[i]! + (observed - pm.mo[i]!) / slope;
}
