import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { CLIP_FILES, readVideo } from '../src/synth/clip.js';
import { runFfmpeg } from '../src/synth/ffmpeg-io.js';
import { synthesizeToDir } from '../src/synth/synthesize.js';
import { benchCases, findMedia, texturedPhotos } from './cases.js';
import { ClipEvaluator } from './evaluate.js';
import { METHODS, PENDING_METHODS } from './methods.js';
import { markdownTables, summaryTable, toJson, type ResultRow } from './table.js';

/** Repo root: this file runs as dist/bench/run.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Options {
  full: boolean;
  media?: string;
  seed: string;
  methods?: string;
  keep: boolean;
  clips?: string;
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // Not Linux: fall through to what Node knows.
  }
  return cpus()[0]?.model ?? 'unknown';
}

async function ffmpegVersion(): Promise<string> {
  const { stdout } = await runFfmpeg(['-version']);
  return stdout.toString().split('\n')[0] ?? 'unknown';
}

async function main(): Promise<void> {
  const opts = new Command()
    .name('bench')
    .description('Synthesise overlay clips with ground truth and score every method on them')
    .option('--full', 'more and longer clips (640x360, 10 s, dynamic overlays)', false)
    .option('--media <dir>', 'source media folder (default ../shared/media, else test/fixtures/media)')
    .option('--seed <n>', 'seed for the clip set', '1')
    .option('--methods <ids>', `comma-separated subset of: ${METHODS.map((m) => m.id).join(', ')}`)
    .option('--keep', 'keep the clips and every method output video in bench/out', false)
    .option('--clips <regex>', 'only the clips whose id matches (e.g. "static-logo|no-overlay")')
    .parse()
    .opts<Options>();

  const started = performance.now();
  const mediaDir = opts.media ? resolve(opts.media) : join(ROOT, '..', 'shared', 'media');
  const found = findMedia(mediaDir) ?? (opts.media ? undefined : findMedia(join(ROOT, 'test', 'fixtures', 'media')));
  if (!found) throw new Error(`no video and photos found in ${mediaDir}${opts.media ? '' : ' nor in test/fixtures/media'}`);
  const media = await texturedPhotos(found);
  const wanted = opts.methods?.split(',').map((s) => s.trim());
  const methods = wanted ? METHODS.filter((m) => wanted.includes(m.id)) : METHODS;
  const only = opts.clips ? new RegExp(opts.clips) : undefined;
  const cases = benchCases(media, { full: opts.full, seed: Number(opts.seed) }).filter((c) => !only || only.test(c.spec.id));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(ROOT, 'bench', 'out', `run-${stamp}`);
  const machine = { cpu: cpuModel(), cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, ffmpeg: await ffmpegVersion() };
  console.error(`bench: ${cases.length} clips x ${methods.length} methods, media ${media.dir}, ${machine.cores} x ${machine.cpu}`);

  const rows: ResultRow[] = [];
  for (const c of cases) {
    const clipDir = join(runDir, c.spec.id);
    const t = performance.now();
    const clip = await synthesizeToDir(c.spec, clipDir);
    console.error(`  ${c.spec.id}: synthesised ${clip.truth.frames} frames ${clip.truth.width}x${clip.truth.height} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const inputPath = join(clipDir, CLIP_FILES.input);
    for (const m of methods) {
      const workDir = join(clipDir, m.id);
      await mkdir(workDir, { recursive: true });
      const run = await m.run(clip, inputPath, workDir);
      const out = await readVideo(run.output, clip.truth);
      if (out.length !== clip.truth.frames) throw new Error(`${m.id} on ${c.spec.id}: ${out.length} frames out of ${clip.truth.frames}`);
      const ev = new ClipEvaluator(clip.truth.width, clip.truth.height);
      out.forEach((o, f) => ev.addFrame(clip.input[f]!, o, clip.clean[f]!, clip.alpha[f]!));
      const { output: _output, ...speed } = run;
      const quality = ev.result();
      rows.push({ caseId: c.spec.id, kind: c.kind, method: m.id, label: m.label, given: m.given, quality, speed });
      console.error(`    ${m.id.padEnd(22)} PSNR in ${quality.psnrIn.toFixed(2)} out ${quality.psnrOut.toFixed(2)}  ${speed.fps.toFixed(1)} fps`);
      if (!opts.keep) await rm(workDir, { recursive: true, force: true });
    }
    // A full run's clips take gigabytes; their truth.json stays, and the seed regenerates the rest.
    if (!opts.keep) await Promise.all([CLIP_FILES.input, CLIP_FILES.clean, CLIP_FILES.overlay, CLIP_FILES.alpha].map((f) => rm(join(clipDir, f), { force: true })));
  }

  const wallS = (performance.now() - started) / 1000;
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const pending = wanted ? [] : PENDING_METHODS;
  const tables = [
    '### Summary',
    '',
    summaryTable(rows),
    ...pending.map((p) => `${p.label}: ${p.reason}.`),
    '',
    markdownTables(rows, pending),
  ].join('\n');
  console.log(`Command: \`${command}\` — ${cases.length} clips, wall ${wallS.toFixed(0)} s\n`);
  console.log(`Machine: ${machine.cores} cores, ${machine.cpu}, ${machine.memGiB} GiB, Node ${machine.node}, ${machine.ffmpeg}\n`);
  console.log(tables);
  const json = toJson({ date: new Date().toISOString(), command, wallS, machine, media: media.dir, cases: cases.map((c) => c.spec), rows });
  await writeFile(join(runDir, 'results.json'), json);
  await writeFile(join(ROOT, 'bench', 'out', 'latest.json'), json);
  await writeFile(join(ROOT, 'bench', 'out', 'latest.md'), tables);
  console.error(`bench: done in ${wallS.toFixed(0)} s; JSON in ${join(runDir, 'results.json')}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
