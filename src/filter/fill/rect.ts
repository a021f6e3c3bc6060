import type { Rect } from '../../core/frame.js';

/** Half-open integer rectangle [x0, x1) x [y0, y1) in the coordinates of one plane. */
export interface PixelRect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/**
 * Maps a luma-space rectangle onto a plane subsampled by `subsample` (1 for luma, 2 for yuv420p
 * chroma) and clips it to that plane. Edges round outward: a logo that covers any part of a pixel
 * (or of a chroma sample's 2x2 footprint) has tainted it, so that pixel must be refilled too.
 * Returns null when nothing of the rectangle lies inside the plane.
 */
export function planeRect(rect: Rect, planeWidth: number, planeHeight: number, subsample: 1 | 2 = 1): PixelRect | null {
  const { x, y, width, height } = rect;
  if (![x, y, width, height].every(Number.isFinite) || width <= 0 || height <= 0) return null;
  const x0 = Math.max(0, Math.floor(x / subsample));
  const y0 = Math.max(0, Math.floor(y / subsample));
  const x1 = Math.min(planeWidth, Math.ceil((x + width) / subsample));
  const y1 = Math.min(planeHeight, Math.ceil((y + height) / subsample));
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : null;
}

export function containsPixel(r: PixelRect, x: number, y: number): boolean {
  return x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
}

export function sameRect(a: PixelRect, b: PixelRect): boolean {
  return a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;
}
