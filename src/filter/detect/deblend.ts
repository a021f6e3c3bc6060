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
  /**
   * Largest alpha inverted: 1/(1-a) amplifies noise, 3.3x at 0.7. Above it the fill is used. Set
   * above the 0.6 that must be restored: the ring's estimate of a 0.6 plate ranged 0.60-0.76.
   */
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
  maxAlpha: 0.7,
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
  const slopes: number[] = [];
  for (const i of pixels) {
    const s = pixelSlope(m, maps, i, params);
    if (s !== undefined) slopes.push(s);
  }
  if (slopes.length < Math.max(4, pixels.length / 2)) return undefined;
  // A typed array sorts numerically without a comparator call per step (several times faster).
  const sorted = Float64Array.from(slopes).sort();
  const slope = sorted[sorted.length >> 1]!;
  const alpha = 1 - slope;
  return alpha >= params.minAlpha && alpha <= params.maxAlpha ? slope : undefined;
}

/** The clean value of pixel `i`, or undefined where the pixel does not share the region's alpha. */
export function deblendPixel(m: PlaneMoments, maps: BackgroundMaps, i: number, observed: number, slope: number, params: DeblendParams): number | undefined {
  const own = pixelSlope(m, maps, i, params);
  if (own === undefined || Math.abs(own - slope) > params.slopeTolerance) return undefined;
  return maps.meanAt(i) + (observed - m.m1[i]!) / slope;
}
