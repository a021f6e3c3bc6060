/**
 * What the mask-free filter's output looks like inside captions over a pan while the stage is
 * behind: on a machine that cannot keep up, most live frames are filtered this way (bench:latency,
 * auto at 720p on 2 cores: ~80 % degraded), so the offline bench's figures, every frame on time,
 * say little about them. Captions only (synthesised over pans of the shared photos, one script per
 * clip), the temporal fill on, as live.
 *
 *   npm run build && node dist/bench/degraded-quality.js [--every 4] [--clips 3] [--size 1280x720] [--frames 200]
 *
 * `--every n`: one frame in n is on time, the others are processed as behind (0: all on time).
 * Prints luma PSNR inside the true caption masks from frame 50 on, per clip and the mean, the same
 * by frames since the last on-time frame (0: on time), and the filter's mean wall time a frame (a
 * rough figure: timings belong to detect-speed and bench:latency).
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { trueMask } from '../src/synth/clip.js';
import { synthesizeClip } from '../src/synth/synthesize.js';
import { findMedia } from './cases.js';
import { maskedSquaredError, psnrFromMse } from './metrics.js';
import { tuneHeapForVideo } from '../src/core/heap.js';

const opts = new Command()
  .option('--every <n>', 'one frame in n on time, the rest behind (0: all on time)', '4')
  .option('--clips <n>', 'clips (one photo each)', '3')
  .option('--size <WxH>', 'frame size', '1280x720')
  .option('--frames <n>', 'frames per clip (25 fps)', '200')
  .parse()
  .opts<{ every: string; clips: string; size: string; frames: string }>();
// The heap settings the server runs with (src/core/heap.ts): garbage collection is part of the cost.
tuneHeapForVideo();
const [W, H] = opts.size.split('x').map(Number) as [number, number];
const every = Number(opts.every), frames = Number(opts.frames);
const SKIP = 50;
const media = findMedia(join(PROJECT_ROOT, '..', 'shared', 'media')) ?? findMedia(join(PROJECT_ROOT, 'test', 'fixtures', 'media'));
if (!media) throw new Error('no media: ../shared/media or test/fixtures/media');
const photos = [...media.photos].sort().slice(0, Number(opts.clips));

const scores: number[] = [];
// Squared error and pixels by frames since the last on-time frame (0: on time), over all clips.
const byPhase = Array.from({ length: Math.max(1, every) }, () => ({ se: 0, n: 0 }));
for (const [k, photo] of photos.entries()) {
  const script = k % 2 ? 'cjk' : 'latin';
  const clip = await synthesizeClip({ id: `degraded-${k}`, seed: 500 + k, width: W, height: H, fps: 25, frames, source: { kind: 'pan', photo }, overlays: [{ kind: 'subtitles', look: { script } }] });
  const filter = new AutoFilter({ temporal: true });
  const window = new FrameWindow(8);
  let se = 0, n = 0, ms = 0;
  for (let f = 0; f < frames; f++) {
    const frame = { seq: f, ptsMs: f * 40, width: W, height: H, data: Buffer.from(clip.input[f]!), arrivedAt: 0 };
    window.push(frame);
    const t0 = performance.now();
    const out = await filter.process(frame, { window, behind: every > 0 && f % every !== 0 });
    ms += performance.now() - t0;
    if (f < SKIP) continue;
    const { se: frameSe, n: frameN } = maskedSquaredError(out.data, clip.clean[f]!, trueMask(clip.alpha[f]!, clip.truth.maskAlphaMin));
    se += frameSe;
    n += frameN;
    const phase = byPhase[every > 0 ? f % every : 0]!;
    phase.se += frameSe;
    phase.n += frameN;
  }
  await filter.close();
  const score = psnrFromMse(se / Math.max(1, n));
  scores.push(score);
  console.log(`${photo.split('/').pop()} (${script}): PSNR inside the captions ${score.toFixed(2)} dB (${n} pixels, frames ${SKIP}-${frames - 1}); ${(ms / frames).toFixed(1)} ms a frame`);
}
if (every > 1) console.log(`by frames since the last on time: ${byPhase.map((p, k) => `${k}: ${psnrFromMse(p.se / Math.max(1, p.n)).toFixed(2)}`).join(', ')} dB`);
console.log(`mean ${(scores.reduce((a, b) => a + b, 0) / scores.length).toFixed(2)} dB, ${every > 0 ? `one frame in ${every} on time` : 'every frame on time'}, ${W}x${H}`);
process.exit(0);
