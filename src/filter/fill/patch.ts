import type { Plane } from './plane.js';
import type { PixelRect } from './rect.js';

export function patchSize(r: PixelRect): number {
  return (r.x1 - r.x0) * (r.y1 - r.y0);
}

/** Copies the rectangle's pixels out of the plane, into `into` when it is big enough (saves a per-frame allocation). */
export function copyRectOut(plane: Plane, r: PixelRect, into?: Uint8Array): Uint8Array {
  const w = r.x1 - r.x0;
  const patch = into && into.length >= patchSize(r) ? into : new Uint8Array(patchSize(r));
  for (let y = r.y0; y < r.y1; y++) {
    const row = plane.offset + y * plane.width;
    patch.set(plane.data.subarray(row + r.x0, row + r.x1), (y - r.y0) * w);
  }
  return patch;
}

/** Writes a patch taken by `copyRectOut` with the same rectangle back into the plane. */
export function copyRectIn(plane: Plane, r: PixelRect, patch: Uint8Array): void {
  const w = r.x1 - r.x0;
  for (let y = r.y0; y < r.y1; y++) {
    const start = (y - r.y0) * w;
    plane.data.set(patch.subarray(start, start + w), plane.offset + y * plane.width + r.x0);
  }
}
