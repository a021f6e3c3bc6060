import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, loadImage, type Image } from '@napi-rs/canvas';
import { Command } from 'commander';
import { rgbaToYuv420p } from '../src/synth/colour.js';
import { Rng } from '../src/synth/rng.js';
import { benchCases, findMedia, texturedPhotos } from '../bench/cases.js';

/** What the detector nets' tile makers (training/subtitles, training/logos) share. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The photos a net may train on: every photo but those the bench's clips use (quick and full,
 * seeds 1-3) and those the committed test fixtures copy (skimage's chelsea and coffee), so that
 * benchmark and test figures are measured on backgrounds the net never saw.
 */
export async function trainingPhotos(mediaDir: string): Promise<string[]> {
  const media = findMedia(mediaDir);
  if (!media) throw new Error(`no media in ${mediaDir}`);
  const textured = await texturedPhotos(media);
  const used = new Set<string>();
  for (const full of [false, true]) {
    for (const seed of [1, 2, 3]) {
      for (const c of benchCases(textured, { full, seed })) if (c.spec.source.kind !== 'video') used.add(c.spec.source.photo);
    }
  }
  const plain = (p: string) => basename(p).toLowerCase().replace(/[^a-z0-9.]/g, '');
  const fixtures = new Set(readdirSync(join(ROOT, 'test', 'fixtures', 'media')).map(plain));
  return media.photos.filter((p) => !used.has(p) && !fixtures.has(plain(p)));
}

/** A random viewport of the photo (zoomed 1-2.5x past cover), as YUV 4:2:0. */
export function viewport(img: Image, w: number, h: number, rng: Rng): Buffer {
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  const s = Math.max(w / img.width, h / img.height) * rng.range(1, 2.5);
  const halfW = w / s / 2, halfH = h / s / 2;
  const cx = rng.range(halfW, img.width - halfW), cy = rng.range(halfH, img.height - halfH);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.setTransform(s, 0, 0, s, w / 2 - s * cx, h / 2 - s * cy);
  ctx.drawImage(img, 0, 0);
  return rgbaToYuv420p(ctx.getImageData(0, 0, w, h).data, w, h);
}

export function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** Any of the s x s pixels: the mask the detector's upscale must cover. */
export function maxPool(m: Uint8Array, w: number, h: number, s: number): Uint8Array {
  const ow = Math.floor(w / s), oh = Math.floor(h / s);
  const out = new Uint8Array(ow * oh);
  for (let j = 0; j < oh * s; j++) for (let i = 0; i < ow * s; i++) if (m[j * w + i]) out[Math.floor(j / s) * ow + Math.floor(i / s)] = 1;
  return out;
}

/** One kind of training tile: how to draw one, and what its files hold. */
export interface TileMaker {
  /** Default output folder (relative to the working directory). */
  readonly defaultOut: string;
  /** Multiplies --seed, so that two makers given the same seed draw different tiles. */
  readonly seedSalt: number;
  /** Bytes of one tile's input and truth. */
  readonly xBytes: number;
  readonly yBytes: number;
  /** Written into meta.json beside n, the count of tiles with a positive and the photos. */
  readonly meta: Record<string, unknown>;
  /** meta.json's name for the count of tiles holding a positive, e.g. "withCaption". */
  readonly positivesKey: string;
  /** Draws one tile into x and y; true when it holds a positive. */
  sample(img: Image, rng: Rng, x: Uint8Array, y: Uint8Array): Promise<boolean>;
}

/** The tile makers' command line: --out, --samples, --seed, --media; writes x.u8, y.u8 and meta.json. */
export async function makeTiles(maker: TileMaker): Promise<void> {
  const opts = new Command()
    .option('--out <dir>', 'output folder', maker.defaultOut)
    .option('--samples <n>', 'tiles', '6000')
    .option('--seed <n>', 'seed', '1')
    .option('--media <dir>', 'source media (default ../shared/media)')
    .parse()
    .opts<{ out: string; samples: string; seed: string; media?: string }>();
  const n = Number(opts.samples);
  const photos = await trainingPhotos(opts.media ? resolve(opts.media) : join(ROOT, '..', 'shared', 'media'));
  const rng = new Rng(Number(opts.seed) * maker.seedSalt);
  const xs = Buffer.alloc(n * maker.xBytes);
  const ys = Buffer.alloc(n * maker.yBytes);
  let positives = 0;
  // Photo by photo (some are 20+ megapixels: one decoded at a time), tiles spread evenly.
  for (let p = 0, k = 0; p < photos.length; p++) {
    const img = await loadImage(photos[p]!);
    const upto = Math.round(((p + 1) * n) / photos.length);
    for (; k < upto; k++) {
      if (await maker.sample(img, rng.fork(k), xs.subarray(k * maker.xBytes, (k + 1) * maker.xBytes), ys.subarray(k * maker.yBytes, (k + 1) * maker.yBytes))) positives++;
    }
    process.stderr.write(`\r${k}/${n} tiles`);
  }
  await mkdir(opts.out, { recursive: true });
  await writeFile(join(opts.out, 'x.u8'), xs);
  await writeFile(join(opts.out, 'y.u8'), ys);
  await writeFile(join(opts.out, 'meta.json'), JSON.stringify({ n, ...maker.meta, [maker.positivesKey]: positives, photos: photos.map((p) => basename(p)) }, null, 1));
  process.stderr.write(`\n${n} tiles (${positives} ${maker.positivesKey}) from ${photos.length} photos in ${opts.out}\n`);
}

/** Runs a tile maker as a script's main. */
export function runTileMaker(maker: TileMaker): void {
  makeTiles(maker).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
