import { expect } from 'vitest';
import type { VideoFrame } from '../../src/core/frame.js';
import type { Region } from '../../src/filter/filter.js';
import type { ClipData } from '../../src/synth/index.js';

/** Frame f of a synthesised clip, as the pipeline hands it to a filter (25 fps timestamps). */
export const frameOf = (c: ClipData, f: number): VideoFrame => ({ seq: f, ptsMs: f * 40, width: c.truth.width, height: c.truth.height, data: c.input[f]!, arrivedAt: 0 });

/** Paints the active regions of `kind` into a frame-sized 0/1 map (each must carry a mask of its rectangle's size). */
export function paint(regions: readonly Region[], kind: Region['kind'], w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (const r of regions) {
    if (r.kind !== kind || r.state !== 'active') continue;
    expect(r.mask).toHaveLength(r.rect.width * r.rect.height);
    for (let y = 0; y < r.rect.height; y++) for (let x = 0; x < r.rect.width; x++) if (r.mask![y * r.rect.width + x]) m[(r.rect.y + y) * w + r.rect.x + x] = 1;
  }
  return m;
}
