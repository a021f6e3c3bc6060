/**
 * The temporal fill's two resampling hot spots on their own, at 720p: capture (what a frame shows
 * around the holes, sampled from the frame's bytes into a memory) and read (a memory's floats
 * sampled back over a hole). Capture alone, then capture and read alternating, as in the live
 * path: the second figure shows whether the two share compiled code badly.
 *
 *   npx tsc -p tsconfig.json; node dist/bench/capture-speed.js
 *
 * A speed check, not a test: nothing here fails a build. Prints a checksum of what the memory holds
 * at the end, so a change meant to be output-neutral can be checked to be.
 */
import { createHash } from 'node:crypto';
import { CaptureScratch, MemoryWindow } from '../src/filter/temporal/memory.js';
import { ResampleScratch, type Raster } from '../src/filter/temporal/resample.js';

const W = 1280, H = 720, CW = W / 2, CH = H / 2;
const FRAMES = 400, WARMUP = 50, BATCHES = 5;
/** A caption band's hole (the window around it is what one live caption gets: ~976 x 232). */
const HOLE = { x0: 230, y0: 560, x1: 1055, y1: 683 };

const frames = Array.from({ length: 8 }, (_, f) => {
  const d = new Uint8Array((W * H * 3) / 2);
  for (let i = 0; i < d.length; i++) d[i] = ((Math.imul(i + f * 7919, 2654435761) >>> 24) % 200) + 20 * Math.sin(i * 0.01);
  return d;
});
const covered = { luma: new Uint8Array(W * H), chroma: new Uint8Array(CW * CH) };
for (let y = HOLE.y0; y < HOLE.y1; y++) covered.luma.fill(1, y * W + HOLE.x0, y * W + HOLE.x1);
for (let y = HOLE.y0 >> 1; y < HOLE.y1 >> 1; y++) covered.chroma.fill(1, y * CW + (HOLE.x0 >> 1), y * CW + (HOLE.x1 >> 1));

function run(withRead: boolean): { capture: number; read: number; sum: string } {
  const memory = new MemoryWindow();
  memory.cover({ x0: HOLE.x0 - 70, y0: HOLE.y0 - 50, x1: HOLE.x1 + 65, y1: H }, 8, Number.MAX_SAFE_INTEGER);
  const scratch = new CaptureScratch();
  const readScratch = new ResampleScratch();
  const rect = { x0: HOLE.x0 - 5, y0: HOLE.y0 - 5, x1: HOLE.x1 + 5, y1: HOLE.y1 + 5 };
  const n = (rect.x1 - rect.x0) * (rect.y1 - rect.y0);
  const values = new Float32Array(n), times = new Int32Array(n), blocks = new Int32Array(n);
  const capture: number[] = [], read: number[] = [];
  for (let f = 0; f < FRAMES; f++) {
    // A camera that never lands on whole pixels: every sample takes the bicubic path.
    memory.toMemory = { s: 1 + 0.0001 * Math.sin(f), tx: 0.37 * Math.sin(f * 0.3), ty: -0.21 * Math.cos(f * 0.2) };
    const d = frames[f % frames.length]!;
    const planes: [Raster, Raster, Raster] = [
      { data: d, offset: 0, width: W, height: H },
      { data: d, offset: W * H, width: CW, height: CH },
      { data: d, offset: W * H + CW * CH, width: CW, height: CH },
    ];
    const t0 = performance.now();
    memory.capture({ planes, covered, frame: f, bias: 0, changeLevels: 12, misregistrationPx: 0.5, changeShare: 0.5, settleFrames: f % 3 }, scratch);
    const t1 = performance.now();
    if (withRead) memory.read(0, rect, values, times, blocks, readScratch);
    const t2 = performance.now();
    if (f < WARMUP) continue;
    capture.push(t1 - t0);
    read.push(t2 - t1);
  }
  const hash = createHash('sha1');
  for (const p of [0, 1, 2] as const) hash.update(new Uint8Array(memory.values[p].buffer)).update(new Uint8Array(memory.times[p].buffer));
  hash.update(new Uint8Array(memory.changed.buffer));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { capture: mean(capture), read: mean(read), sum: hash.digest('hex').slice(0, 12) };
}

/** Best of BATCHES runs, each in the same process: scheduler noise only ever adds time. */
function best(withRead: boolean): { capture: number; read: number; sum: string } {
  const runs = Array.from({ length: BATCHES }, () => run(withRead));
  return runs.reduce((a, b) => (b.capture + b.read < a.capture + a.read ? b : a));
}

const alone = best(false);
console.log(`capture alone at ${W}x${H} (hole ${HOLE.x1 - HOLE.x0}x${HOLE.y1 - HOLE.y0}): ${alone.capture.toFixed(2)} ms a frame; memory sha1 ${alone.sum}`);
const both = best(true);
console.log(`capture with read alternating: capture ${both.capture.toFixed(2)} ms, read ${both.read.toFixed(2)} ms a frame; memory sha1 ${both.sum}`);
