/**
 * Training shards for the inpainting model (training/), written by the same synthesiser as the
 * benchmark so overlays have one definition: every shard is an ordinary synthetic clip
 * (src/synth/README.md format: FFV1 input/clean, alpha.u8.gz, truth.json) that training/data.py
 * decodes with ffmpeg. Photos the benchmark uses (quick and full, seed 1) are held out, and real
 * video is taken from a stretch of the source past the one the benchmark plays.
 *
 *   npm run synth:train -- --out training/data/train --count 240
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { PROJECT_ROOT } from '../core/paths.js';
import { CLIP_FILES } from '../synth/clip.js';
import { findMedia, texturedPhotos, type Media } from '../synth/media.js';
import { Rng } from '../synth/rng.js';
import { synthesizeToDir, type ClipSpec } from '../synth/synthesize.js';
import { benchCases } from '../../bench/cases.js';

export const SHARD_INDEX = 'index.json';
export const SHARD_FORMAT = 'clearcast-train/1';

/** Frames a real video source must skip so that training never sees the benchmark's stretch of it. */
export const VIDEO_HOLDOUT_FRAMES = 300;

export interface ShardOptions {
  readonly out: string;
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly seed: number;
  readonly media: Media;
  /** Photos never used for training (the benchmark's). */
  readonly holdout: ReadonlySet<string>;
  readonly onClip?: (id: string, index: number) => void;
}

/** The benchmark's photos for its default clip sets, so training can leave them out. */
export async function benchPhotos(media: Media): Promise<Set<string>> {
  const textured = await texturedPhotos(media);
  const held = new Set<string>();
  for (const full of [false, true]) {
    for (const c of benchCases(textured, { full, seed: 1 })) if (c.spec.source.kind !== 'video') held.add(c.spec.source.photo);
  }
  return held;
}

/** One random training clip: a pan (most), a static shot or real video, with a random overlay mix. */
export function shardSpec(i: number, o: Pick<ShardOptions, 'width' | 'height' | 'frames' | 'seed' | 'media' | 'holdout'>): ClipSpec {
  const rng = new Rng(o.seed * 100_003 + i);
  const photos = o.media.photos.filter((p) => !o.holdout.has(p));
  if (photos.length === 0) throw new Error('every photo is held out for the benchmark: give more media');
  const r = rng.next();
  const source: ClipSpec['source'] =
    r < 0.25 && o.media.videos.length
      ? { kind: 'video', path: rng.pick(o.media.videos), startFrame: VIDEO_HOLDOUT_FRAMES + rng.int(0, 120) }
      : r < 0.4
        ? { kind: 'static', photo: rng.pick(photos) }
        : { kind: 'pan', photo: rng.pick(photos) };
  return { id: `train-${String(i).padStart(5, '0')}`, seed: o.seed * 1_000_000 + i, width: o.width, height: o.height, fps: 25, frames: o.frames, source, overlays: 'random' };
}

/** Writes `count` clips (skipping those already complete, so an interrupted run resumes) and the index. */
export async function writeShards(o: ShardOptions): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const spec = shardSpec(i, o);
    const dir = join(o.out, spec.id);
    // truth.json is written together with the videos; its presence alone is not proof, the input is.
    if (!existsSync(join(dir, CLIP_FILES.truth)) || !existsSync(join(dir, CLIP_FILES.input))) await synthesizeToDir(spec, dir);
    ids.push(spec.id);
    o.onClip?.(spec.id, i);
  }
  const index = { format: SHARD_FORMAT, width: o.width, height: o.height, frames: o.frames, seed: o.seed, clips: ids };
  await writeFile(join(o.out, SHARD_INDEX), JSON.stringify(index, null, 1));
  return ids;
}

async function main(): Promise<void> {
  const opts = new Command()
    .name('synth:train')
    .description('Write synthetic training clips (the benchmark synthesiser, benchmark photos held out)')
    .option('--out <dir>', 'output folder', join(PROJECT_ROOT, 'training', 'data', 'train'))
    .option('--count <n>', 'number of clips', '240')
    .option('--size <WxH>', 'clip size', '320x240')
    .option('--frames <n>', 'frames per clip (the model window reaches 16 frames back)', '32')
    .option('--seed <n>', 'seed of the clip set', '1')
    .option('--media <dir>', 'source media (default ../shared/media)')
    .parse()
    .opts<{ out: string; count: string; size: string; frames: string; seed: string; media?: string }>();
  const mediaDir = opts.media ? resolve(opts.media) : join(PROJECT_ROOT, '..', 'shared', 'media');
  const media = findMedia(mediaDir);
  if (!media) throw new Error(`no video and photos in ${mediaDir}`);
  const [width, height] = opts.size.split('x').map(Number) as [number, number];
  const holdout = await benchPhotos(media);
  const count = Number(opts.count);
  const t0 = performance.now();
  await writeShards({
    out: resolve(opts.out), count, width, height, frames: Number(opts.frames), seed: Number(opts.seed), media, holdout,
    onClip: (id, i) => {
      if (i % 10 === 9 || i === count - 1) process.stderr.write(`synth:train ${i + 1}/${count} (${id}) ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    },
  });
  process.stderr.write(`synth:train: ${count} clips in ${opts.out}, ${holdout.size} benchmark photos held out\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`synth:train failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
