/**
 * How long the manual-region fill takes at 720p, next to ffmpeg's delogo for reference; then the
 * temporal fill (src/filter/temporal) on a sub-pixel pan and on a static camera, per frame, against
 * the spatial fill alone on the same frames.
 *
 *   npx tsc -p tsconfig.json; node dist/bench/fill-speed.js
 *
 * A speed check, not a test: timings depend on the machine, so nothing here fails a build.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { yuv420pLayout, type Rect } from '../src/core/frame.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { fillRect, FillScratch, planeRect, yuv420pPlanes } from '../src/filter/fill/index.js';
import { ManualRegionFilter } from '../src/filter/manual-region-filter.js';
import { GlobalMotionEstimator } from '../src/filter/temporal/index.js';
import { resample, ResampleScratch } from '../src/filter/temporal/resample.js';
import { percentile } from '../src/core/stats.js';

const W = 1280;
const H = 720;
const RUNS = 200;
const BATCHES = 5;

/** Textured, deterministic content; the solver's cost does not depend on it, but clamping and rounding do a little. */
function frame(): Buffer {
  const l = yuv420pLayout(W, H);
  const buf = Buffer.alloc(l.frameSize);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) buf[y * W + x] = 128 + 60 * Math.sin(x / 53 + y / 71) + 20 * Math.sin(x / 7) * Math.cos(y / 11);
  for (let i = l.uOffset; i < l.frameSize; i++) buf[i] = 128 + 30 * Math.sin(i / 97);
  return buf;
}

/** Best batch mean in ms: the minimum over batches filters out scheduler noise on a shared machine. */
function time(fn: () => void): number {
  for (let i = 0; i < RUNS; i++) fn();
  let best = Infinity;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < RUNS; i++) fn();
    best = Math.min(best, (performance.now() - t0) / RUNS);
  }
  return best;
}

/** ffmpeg's per-frame wall time for `vf`, minus a `null` filter run so demuxing and raw I/O cancel out; null without ffmpeg. */
function ffmpegMs(input: string, frames: number, vf: string): number | null {
  const rtime = (filter: string): number => {
    const args = ['-hide_banner', '-benchmark', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-i', input, '-vf', filter, '-f', 'null', '-'];
    const res = spawnSync('ffmpeg', args, { encoding: 'utf8' });
    // -benchmark reports on stderr: "bench: utime=…s stime=…s rtime=…s"
    return Number(/rtime=([\d.]+)s/.exec(res.stderr ?? '')?.[1] ?? Number.NaN);
  };
  const ms = ((rtime(vf) - rtime('null')) * 1000) / frames;
  return Number.isFinite(ms) ? ms : null;
}

const data = frame();
const regions: Rect[] = [
  { x: 1040, y: 40, width: 200, height: 80 },
  { x: 900, y: 560, width: 300, height: 120 },
];

const tmp = mkdtempSync(join(tmpdir(), 'clearcast-bench-'));
try {
  const frames = 60;
  const input = join(tmp, 'in.yuv');
  writeFileSync(input, Buffer.concat(Array.from({ length: frames }, () => data)));

  console.log(`fill speed at ${W}x${H} (best of ${BATCHES} batches of ${RUNS})`);
  for (const rect of regions) {
    const planes = yuv420pPlanes(Buffer.from(data), W, H);
    const luma = planeRect(rect, W, H)!;
    const chroma = planeRect({ x: luma.x0, y: luma.y0, width: luma.x1 - luma.x0, height: luma.y1 - luma.y0 }, planes[1].width, planes[1].height, 2)!;
    const scratch = new FillScratch();
    const fillOnly = time(() => {
      fillRect(planes[0], luma, [], scratch);
      fillRect(planes[1], chroma, [], scratch);
      fillRect(planes[2], chroma, [], scratch);
    });

    const filter = new ManualRegionFilter([{ id: 'bench', kind: 'manual', rect, enabled: true }]);
    const window = new FrameWindow(1);
    const video = { seq: 0, ptsMs: 0, width: W, height: H, data, arrivedAt: 0 };
    const whole = time(() => void filter.process(video, { window, behind: false }));
    const reuse = time(() => void filter.process(video, { window, behind: true }));

    const { x, y, width, height } = rect;
    const delogo = ffmpegMs(input, frames, `delogo=x=${x}:y=${y}:w=${width}:h=${height}:show=0`);
    console.log(
      `${width}x${height}: fill ${fillOnly.toFixed(3)} ms (Y+U+V), process() ${whole.toFixed(3)} ms incl. frame copy, ` +
        `degraded reuse ${reuse.toFixed(3)} ms; ffmpeg delogo ${delogo === null ? 'n/a' : `${delogo.toFixed(3)} ms`}`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * 720p frames of a camera panning (1.7 px/frame right, 0.6 down) and zooming in (+0.05 %/frame)
 * over a large texture, so that every memory map is fractional (the bicubic path, not a copy).
 */
function panFrames(count: number): Buffer[] {
  const TW = 2400, TH = 1400;
  const tile = new Uint8Array(TW * TH);
  for (let y = 0; y < TH; y++) {
    for (let x = 0; x < TW; x++) tile[y * TW + x] = 128 + 50 * Math.sin(x / 37 + y / 53) + 25 * Math.sin(x / 5.3) * Math.cos(y / 7.1) + ((Math.imul(x * 7919 + y, 2654435761) >>> 27) - 16);
  }
  const { ySize, frameSize } = yuv420pLayout(W, H);
  const scratch = new ResampleScratch();
  const luma = new Float32Array(ySize);
  return Array.from({ length: count }, (_, f) => {
    const s = 1 / (1 + 0.0005 * f);
    resample({ data: tile, offset: 0, width: TW, height: TH }, { s, tx: 300 + 1.7 * f, ty: 200 + 0.6 * f }, 0, 0, W, H, 'clamp', luma, scratch);
    const out = Buffer.alloc(frameSize, 128);
    for (let i = 0; i < ySize; i++) out[i] = luma[i]! < 0 ? 0 : luma[i]! > 255 ? 255 : Math.round(luma[i]!);
    return out;
  });
}

/** Per-frame cost of the spatial and the temporal manual fill, run alternately on the same frames. */
function temporalCost(label: string, frames: readonly Buffer[], rects: readonly Rect[]): void {
  const regions = rects.map((rect, k) => ({ id: `r${k}`, kind: 'manual' as const, rect, enabled: true }));
  const spatial = new ManualRegionFilter(regions);
  const temporal = new ManualRegionFilter(regions, { temporal: true });
  const window = new FrameWindow(1);
  const ms = { spatial: [] as number[], temporal: [] as number[], motion: [] as number[] };
  const estimator = new GlobalMotionEstimator();
  const holes = rects.map((r) => planeRect(r, W, H)!);
  const WARMUP = 20;
  let known = 0;
  frames.forEach((data, seq) => {
    const video = { seq, ptsMs: seq * 33, width: W, height: H, data, arrivedAt: 0 };
    window.push(video);
    const t0 = performance.now();
    spatial.process(video, { window, behind: false });
    const t1 = performance.now();
    temporal.process(video, { window, behind: false });
    const t2 = performance.now();
    estimator.estimate({ data, offset: 0, width: W, height: H }, holes);
    const t3 = performance.now();
    if (seq < WARMUP) return;
    ms.spatial.push(t1 - t0);
    ms.temporal.push(t2 - t1);
    ms.motion.push(t3 - t2);
    known += temporal.knownFromTime().reduce((n, k) => n + k.count, 0);
  });
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fmt = (xs: number[]): string => `mean ${mean(xs).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms`;
  const area = rects.reduce((n, r) => n + r.width * r.height, 0);
  console.log(
    `${label}, ${frames.length - WARMUP} frames: spatial process() ${fmt(ms.spatial)}; temporal process() ${fmt(ms.temporal)} ` +
      `(${(mean(ms.temporal) / mean(ms.spatial)).toFixed(1)}x); motion estimate alone ${fmt(ms.motion)}; ` +
      `pixels from memory ${((100 * known) / (area * (frames.length - WARMUP))).toFixed(0)} %`,
  );
}

const TEMPORAL_RECTS: Rect[] = [
  { x: 1040, y: 40, width: 200, height: 80 },
  { x: 190, y: 600, width: 900, height: 70 },
];
console.log(`temporal fill at ${W}x${H}, a logo and a caption band (${TEMPORAL_RECTS.map((r) => `${r.width}x${r.height}`).join(' + ')})`);
const panning = panFrames(140);
temporalCost('sub-pixel pan + zoom', panning, TEMPORAL_RECTS);
temporalCost('static camera', Array.from({ length: 140 }, () => panning[0]!), TEMPORAL_RECTS);
