import { createHash } from 'node:crypto';
import { Command } from 'commander';
import { yuv420pLayout, type VideoFrame } from '../src/core/frame.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { latinFonts } from '../src/synth/assets.js';
import { blendByte, overlayToYuv420p } from '../src/synth/colour.js';
import { renderCue } from '../src/synth/subtitles.js';
import { percentile } from './metrics.js';
import { tuneHeapForVideo } from '../src/core/heap.js';

/**
 * Cost of the mask-free filter per frame at 1280x720 (detection amortised over frames, plus the
 * fill of what it found), on a panning texture with a fixed opaque logo and outlined captions (the
 * synthesiser's: a new one-or-two-line cue every 3 s, shown 2.5 s), so there is something to find and fill.
 * Run: npm run build && node dist/bench/detect-speed.js [--behind | --live [--checksum]]
 * --checksum prints a hash of every output frame, so a change meant to leave the output alone can be
 * checked to: the frames and the filter are deterministic.
 */
// The heap settings the server runs with (src/core/heap.ts): garbage collection is part of the cost.
tuneHeapForVideo();
const W = 1280, H = 720, FRAMES = 300;
const { frameSize, ySize } = yuv420pLayout(W, H);
const CUE_EVERY = 90, CUE_FRAMES = 75;
const cues = [['Nobody knows where the river ends.', 'Keep your eyes on the horizon.'], ['That was the last train tonight.'], ['Are you sure this is the right road?', 'Quiet, they can hear us.'], ['The storm should pass by morning.']].map((lines) => {
  const sprite = renderCue(lines, { script: 'latin', font: latinFonts()[0]!, sizePx: 44, colour: '#ffffff', style: 'outline', position: 'bottom' }, W);
  const rows = sprite.canvas.height;
  return { y: H - 40 - rows, rows, layer: overlayToYuv420p(sprite.canvas.getContext('2d').getImageData(0, 0, W, rows).data, W, rows) };
});
const tile = new Uint8Array(4096 * 4096);
for (let i = 0; i < tile.length; i++) tile[i] = 40 + ((Math.imul(i, 2654435761) >>> 24) % 60) + 60 * Math.sin((i % 4096) * 0.05);
function frame(f: number): VideoFrame {
  const data = Buffer.alloc(frameSize, 128);
  for (let y = 0; y < H; y++) {
    const src = (y + f) * 4096 + 2 * f;
    data.set(tile.subarray(src, src + W), y * W);
  }
  for (let y = 40; y < 120; y++) data.fill(230, y * W + 1100, y * W + 1240);
  const cue = f % CUE_EVERY < CUE_FRAMES ? cues[Math.floor(f / CUE_EVERY) % cues.length]! : undefined;
  if (cue) for (let i = 0, o = cue.y * W; i < W * cue.rows; i++) data[o + i] = blendByte(cue.layer.alpha[i]!, cue.layer.yuv[i]!, data[o + i]!);
  data.fill(128, ySize);
  return { seq: f, ptsMs: (f * 1000) / 30, width: W, height: H, data, arrivedAt: 0 };
}
const frames = Array.from({ length: FRAMES }, (_, f) => frame(f));

/** Per-frame cost of one filter configuration over the same frames (the first 60 frames are warm-up). */
async function measure(label: string, filter: AutoFilter, queued = false, behind = false): Promise<number> {
  const window = new FrameWindow(8);
  const ms: number[] = [];
  const hash = createHash('sha256');
  for (const [i, fr] of frames.entries()) {
    window.push(fr);
    const t = performance.now();
    const next = queued ? frames[i + 1] : undefined;
    const out = await filter.process(fr, { window, behind, ...(next ? { next } : {}) });
    ms.push(performance.now() - t);
    if (checksum) hash.update(out.data);
  }
  if (checksum) console.log(`  output sha256 ${hash.digest('hex').slice(0, 16)}`);
  const steady = ms.slice(60);
  const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
  const active = filter.detectedRegions().filter((r) => r.state === 'active').length;
  console.log(`${label} at ${W}x${H}, frames 60-${FRAMES}: mean ${mean.toFixed(2)} ms, p50 ${percentile(steady, 50).toFixed(2)} ms, p99 ${percentile(steady, 99).toFixed(2)} ms, max ${Math.max(...steady).toFixed(2)} ms; active regions ${active}; captions by ${filter.subtitleEngine.engine}`);
  const t = filter.temporalTimings;
  // Every frame's share, warm-up included: where the temporal fill's time goes, not its steady cost.
  if (t && t.frames > 0) console.log(`  temporal fill, ${t.frames} frames: ${(t.total / t.frames).toFixed(2)} ms a frame, of which camera motion ${(t.motion / t.frames).toFixed(2)}, capture ${(t.capture / t.frames).toFixed(2)}, read back and spread ${(t.fill / t.frames).toFixed(2)}`);
  await filter.close();
  return mean;
}

const opts = new Command()
  .option('--behind', 'only the cost of a frame while the stage is behind, against the same filter on time')
  .option('--live', 'only the live default with the next frame queued (one filter, for a CPU profile)')
  .option('--checksum', 'print a hash of the output frames of each configuration')
  .parse()
  .opts<{ behind?: boolean; live?: boolean; checksum?: boolean }>();
const checksum = opts.checksum === true;
if (opts.live) {
  await measure('live default, next frame queued', new AutoFilter({ temporal: true }), true);
  process.exit(0);
}
if (opts.behind) {
  // The stage tells the filter it is behind while frames wait: what a frame then costs, against the same filter on time.
  const onTime = await measure('live default, next frame queued', new AutoFilter({ temporal: true }), true);
  const late = await measure('live default, behind on every frame', new AutoFilter({ temporal: true }), true, true);
  console.log(`behind / on time: ${(late / onTime).toFixed(2)} x mean cost per frame`);
  process.exit(0);
}

// The classical caption detector is the baseline, measured in the same process on the same frames.
const classical = await measure('auto filter, classical captions', new AutoFilter({ subtitleModel: false }));
const net = await measure('auto filter, caption net (worker) + ticker', new AutoFilter());
console.log(`caption net / classical: ${(net / classical).toFixed(2)} x mean cost per frame`);
// What the live path runs by default (pipeline.temporalFill: true): the same plus the motion-compensated background memory.
const live = await measure('auto filter, caption net + ticker + temporal fill (live default)', new AutoFilter({ temporal: true }));
console.log(`temporal fill on / off: ${(live / net).toFixed(2)} x mean cost per frame`);
// The same with the next frame always queued (FilterContext.next), as when the stage runs a frame
// behind: the next frame's caption net then runs in its worker during this frame's fill.
const queued = await measure('live default, next frame queued (captions started early)', new AutoFilter({ temporal: true }), true);
console.log(`next frame queued / not: ${(queued / live).toFixed(2)} x mean cost per frame`);
// The logo net (one frame in 6, in its worker) is on by default (pipeline.auto.logoNet); without it:
const noLogoNet = await measure('live default without the logo net', new AutoFilter({ temporal: true, logoModel: false }));
console.log(`logo net on / off: ${(live / noLogoNet).toFixed(2)} x mean cost per frame`);
