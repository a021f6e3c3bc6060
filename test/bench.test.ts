import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { preencodeBarcode, readBarcode } from '../bench/barcode.js';
import { benchCases, findMedia } from '../bench/cases.js';
import { cpuSnapshot, cpuSplit } from '../bench/cpu-split.js';
import { ClipEvaluator } from '../bench/evaluate.js';
import { METHOD_OUTPUT_ARGS, clampForDelogo, runsOf } from '../bench/ffmpeg-baselines.js';
import { teleaInpaintPlane } from '../bench/inpaint-telea.js';
import { METHODS } from '../bench/methods.js';
import { decodeYuv, encodeYuv } from '../src/synth/ffmpeg-io.js';
import { readVideo, synthesizeToDir } from '../src/synth/index.js';

const MEDIA = join(import.meta.dirname, 'fixtures', 'media');
const tmp = mkdtempSync(join(tmpdir(), 'clearcast-bench-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CPU split', () => {
  it('charges ticks to the main thread, named workers, the other threads and each child by role, as shares of a core', () => {
    const main = process.pid;
    const t = (ticks: number, name = 'node') => ({ ticks, name });
    const from = { at: 0, threads: new Map([[main, t(100)], [main + 1, t(50)], [main + 3, t(5, 'cc-logo-stats')]]), children: new Map([[9001, { ticks: 10, cmdline: 'ffmpeg -i pipe:0 libx264' }]]) };
    // Two seconds later: main +150 ticks, a thread +20, a new thread 30, the logo statistics' worker
    // +16 and a second one (another stream) 4, the encoder +40, a new child 8.
    const to = {
      at: 2000,
      threads: new Map([[main, t(250)], [main + 1, t(70)], [main + 2, t(30)], [main + 3, t(21, 'cc-logo-stats')], [main + 4, t(4, 'cc-logo-stats')]]),
      children: new Map([[9001, { ticks: 50, cmdline: 'ffmpeg -i pipe:0 libx264' }], [9002, { ticks: 8, cmdline: 'ffmpeg -i rtmp://x' }]]),
    };
    const split = cpuSplit(from, to, (c) => (c.includes('libx264') ? 'encoder' : 'other'));
    expect(split.mainThread).toBeCloseTo(75, 5);
    expect(split.otherThreads).toBeCloseTo(25, 5);
    expect(split.workers).toEqual({ 'cc-logo-stats': 10 });
    expect(split.children).toEqual({ encoder: 20, other: 4 });
    expect(split.total).toBeCloseTo(134, 5);
  });

  it.runIf(process.platform === 'linux')('reads this process\'s own threads from /proc', () => {
    const snap = cpuSnapshot();
    expect(snap?.threads.has(process.pid)).toBe(true);
    expect(snap?.threads.get(process.pid)?.name.length).toBeGreaterThan(0);
  });
});

describe('Telea inpainting', () => {
  it('reproduces a flat picture and a linear ramp inside a hole', () => {
    const w = 40, h = 30;
    const mask = new Uint8Array(w * h);
    for (let y = 10; y < 20; y++) for (let x = 12; x < 26; x++) mask[y * w + x] = 1;
    const flat = new Uint8Array(w * h).fill(77);
    const hole = flat.map((v, i) => (mask[i] ? 0 : v));
    teleaInpaintPlane(hole, w, h, mask, 5);
    expect(hole.every((v) => v === 77)).toBe(true);

    const ramp = Uint8Array.from({ length: w * h }, (_, i) => 50 + 4 * (i % w));
    const filled = ramp.map((v, i) => (mask[i] ? 0 : v));
    teleaInpaintPlane(filled, w, h, mask, 5);
    let worst = 0;
    mask.forEach((m, i) => m && (worst = Math.max(worst, Math.abs(filled[i]! - ramp[i]!))));
    // A weighted mean without the gradient term flattens a ramp a little towards the hole's centre.
    expect(worst).toBeLessThan(16);
    expect(worst).toBeGreaterThan(0);
  });
});

describe('ffmpeg baseline helpers', () => {
  it('groups equal consecutive values into inclusive runs', () => {
    expect(runsOf([1, 1, 2, 2, 2, 1], String).map((s) => [s.start, s.end, s.value])).toEqual([[0, 1, 1], [2, 4, 2], [5, 5, 1]]);
  });

  it('keeps delogo boxes 1 px inside the frame', () => {
    expect(clampForDelogo({ x: 0, y: 0, width: 320, height: 20 }, 320, 240)).toEqual({ x: 1, y: 1, width: 318, height: 19 });
    expect(clampForDelogo({ x: 319, y: 5, width: 4, height: 4 }, 320, 240)).toBeNull();
  });

  it('writes method outputs losslessly (x264 -qp 0 round trip is bit exact)', async () => {
    const clip = await synthesizeToDir(
      { id: 'rt', seed: 3, width: 96, height: 64, fps: 25, frames: 6, source: { kind: 'pan', photo: join(MEDIA, 'skimage-chelsea.jpg') }, overlays: [] },
      join(tmp, 'rt'),
    );
    const path = join(tmp, 'rt', 'x264.mkv');
    await encodeYuv(path, 96, 64, 25, clip.clean, METHOD_OUTPUT_ARGS);
    const back = await readVideo(path, clip.truth);
    expect(Buffer.concat(back).equals(Buffer.concat(clip.clean))).toBe(true);
  });
});

describe('bench cases', () => {
  it('covers the required kinds from the committed fixtures', () => {
    const media = findMedia(MEDIA);
    expect(media).toBeDefined();
    const kinds = benchCases(media!, { full: false, seed: 1 }).map((c) => c.kind);
    expect(kinds).toEqual(expect.arrayContaining(['video-translucent-logo-subs', 'pan-opaque-logo', 'static-logo', 'no-overlay']));
  });
});

describe('every method on a small clip', () => {
  it('returns frame-exact output; mask-given methods beat the input inside the overlay and leave the rest of the picture alone', async () => {
    const dir = join(tmp, 'all');
    const clip = await synthesizeToDir(
      {
        id: 'all', seed: 5, width: 160, height: 120, fps: 25, frames: 12,
        source: { kind: 'video', path: join(MEDIA, 'tree-160x120.mp4') },
        overlays: [{ kind: 'logo', opacity: 1, widthFrac: 0.12, graphic: 'drawn' }],
      },
      dir,
    );
    const scores = new Map<string, { psnrIn: number; psnrOut: number; recall: number }>();
    for (const m of METHODS) {
      const work = join(dir, m.id);
      await mkdir(work, { recursive: true });
      const run = await m.run(clip, join(dir, 'input.mkv'), work);
      const out = await readVideo(run.output, clip.truth);
      expect(out.length, m.id).toBe(clip.truth.frames);
      const ev = new ClipEvaluator(160, 120);
      out.forEach((o, f) => ev.addFrame(clip.input[f]!, o, clip.clean[f]!, clip.alpha[f]!));
      scores.set(m.id, ev.result());
    }
    const input = scores.get('input')!;
    for (const id of ['delogo', 'removelogo', 'telea', 'clearcast-manual']) {
      expect(scores.get(id)!.psnrIn, id).toBeGreaterThan(input.psnrIn + 5);
      expect(scores.get(id)!.recall, id).toBeGreaterThan(0.9);
    }
    expect(scores.get('clearcast-passthrough')!.psnrIn).toBe(input.psnrIn);
    expect(scores.get('removelogo')!.psnrOut).toBe(Infinity);
    expect(scores.get('telea')!.psnrOut).toBe(Infinity);
  });
});

describe('latency bench publisher', () => {
  it('pre-encodes every barcode frame, in order, to an FLV that replays as sent', async () => {
    const file = join(tmp, 'pre.flv');
    await preencodeBarcode(file, { width: 640, height: 360, fps: 30 }, 45);
    const frames = await decodeYuv(file, { width: 640, height: 360, exactSize: true });
    expect(frames.map((f) => readBarcode(f, 640))).toEqual(Array.from({ length: 45 }, (_, i) => i));
  });
});
