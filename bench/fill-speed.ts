/**
 * How long the manual-region fill takes at 720p, next to ffmpeg's delogo for reference.
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
