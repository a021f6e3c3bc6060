import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';

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
