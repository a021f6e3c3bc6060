import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GlobalFonts, createCanvas, loadImage } from '@napi-rs/canvas';
import type { ClipSpec } from '../src/synth/synthesize.js';

/** The material clips are made from: the shared media folder, or the committed fixtures. */
export interface Media {
  readonly dir: string;
  readonly videos: readonly string[];
  readonly photos: readonly string[];
}

const VIDEO_EXT = /\.(avi|mp4|mkv|mov|webm|flv)$/i;
const PHOTO_EXT = /\.(jpe?g|png)$/i;

function listFiles(dir: string, re: RegExp): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => re.test(n)).sort().map((n) => join(dir, n)) : [];
}

/** Accepts the layout of ../shared/media (photos/, video/) or a flat folder (the fixtures). */
export function findMedia(dir: string): Media | undefined {
  const videos = [...listFiles(join(dir, 'video'), VIDEO_EXT), ...listFiles(dir, VIDEO_EXT)];
  const photos = [...listFiles(join(dir, 'photos'), PHOTO_EXT), ...listFiles(dir, PHOTO_EXT)];
  return videos.length && photos.length ? { dir, videos, photos } : undefined;
}

/** Mean absolute luma gradient of a 96x72 thumbnail: low for smooth gradients and flat artwork. */
async function textureScore(path: string): Promise<number> {
  const img = await loadImage(path);
  const w = 96, h = 72;
  const ctx = createCanvas(w, h).getContext('2d');
  ctx.drawImage(img, 0, 0, w, h);
  const d = ctx.getImageData(0, 0, w, h).data;
  const luma = (x: number, y: number) => {
    const p = (y * w + x) * 4;
    return 0.299 * d[p]! + 0.587 * d[p + 1]! + 0.114 * d[p + 2]!;
  };
  let s = 0;
  for (let y = 0; y < h - 1; y++) for (let x = 0; x < w - 1; x++) s += Math.abs(luma(x + 1, y) - luma(x, y)) + Math.abs(luma(x, y + 1) - luma(x, y));
  return s / ((w - 1) * (h - 1));
}

/**
 * The more textured half of the photos (all of them when there are few). Wallpapers that are
 * smooth gradients make every fill look perfect and would flatten the differences between methods.
 */
export async function texturedPhotos(media: Media): Promise<Media> {
  if (media.photos.length < 8) return media;
  const scored = await Promise.all(media.photos.map(async (p) => ({ p, s: await textureScore(p) })));
  const median = [...scored].sort((a, b) => a.s - b.s)[Math.floor(scored.length / 2)]!.s;
  return { ...media, photos: scored.filter((x) => x.s >= median).map((x) => x.p) };
}

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
