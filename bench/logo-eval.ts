/**
 * Logo detection, scored in process on cached synthetic clips: fast enough to run after every
 * change to the detector (the full bench re-encodes every output; this reads frames once and
 * calls the filter directly).
 *
 *   npm run build && node dist/bench/logo-eval.js [--size 320x240|640x360] [--only substr] [--frames n]
 *   npm run build && node dist/bench/logo-eval.js --bench full   # the benchmark's own clips instead
 *   ... [--logo-model <onnx>] [--logo-weak <p>]                  # another logo net or weak threshold
 *
 * `--bench quick|full` scores the clips `npm run bench` uses (bench/cases.ts, seed 1), as
 * synthesised (not through the encoder the bench puts them through), so a change to the detector
 * can be checked on exactly those clips in a few minutes.
 *
 * Per clip: logo mask IoU per second, the first time it reaches 0.85, IoU and luma PSNR inside the
 * logo from 3 s on (with the share of those pixels left as they came in, and the PSNR of the others
 * alone), the area reported outside any overlay, and whether the detector still waits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { VideoFrame } from '../src/core/frame.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { readClip, trueMask, writeClip, type ClipData } from '../src/synth/clip.js';
import { synthesizeClip, type ClipSpec } from '../src/synth/synthesize.js';
import { benchCases, findMedia, texturedPhotos } from './cases.js';
import { dilate, psnrFromMse } from './metrics.js';
import { MASK_DILATE_PX } from './evaluate.js';
import { logoMask, logoNetTrial, logoTruth } from './logo-masks.js';

interface EvalCase {
  readonly name: string;
  readonly spec: (w: number, h: number, frames: number, photo: (k: number) => string, video: string) => ClipSpec;
}

function cases(): EvalCase[] {
  const out: EvalCase[] = [];
  const mk = (name: string, seed: number, source: (p: (k: number) => string, v: string) => ClipSpec['source'], overlays: ClipSpec['overlays']) =>
    out.push({ name, spec: (width, height, frames, photo, video) => ({ id: name, seed, width, height, fps: 25, frames, source: source(photo, video), overlays }) });
  for (let r = 0; r < 4; r++) {
    mk(`pan-opaque-${r}`, 100 + r, (p) => ({ kind: 'pan', photo: p(r) }), [{ kind: 'logo', opacity: 1, graphic: r % 2 ? 'drawn' : 'icon' }]);
    mk(`pan-translucent-${r}`, 200 + r, (p) => ({ kind: 'pan', photo: p(r + 5) }), [{ kind: 'logo', opacity: 0.3 + 0.1 * r, graphic: r % 2 ? 'icon' : 'drawn' }]);
  }
  for (let r = 0; r < 2; r++) {
    mk(`video-translucent-${r}`, 300 + r, (_p, v) => ({ kind: 'video', path: v, startFrame: 20 * r }), [{ kind: 'logo', opacity: 0.35 + 0.2 * r, graphic: 'drawn' }]);
    mk(`video-opaque-${r}`, 310 + r, (_p, v) => ({ kind: 'video', path: v, startFrame: 30 + 20 * r }), [{ kind: 'logo', opacity: 1, graphic: r ? 'icon' : 'drawn' }]);
  }
  (['blink', 'fade', 'pulse', 'move'] as const).forEach((motion, r) =>
    mk(`pan-dynamic-${motion}`, 400 + r, (p) => ({ kind: 'pan', photo: p(r + 9) }), [{ kind: 'dynamic-logo', motion }]));
  mk('none-pan', 500, (p) => ({ kind: 'pan', photo: p(13) }), []);
  mk('none-video', 501, (_p, v) => ({ kind: 'video', path: v, startFrame: 30 }), []);
  mk('none-static', 502, (p) => ({ kind: 'static', photo: p(14) }), []);
  mk('static-logo', 503, (p) => ({ kind: 'static', photo: p(15) }), [{ kind: 'logo' }]);
  return out;
}

async function loadClip(spec: ClipSpec, cacheDir: string): Promise<ClipData> {
  const dir = join(cacheDir, `${spec.id}-${spec.width}x${spec.height}-${spec.frames}`);
  if (existsSync(join(dir, 'truth.json'))) return readClip(dir);
  const clip = await synthesizeClip(spec);
  await writeClip(dir, clip);
  return clip;
}

interface ClipScore {
  name: string;
  iouPerSecond: string;
  firstGoodS: number;
  iouFrom3s: number;
  precisionFrom3s: number;
  recallFrom3s: number;
  psnrFrom3s: number;
  /** Luma PSNR inside the logo (true mask grown as scored) per second, all seconds. */
  psnrPerSecond: string;
  /** Of the scored pixels, the share the filter left as they came in, and the PSNR of the rest alone. */
  untouchedShare: number;
  psnrTouched: number;
  fpPct: number;
  learning: boolean;
  msMean: number;
}

async function evaluate(clip: ClipData, filter: AutoFilter, trace = false, grow = 0): Promise<ClipScore> {
  const { width, height, fps, frames } = clip.truth;
  const window = new FrameWindow(8);
  const perSecond: { inter: number; union: number }[] = [];
  const psnrPerSecond: { sq: number; n: number }[] = [];
  let inter3 = 0, union3 = 0, found3 = 0, truth3 = 0, sq = 0, n = 0, sqTouched = 0, nTouched = 0, fp = 0, firstGood = NaN, ms = 0;
  for (let f = 0; f < frames; f++) {
    const frame: VideoFrame = { seq: f, ptsMs: (f * 1000) / fps, width, height, data: clip.input[f]!, arrivedAt: 0 };
    window.push(frame);
    const t = performance.now();
    const out = (await filter.process(frame, { window, behind: false })).data;
    ms += performance.now() - t;
    const found = dilate(logoMask(filter.detectedRegions(), width, height), width, height, grow);
    const truth = logoTruth(clip.alpha[f]!, clip.truth.rects[f] ?? [], width, height);
    const all = trueMask(clip.alpha[f]!);
    let i = 0, u = 0;
    for (let p = 0; p < found.length; p++) {
      if (found[p] && truth[p]) i++;
      if (found[p] || truth[p]) u++;
      if (found[p] && !all[p]) fp++;
    }
    if (trace && f % 3 === 0) {
      const tp = truth.reduce((a, v) => a + v, 0), fp2 = found.reduce((a, v) => a + v, 0);
      const states = filter.detectedRegions().filter((r) => r.kind === 'logo').map((r) => `${r.id}:${r.state}@${r.rect.x},${r.rect.y}`).join(' ');
      console.log(`  f${String(f).padStart(3)} truth ${String(tp).padStart(5)} found ${String(fp2).padStart(5)} inter ${String(i).padStart(5)}  ${states}`);
    }
    const s = Math.floor(f / fps);
    perSecond[s] ??= { inter: 0, union: 0 };
    perSecond[s].inter += i;
    perSecond[s].union += u;
    if (Number.isNaN(firstGood) && u > 0 && i / u >= 0.85) firstGood = f / fps;
    const region = dilate(truth, width, height, MASK_DILATE_PX);
    const clean = clip.clean[f]!;
    const sec = (psnrPerSecond[s] ??= { sq: 0, n: 0 });
    for (let p = 0; p < region.length; p++) {
      if (!region[p]) continue;
      sec.sq += (out[p]! - clean[p]!) ** 2;
      sec.n++;
    }
    if (f < 3 * fps) continue;
    inter3 += i;
    union3 += u;
    for (let p = 0; p < found.length; p++) {
      found3 += found[p]!;
      truth3 += truth[p]!;
    }
    for (let p = 0; p < region.length; p++) {
      if (!region[p]) continue;
      const d = out[p]! - clean[p]!;
      sq += d * d;
      n++;
      if (out[p] !== clip.input[f]![p]) {
        sqTouched += d * d;
        nTouched++;
      }
    }
  }
  return {
    name: clip.truth.id,
    iouPerSecond: perSecond.map((x) => (x.union ? (x.inter / x.union).toFixed(2) : '-')).join(' '),
    psnrPerSecond: psnrPerSecond.map((x) => (x.n ? psnrFromMse(x.sq / x.n).toFixed(1) : '-')).join(' '),
    firstGoodS: firstGood,
    iouFrom3s: union3 ? inter3 / union3 : NaN,
    precisionFrom3s: found3 ? inter3 / found3 : NaN,
    recallFrom3s: truth3 ? inter3 / truth3 : NaN,
    psnrFrom3s: n ? psnrFromMse(sq / n) : NaN,
    untouchedShare: n ? 1 - nTouched / n : NaN,
    psnrTouched: nTouched ? psnrFromMse(sqTouched / nTouched) : NaN,
    fpPct: (100 * fp) / (frames * width * height),
    learning: filter.learning,
    msMean: ms / frames,
  };
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--size <WxH>', 'clip size', '320x240')
    .option('--frames <n>', 'frames per clip (25 fps)', '150')
    .option('--only <substr>', 'only clips whose name contains this')
    .option('--no-subtitles', 'switch the subtitle detector off (logo work only)')
    .option('--trace', 'print every third frame: true and found logo pixels, regions and states', false)
    .option('--no-deblend', 'fill detected logos instead of inverting their blend')
    .option('--psnr-per-second', 'also print the luma PSNR inside each logo per second (from the start)')
    .option('--no-temporal', 'spatial fill only (no motion-compensated background memory)')
    .option('--grow <px>', 'score the found masks grown by this many pixels (what-if)', '0')
    .option('--bench <quick|full>', "the benchmark's clips (bench/cases.ts) instead of this tool's own")
    .option('--logo-model <path>', 'logo net to try instead of the shipped one (models/logo-seg.onnx)')
    .option('--logo-weak <p>', "the logo net's weak threshold (default as shipped)")
    .parse()
    .opts<{ size: string; frames: string; only?: string; subtitles: boolean; trace: boolean; deblend: boolean; temporal: boolean; psnrPerSecond?: boolean; grow: string; bench?: string; logoModel?: string; logoWeak?: string }>();
  if (opts.bench !== undefined && opts.bench !== 'quick' && opts.bench !== 'full') throw new Error(`--bench: quick or full, not ${opts.bench}`);
  const [width, height] = opts.size.split('x').map(Number) as [number, number];
  const media = findMedia(join(PROJECT_ROOT, '..', 'shared', 'media')) ?? findMedia(join(PROJECT_ROOT, 'test', 'fixtures', 'media'));
  if (!media) throw new Error('no media');
  const textured = await texturedPhotos(media);
  const photo = (k: number) => textured.photos[(k * 37) % textured.photos.length]!;
  const cacheDir = join(PROJECT_ROOT, 'bench', 'out', 'logo-eval-cache');
  const rows: ClipScore[] = [];
  const specs: { name: string; spec: () => ClipSpec }[] = opts.bench
    ? benchCases(textured, { full: opts.bench === 'full', seed: 1 }).map((c) => ({ name: c.spec.id, spec: () => c.spec }))
    : cases().map((c) => ({ name: c.name, spec: () => c.spec(width, height, Number(opts.frames), photo, media.videos[0]!) }));
  for (const c of specs) {
    if (opts.only && !c.name.includes(opts.only)) continue;
    const clip = await loadClip(c.spec(), opts.bench ? join(cacheDir, `bench-${opts.bench}`) : cacheDir);
    const filter = new AutoFilter({
      temporal: opts.temporal,
      ...(opts.subtitles ? {} : { subtitles: false }),
      ...(opts.deblend ? {} : { deblend: false }),
      ...logoNetTrial(opts),
    });
    const row = await evaluate(clip, filter, opts.trace, Number(opts.grow));
    await filter.close();
    rows.push(row);
    console.log(
      `${row.name.padEnd(30)} IoU/s ${row.iouPerSecond.padEnd(36)} first>=.85 ${Number.isNaN(row.firstGoodS) ? ' never' : `${row.firstGoodS.toFixed(1)} s`.padStart(6)}  ` +
        `IoU3s ${row.iouFrom3s.toFixed(3)} (P ${row.precisionFrom3s.toFixed(2)} R ${row.recallFrom3s.toFixed(2)})  PSNR3s ${row.psnrFrom3s.toFixed(2)} (untouched ${(100 * row.untouchedShare).toFixed(0)} %, rest ${row.psnrTouched.toFixed(2)})  FP ${row.fpPct.toFixed(3)} %  ${row.learning ? 'learning' : ''}  ${row.msMean.toFixed(1)} ms`,
    );
    if (opts.psnrPerSecond) console.log(`${''.padEnd(30)} PSNR/s ${row.psnrPerSecond}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
