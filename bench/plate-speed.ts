/**
 * What the logo net's plate search (src/filter/detect/plate.ts) costs a run at 720p: a word found
 * on a dark disc (the plate is found and its mask built), and the same word over texture (the
 * search gives up at the ring). It runs once per net run (one frame in 6) for each region seen.
 *
 *   npx tsc -p tsconfig.json; node dist/bench/plate-speed.js
 *
 * A speed check, not a test: nothing here fails a build.
 */
import { withPlate, type MaskedRect } from '../src/filter/detect/plate.js';

const W = 1280, H = 720, RUNS = 200, BATCHES = 5;
const luma = new Uint8Array(W * H);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) luma[y * W + x] = 130 + 50 * Math.sin(x / 3.1) * Math.cos(y / 2.3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - 1100) ** 2 + (y - 100) ** 2 <= 50 * 50) luma[y * W + x] = 30;

const word = (x: number, y: number): MaskedRect => ({ rect: { x, y, width: 84, height: 32 }, mask: new Uint8Array(84 * 32).fill(1) });

for (const [label, region] of [['word on a disc of radius 50', word(1060, 84)], ['word over texture', word(500, 400)]] as const) {
  let best = Infinity;
  let found: MaskedRect | undefined;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < RUNS; i++) found = withPlate(region, luma, W, H);
    best = Math.min(best, (performance.now() - t0) / RUNS);
  }
  console.log(`${label} (84x32 region, ${W}x${H}): ${best.toFixed(2)} ms a run (best of ${BATCHES} x ${RUNS}); plate ${found ? `${found.rect.width}x${found.rect.height}` : 'none'}`);
}
