import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { SubtitleDetector } from '../src/filter/detect/subtitles.js';
import { DEFAULT_SUBTITLE_MODEL, DEFAULT_SUBTITLE_NET_PARAMS, SubtitleNetDetector } from '../src/filter/detect/subtitle-net.js';
import { synthesizeClip } from '../src/synth/index.js';
import { scoreCaptions, type CaptionDetector, type CaptionScore } from './caption-score.js';
import type { SourceSpec } from '../src/synth/sources.js';
import type { SubtitleLook, SubtitleStyle } from '../src/synth/subtitles.js';
import { findMedia, texturedPhotos } from './cases.js';

/**
 * Subtitle detection per caption style, script and font, the trained fonts beside fonts the
 * detector never saw (held out: FreeSans / FreeSerif, WenQuanYi Zen Hei), over the bench's video
 * and a bench photo pan. Pixel recall and precision against alpha >= 3, every frame, as the bench
 * scores them, plus the area found on caption-free clips.
 * Run: npm run build && node dist/bench/subtitle-styles.js [--detector net|classical] [--size 640x360]
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const fmt = (a: number, b: number) => (b ? (a / b).toFixed(3) : ' n/a ');

async function main(): Promise<void> {
  const opts = new Command()
    .option('--detector <kind>', 'net or classical', 'net')
    .option('--size <WxH>', 'clip size', '640x360')
    .option('--frames <n>', 'frames per clip', '75')
    .option('--media <dir>', 'source media', join(ROOT, '..', 'shared', 'media'))
    .option('--model <path>', 'caption model', DEFAULT_SUBTITLE_MODEL)
    .option('--threshold <p>', 'pixel probability threshold', String(DEFAULT_SUBTITLE_NET_PARAMS.threshold))
    .option('--weak <p>', 'weak (connected) pixel threshold', String(DEFAULT_SUBTITLE_NET_PARAMS.weakThreshold))
    .option('--persist <p>', 'previous-frame probability a continuing line keeps', String(DEFAULT_SUBTITLE_NET_PARAMS.persistMin))
    .parse()
    .opts<{ detector: string; size: string; frames: string; media: string; model: string; threshold: string; weak: string; persist: string }>();
  const netParams = { ...DEFAULT_SUBTITLE_NET_PARAMS, threshold: Number(opts.threshold), weakThreshold: Number(opts.weak), persistMin: Number(opts.persist) };
  const [width, height] = opts.size.split('x').map(Number) as [number, number];
  const media = findMedia(opts.media) ?? findMedia(join(ROOT, 'test', 'fixtures', 'media'));
  if (!media) throw new Error('no media');
  const photos = (await texturedPhotos(media)).photos;
  const sources: [string, SourceSpec][] = [
    ['video', { kind: 'video', path: media.videos[0]!, startFrame: 20 }],
    ['pan', { kind: 'pan', photo: photos[(7 + 23 * 37) % photos.length]! }],
  ];
  const fonts: [string, Partial<SubtitleLook>][] = [
    ['latin trained (DejaVu Sans)', { script: 'latin', font: 'DejaVu Sans' }],
    ['latin held-out (FreeSans)', { script: 'latin', font: 'FreeSans' }],
    ['latin held-out (FreeSerif)', { script: 'latin', font: 'FreeSerif' }],
    ['cjk trained (Noto Sans CJK JP)', { script: 'cjk', font: 'Noto Sans CJK JP' }],
    ['cjk held-out (WenQuanYi Zen Hei)', { script: 'cjk', font: 'WenQuanYi Zen Hei' }],
  ];
  const make = async (): Promise<CaptionDetector> => (opts.detector === 'net' ? SubtitleNetDetector.open(opts.model, netParams) : new SubtitleDetector());
  console.log(`detector ${opts.detector}${opts.detector === 'net' ? ` (${opts.model}, threshold ${netParams.threshold}, weak ${netParams.weakThreshold}, persist ${netParams.persistMin})` : ''}, ${width}x${height}, ${opts.frames} frames per clip`);
  console.log('| source | font | style | recall | precision |\n| --- | --- | --- | ---: | ---: |');
  const total: CaptionScore = { tp: 0, found: 0, truth: 0, frames: 0 };
  let seed = 11;
  for (const [sname, source] of sources) {
    for (const [fname, look] of fonts) {
      for (const style of ['outline', 'shadow', 'box'] as SubtitleStyle[]) {
        const clip = await synthesizeClip({ id: 's', seed: seed++, width, height, fps: 25, frames: Number(opts.frames), source, overlays: [{ kind: 'subtitles', look: { ...look, style } }] });
        const det = await make();
        const s = await scoreCaptions(det, clip);
        await det.close?.();
        for (const k of ['tp', 'found', 'truth', 'frames'] as const) total[k] += s[k];
        console.log(`| ${sname} | ${fname} | ${style} | ${fmt(s.tp, s.truth)} | ${fmt(s.tp, s.found)} |`);
      }
    }
    const clean = await synthesizeClip({ id: 'c', seed: seed++, width, height, fps: 25, frames: Number(opts.frames), source, overlays: [] });
    const det = await make();
    const s = await scoreCaptions(det, clean);
    await det.close?.();
    console.log(`| ${sname} | no captions | - | area found ${((100 * s.found) / (s.frames * width * height)).toFixed(4)} % | |`);
  }
  console.log(`pooled: recall ${fmt(total.tp, total.truth)} precision ${fmt(total.tp, total.found)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
