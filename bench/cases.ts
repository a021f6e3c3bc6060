import { GlobalFonts } from '@napi-rs/canvas';
import type { ClipSpec } from '../src/synth/synthesize.js';
import type { Media } from '../src/synth/media.js';

/** Source media discovery lives with the synthesiser: training shards use it too. */
export { findMedia, texturedPhotos, type Media } from '../src/synth/media.js';

/** A CJK font outside the synthesiser's list (Debian fonts-wqy-zenhei): never in the caption net's training data. */
export const HELD_OUT_CJK_FONT = 'WenQuanYi Zen Hei';

export type CaseKind = 'video-translucent-logo-subs' | 'pan-opaque-logo' | 'static-logo' | 'no-overlay' | 'pan-dynamic-ticker' | 'video-cjk-moving-logo';

export interface BenchCase {
  readonly kind: CaseKind;
  readonly spec: ClipSpec;
}

export interface CaseOptions {
  readonly full: boolean;
  readonly seed: number;
}

/**
 * Quick: the four kinds the issue requires, two clips each, 5 s at 320x240. Full: three clips per
 * kind, 10 s at 640x360, plus dynamic overlays (fading/blinking bug, ticker, drifting bug, CJK captions).
 */
export function benchCases(media: Media, opts: CaseOptions): BenchCase[] {
  const [width, height, frames] = opts.full ? [640, 360, 250] : [320, 240, 125];
  const fps = 25;
  const reps = opts.full ? 3 : 2;
  const cases: BenchCase[] = [];
  const photo = (k: number) => media.photos[(opts.seed * 7 + k * 37) % media.photos.length]!;
  const video = (k: number) => media.videos[k % media.videos.length]!;
  const add = (kind: CaseKind, rep: number, source: ClipSpec['source'], overlays: ClipSpec['overlays']) => {
    const seed = opts.seed * 1000 + cases.length;
    cases.push({ kind, spec: { id: `${kind}-${rep}`, seed, width, height, fps, frames, source, overlays } });
  };
  for (let rep = 0; rep < reps; rep++) {
    const start = rep * 20;
    add('video-translucent-logo-subs', rep, { kind: 'video', path: video(rep), startFrame: start }, [
      { kind: 'logo', opacity: 0.3 + 0.25 * ((opts.seed + rep) % 3), graphic: 'drawn' },
      { kind: 'subtitles', look: { script: rep % 2 ? 'cjk' : 'latin' } },
    ]);
    add('pan-opaque-logo', rep, { kind: 'pan', photo: photo(rep) }, [{ kind: 'logo', opacity: 1, graphic: rep % 2 ? 'drawn' : 'icon' }]);
    add('static-logo', rep, { kind: 'static', photo: photo(rep + 11) }, [{ kind: 'logo', graphic: rep % 2 ? 'icon' : 'drawn' }]);
    add('no-overlay', rep, rep % 2 ? { kind: 'pan', photo: photo(rep + 23) } : { kind: 'video', path: video(rep), startFrame: 30 }, []);
    if (opts.full) {
      add('pan-dynamic-ticker', rep, { kind: 'pan', photo: photo(rep + 31) }, [
        { kind: 'dynamic-logo', motion: rep % 2 ? 'blink' : 'fade' },
        { kind: 'ticker' },
      ]);
      // The last one in a CJK font the caption net never saw in training (when it is installed).
      const heldOut = rep === reps - 1 && GlobalFonts.has(HELD_OUT_CJK_FONT) ? { font: HELD_OUT_CJK_FONT } : {};
      add('video-cjk-moving-logo', rep, { kind: 'video', path: video(rep), startFrame: 10 + start }, [
        { kind: 'dynamic-logo', motion: 'move' },
        { kind: 'subtitles', look: { script: 'cjk', ...heldOut } },
      ]);
    }
  }
  return cases;
}
