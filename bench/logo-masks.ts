import type { AutoFilterOptions } from '../src/filter/auto-filter.js';
import type { Region } from '../src/filter/filter.js';
import { trueMask, type LayerRect } from '../src/synth/clip.js';

/** The synthesiser's layers that are logos (captions and tickers are scored by the caption finders' own figures). */
const LOGO_KINDS = new Set<LayerRect['kind']>(['logo', 'dynamic-logo']);

/** Union of the masks of active logo regions as a frame-sized 0/1 map. */
export function logoMask(regions: readonly Region[], width: number, height: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const r of regions) {
    if (r.state !== 'active' || !r.mask || r.kind !== 'logo' || !r.enabled) continue;
    for (let y = 0; y < r.rect.height; y++) {
      const fy = r.rect.y + y;
      if (fy < 0 || fy >= height) continue;
      for (let x = 0; x < r.rect.width; x++) {
        const fx = r.rect.x + x;
        if (fx >= 0 && fx < width && r.mask[y * r.rect.width + x]) m[fy * width + fx] = 1;
      }
    }
  }
  return m;
}

/** The true mask (alpha >= 3) inside the boxes of the logo layers, as a frame-sized 0/1 map. */
export function logoTruth(alpha: Uint8Array, rects: readonly LayerRect[], width: number, height: number): Uint8Array {
  const truth = trueMask(alpha);
  const m = new Uint8Array(width * height);
  for (const { kind, rect } of rects) {
    if (!LOGO_KINDS.has(kind)) continue;
    for (let y = Math.max(0, rect.y); y < Math.min(height, rect.y + rect.height); y++) {
      for (let x = Math.max(0, rect.x); x < Math.min(width, rect.x + rect.width); x++) m[y * width + x] = truth[y * width + x]!;
    }
  }
  return m;
}

/** The logo tools' --logo-model / --logo-weak, as AutoFilter options (nothing when neither is given). */
export function logoNetTrial(opts: { readonly logoModel?: string; readonly logoWeak?: string }): Partial<AutoFilterOptions> {
  return {
    ...(opts.logoModel ? { logoModel: opts.logoModel } : {}),
    ...(opts.logoWeak ? { logoNet: { weakThreshold: Number(opts.logoWeak) } } : {}),
  };
}
