import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { synthesizeClip, trueMask } from '../src/synth/index.js';
import { benchCases, findMedia, texturedPhotos } from './cases.js';
import { logoMask, logoNetTrial, logoTruth } from './logo-masks.js';
import { addMaskCounts, detectionScores, maskedSquaredError, psnrFromMse } from './metrics.js';

/**
 * Second by second, how the mask-free filter does on the bench's clips: luma PSNR inside the true
 * overlay mask (filter output and the input left alone), the found logo mask's precision and
 * recall on the second's last frame, and the active logo regions. The bench's tables give one
 * figure per clip; this says whether a low one comes from finding late, from a poor mask, or from
 * a poor fill of a good mask. The clips are synthesised in memory with the bench's specs (same
 * seeds), not read back from the bench's files.
 *
 * Run: npm run build && node dist/bench/per-second.js --clips pan-opaque-logo-0 [--full] [--no-deblend] [--no-temporal]
 *      [--logo-model <onnx>] [--logo-weak <p>]   (another logo net or weak threshold, to try one)
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const opts = new Command()
  .requiredOption('--clips <regex>', 'clip ids to run (e.g. "pan-opaque-logo-[01]")')
  .option('--full', 'the full bench set (640x360, 10 s)', false)
  .option('--seed <n>', 'clip set seed', '1')
  .option('--media <dir>', 'source media folder', join(ROOT, '..', 'shared', 'media'))
  .option('--no-deblend', 'fill detected logos instead of inverting their blend')
  .option('--no-temporal', 'spatial fill only')
  .option('--logo-model <path>', 'logo net to try instead of the shipped one (models/logo-seg.onnx)')
  .option('--logo-weak <p>', "the logo net's weak threshold (default as shipped)")
  .parse()
  .opts<{ clips: string; full: boolean; seed: string; media: string; deblend: boolean; temporal: boolean; logoModel?: string; logoWeak?: string }>();

const found = findMedia(resolve(opts.media)) ?? findMedia(join(ROOT, 'test', 'fixtures', 'media'));
if (!found) throw new Error(`no media in ${opts.media}`);
const media = await texturedPhotos(found);
const only = new RegExp(opts.clips);
const psnr = (se: number, n: number) => (n === 0 ? 'n/a' : psnrFromMse(se / n).toFixed(2));
const score = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(2));

for (const c of benchCases(media, { full: opts.full, seed: Number(opts.seed) }).filter((k) => only.test(k.spec.id))) {
  const clip = await synthesizeClip(c.spec);
  const { width: w, height: h } = clip.truth;
  const fps = c.spec.fps;
  const filter = new AutoFilter({
    temporal: opts.temporal,
    ...(opts.deblend ? {} : { deblend: false }),
    ...logoNetTrial(opts),
  });
  const window = new FrameWindow(8);
  let se = 0, seInput = 0, n = 0;
  console.log(`${c.spec.id}: second, PSNR in (dB) filtered / input, logo mask precision / recall at the second's end, active logo regions`);
  for (let f = 0; f < clip.input.length; f++) {
    const frame = { seq: f, ptsMs: (f * 1000) / fps, width: w, height: h, data: clip.input[f]!, arrivedAt: 0 };
    window.push(frame);
    const out = (await filter.process(frame, { window, behind: false })).data;
    const truth = trueMask(clip.alpha[f]!);
    const filtered = maskedSquaredError(out, clip.clean[f]!, truth);
    se += filtered.se;
    seInput += maskedSquaredError(clip.input[f]!, clip.clean[f]!, truth).se;
    n += filtered.n;
    if ((f + 1) % fps !== 0 && f !== clip.input.length - 1) continue;
    const logos = filter.detectedRegions().filter((r) => r.state === 'active' && r.kind === 'logo');
    const counts = { tp: 0, fp: 0, fn: 0 };
    addMaskCounts(counts, logoMask(logos, w, h), logoTruth(clip.alpha[f]!, clip.truth.rects[f] ?? [], w, h));
    const { precision, recall } = detectionScores(counts);
    const regions = logos.map((r) => `${r.id} ${r.rect.x},${r.rect.y} ${r.rect.width}x${r.rect.height}`).join('; ');
    console.log(`  ${Math.floor(f / fps)}: ${psnr(se, n)} / ${psnr(seInput, n)}  ${score(precision)} / ${score(recall)}  ${regions || '-'}`);
    se = seInput = n = 0;
  }
  await filter.close();
}
