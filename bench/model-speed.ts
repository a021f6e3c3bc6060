/**
 * How fast the inpainting model refines the demo's two regions (a corner logo and a subtitle band,
 * demoGeometry) at 720p and 1080p on this machine: tiles per frame, the model's inference in its
 * worker, and the whole refine() (crops, inference, composite) as the frame path sees it.
 *
 *   npm run bench:model -- [--threads 1,2] [--provider cpu] [--frames 40]
 *
 * A speed check, not a test: nothing here fails a build.
 */
import { Command } from 'commander';
import { yuv420pLayout } from '../src/core/frame.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { demoGeometry } from '../src/demo/source.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { planTiles } from '../src/filter/inpaint/crop.js';
import { ModelInpainter, type Hole } from '../src/filter/inpaint/index.js';
import { percentile } from '../src/core/stats.js';
import { join } from 'node:path';

const opts = new Command()
  .option('--threads <list>', 'onnxruntime intra-op threads to try', '1,2')
  .option('--provider <ep>', 'execution provider: cpu, cuda or webgpu', 'cpu')
  .option('--frames <n>', 'frames per size (the first 5 are warm-up)', '40')
  .option('--model <path>', 'ONNX file', join(PROJECT_ROOT, 'models', 'sttn-inpaint.onnx'))
  .parse()
  .opts<{ threads: string; provider: 'cpu' | 'cuda' | 'webgpu'; frames: string; model: string }>();

function frame(w: number, h: number, t: number): Buffer {
  const l = yuv420pLayout(w, h);
  const buf = Buffer.alloc(l.frameSize, 128);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) buf[y * w + x] = 128 + 60 * Math.sin((x + 2 * t) / 53 + y / 71) + 20 * Math.sin(x / 7) * Math.cos(y / 11);
  return buf;
}

const rows: string[] = [];
for (const threads of opts.threads.split(',').map(Number)) {
  for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
    const model = new ModelInpainter({ modelPath: opts.model, executionProvider: opts.provider, threads, maxInFlight: 1, deadlineMs: 60_000, smoothing: 0.6, senseThreshold: 0 });
    await model.ready();
    const g = demoGeometry(w, h);
    const holes: Hole[] = [g.logo, g.subtitles].map((rect, i) => ({ id: `r${i}`, rect, mask: new Uint8Array(rect.width * rect.height).fill(1) }));
    const tiles = holes.reduce((n, hole) => n + planTiles(hole.rect, w, h, { width: model.info.cropWidth, height: model.info.cropHeight }).length, 0);
    const window = new FrameWindow(model.windowFrames);
    const times: number[] = [];
    const n = Number(opts.frames);
    for (let f = 0; f < n; f++) {
      const data = frame(w, h, f);
      const vf = { seq: f, ptsMs: f * 33, width: w, height: h, data, arrivedAt: 0 };
      window.push(vf);
      const t0 = performance.now();
      await model.refine(vf, window, holes, Buffer.from(data));
      if (f >= 5) times.push(performance.now() - t0);
    }
    const s = model.stats().session!;
    const p50 = percentile(times, 50);
    rows.push(`| ${w}x${h} | ${s.provider} | ${threads} | ${tiles} | ${s.inferenceMs.p50.toFixed(1)} | ${p50.toFixed(1)} | ${percentile(times, 99).toFixed(1)} | ${(1000 / p50).toFixed(1)} |`);
    await model.close();
  }
}
console.log(`Inpainting model speed, demo regions (logo + subtitle band), ${opts.model}\n`);
console.log('| frame | provider | threads | tiles | inference p50 ms | refine p50 ms | refine p99 ms | model fps (1 / refine p50) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
