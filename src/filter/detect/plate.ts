import type { Rect } from '../../core/frame.js';
import { median } from '../../core/stats.js';
import { componentOf, dilate, erode, fillHoles, flood } from './mask-ops.js';

/**
 * The flat plate a logo's word or sign sits on (a disc, a badge, a box), added to a region found
 * by what is drawn on it. The logo net finds the drawing of a small bug better than its plain
 * ground: bench pan-opaque-logo-1 is the word "ARTE" on a black disc, and the net found the word
 * (recall ~0.3) seconds before the statistics found the disc.
 *
 * A plate is recognised in the picture alone, at full resolution: the region's surroundings are
 * one flat level for most of their length, and that level, flooded outwards, is enclosed by a
 * clear edge close by. Flat scene (a sky, a wall) runs on past that distance and is left alone.
 */
export interface PlateParams {
  /** Luma levels from the plate's level that still count as plate. */
  readonly tolerance: number;
  /** Share of the ring around the region that must be at the plate's level. */
  readonly minRingShare: number;
  /** Ring around the region looked at: from `ringFrom` to `ringTo` pixels out (the nearest pixel is the drawing's anti-aliased rim). */
  readonly ringFrom: number;
  readonly ringTo: number;
  /** How far the plate may reach beyond the region's box, as a share of the box's larger side. */
  readonly maxReach: number;
  /**
   * The plate's edge must be clear for most of its length: at least `minClearEdge` of the pixels
   * just outside it differ from its level by `edgeContrast` tolerances or more (dark scene touching
   * a dark plate makes the rest).
   */
  readonly edgeContrast: number;
  readonly minClearEdge: number;
  /** Flat scene joined to the plate by a bridge narrower than 2 * bridge + 1 pixels is cut off (an opening). */
  readonly bridge: number;
}

export const DEFAULT_PLATE_PARAMS: PlateParams = {
  tolerance: 10,
  minRingShare: 0.6,
  ringFrom: 2,
  ringTo: 3,
  maxReach: 1,
  edgeContrast: 2,
  minClearEdge: 0.5,
  bridge: 2,
};

/** A region on the full-resolution luma grid: its box and a mask over the box. */
export interface MaskedRect {
  readonly rect: Rect;
  readonly mask: Uint8Array;
}

/**
 * The region grown by the plate it sits on, or undefined when there is none: the ring is not flat,
 * the flat level runs past `maxReach` (scene), or its edge is not clear.
 */
export function withPlate(region: MaskedRect, luma: Uint8Array, width: number, height: number, p: PlateParams = DEFAULT_PLATE_PARAMS): MaskedRect | undefined {
  // Most regions stand on scene, whose ring is not flat: the ring alone, in a box just big enough
  // for it, says so at a fraction of the search below (which tests the same ring again).
  if (!searchBox(region, luma, width, height, p.ringTo, p)) return undefined;
  return plateWithin(region, luma, width, height, Math.ceil(p.maxReach * Math.max(region.rect.width, region.rect.height)), p);
}

function plateWithin(region: MaskedRect, luma: Uint8Array, width: number, height: number, reach: number, p: PlateParams): MaskedRect | undefined {
  const found = searchBox(region, luma, width, height, reach, p);
  if (!found) return undefined;
  const { bx0, by0, bw, bh, own, far, seeds, level, at, flat } = found;

  // Flood the plate's level outwards from the ring (4-connected), never into the region itself,
  // within the search box.
  const flooded = new Uint8Array(bw * bh);
  flood(seeds, (j) => !own[j] && flat(j), flooded, bw, bh);
  // Dark scene touching a dark plate (a lamp's bracket) joins the flood through thin bridges: an
  // opening cuts them, and only what still touches the region is plate.
  const opened = dilate(erode(flooded, bw, bh, p.bridge), bw, bh, p.bridge);
  const plate = new Uint8Array(bw * bh);
  const starts: number[] = [];
  for (let i = 0; i < opened.length; i++) if (opened[i] && flooded[i] && far[i]) starts.push(i);
  flood(starts, (j) => opened[j] === 1 && flooded[j] === 1, plate, bw, bh);
  // The opening also took the plate's own thin parts (beside the word, a rim a few pixels wide):
  // what was flooded that close to the plate is given back.
  const closeBy = dilate(plate, bw, bh, p.bridge);
  for (let i = 0; i < plate.length; i++) if (closeBy[i] && flooded[i]) plate[i] = 1;
  // Reaching the search box's side means the level goes on: scene. So does reaching the frame's
  // side (blown-out sky in a corner, bench video-cjk-moving-logo-1): bugs sit inside the picture.
  for (let i = 0; i < plate.length; i++) {
    if (!plate[i]) continue;
    const x = i % bw, y = (i / bw) | 0;
    if (x === 0 || y === 0 || x === bw - 1 || y === bh - 1) return undefined;
  }

  // The plate's edge: the pixels just outside it and the region must stand clearly apart from it.
  const whole = new Uint8Array(bw * bh);
  for (let i = 0; i < whole.length; i++) whole[i] = own[i]! | plate[i]!;
  // (The second pixel out: the first is the plate's own anti-aliased rim.)
  const rim = dilate(whole, bw, bh, 1);
  const beyond = dilate(whole, bw, bh, 2);
  let clear = 0, edgeCount = 0;
  for (let i = 0; i < beyond.length; i++) {
    if (!beyond[i] || rim[i]) continue;
    if (Math.abs(at(i) - level) >= p.edgeContrast * p.tolerance) clear++;
    edgeCount++;
  }
  if (clear < p.minClearEdge * edgeCount) return undefined;

  const filled = fillHoles(whole, bw, bh);
  const set: number[] = [];
  for (let i = 0; i < filled.length; i++) if (filled[i]) set.push(i);
  const { x0, y0, x1, y1 } = componentOf(set, bw, bh);
  const w = x1 - x0, h = y1 - y0;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) mask.set(filled.subarray((y0 + y) * bw + x0, (y0 + y) * bw + x0 + w), y * w);
  return { rect: { x: bx0 + x0, y: by0 + y0, width: w, height: h }, mask };
}

/** The box `reach` around the region (clipped to the frame), its luma (`at`), the region in it, and its ring's level and flat pixels; undefined when the ring is not flat. */
function searchBox(region: MaskedRect, luma: Uint8Array, width: number, height: number, reach: number, p: PlateParams) {
  const { rect } = region;
  // The search box: the region's box grown by the reach, clipped to the frame.
  const bx0 = Math.max(0, rect.x - reach), by0 = Math.max(0, rect.y - reach);
  const bx1 = Math.min(width, rect.x + rect.width + reach), by1 = Math.min(height, rect.y + rect.height + reach);
  const bw = bx1 - bx0, bh = by1 - by0;
  if (bw <= 0 || bh <= 0) return undefined;
  const own = new Uint8Array(bw * bh);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const fx = rect.x + x - bx0, fy = rect.y + y - by0;
      if (region.mask[y * rect.width + x] && fx >= 0 && fy >= 0 && fx < bw && fy < bh) own[fy * bw + fx] = 1;
    }
  }
  const box = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) box.set(luma.subarray((by0 + y) * width + bx0, (by0 + y) * width + bx1), y * bw);
  const at = (i: number) => box[i]!;
  const near = dilate(own, bw, bh, p.ringFrom - 1);
  const far = dilate(own, bw, bh, p.ringTo);
  const ring: number[] = [];
  for (let i = 0; i < own.length; i++) if (far[i] && !near[i]) ring.push(i);
  if (ring.length === 0) return undefined;
  const level = median(ring.map(at));
  const flat = (i: number) => Math.abs(at(i) - level) <= p.tolerance;
  const seeds = ring.filter(flat);
  if (seeds.length < p.minRingShare * ring.length) return undefined;
  return { bx0, by0, bw, bh, own, far, seeds, level, at, flat };
}
