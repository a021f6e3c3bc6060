import type { PixelRect } from '../fill/rect.js';
import type { Hole } from './model-inpainter.js';

export { ModelInpainter, type Hole, type ModelInpainterOptions, type ModelStats } from './model-inpainter.js';
export { readModelInfo, type InpaintModelInfo } from './model-info.js';

/** A hole over `rect` from luma plane indices (y * frameWidth + x) of the pixels the fill wrote. */
export function holeFromPixels(id: string, rect: PixelRect, pixels: readonly number[], frameWidth: number): Hole {
  const w = rect.x1 - rect.x0, h = rect.y1 - rect.y0;
  const mask = new Uint8Array(w * h);
  for (const i of pixels) {
    const y = Math.floor(i / frameWidth), x = i - y * frameWidth;
    mask[(y - rect.y0) * w + x - rect.x0] = 1;
  }
  return { id, rect: { x: rect.x0, y: rect.y0, width: w, height: h }, mask };
}
