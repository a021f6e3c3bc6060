/**
 * Added latency of the live filter path, measured end to end with a timestamp barcode.
 *
 * A publisher (ffmpeg, x264 zerolatency) pushes 720p30 frames that carry their index as a barcode;
 * node records when each frame was handed to the publisher. Two receivers decode at the same time:
 * the original path (live/<key>, node-media-server only) and the clean path (clean/<key>, through
 * Clearcast). The per-frame difference of their arrival times is what Clearcast adds (decode +
 * filter + encode + re-publish); the pipeline's own stats give the same figure from inside.
 * Modes run one after the other in the same process: pass-through (the baseline) and manual-region;
 * `manual-spatial` / `auto-spatial` run those filters with the temporal fill off; `auto-nolooks`
 * runs auto without the logo net (pipeline.auto.logoNet: false).
 *
 *   npm run bench:latency -- [--seconds 30] [--width 1280 --height 720 --fps 30] [--json out.json]
 *                            [--modes passthrough,manual,auto] [--scene barcode|overlays] [--publisher live|preencoded]
 *
 * `--scene overlays` puts a synthesised pan with a logo and captions under the barcode (what the
 * auto filter must find and fill; the plain rows give it nothing). The barcode itself is an
 * exclusion zone in every mode. `--publisher preencoded` encodes the stream once before the runs
 * and replays it, so no x264 of the bench's own competes with the server while it is measured.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { defaultsWith } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { demoGeometry } from '../src/demo/source.js';
import { ClearcastServer } from '../src/server.js';
import { freePort } from '../src/core/net.js';
import type { StreamPipeline, StreamStats } from '../src/stream/pipeline.js';
import { cpuSnapshot, cpuSplit, type CpuSnapshot, type CpuSplit } from './cpu-split.js';
import { overlayScene, type LatencyScene } from './latency-scene.js';
import { afterWarmup, BARCODE_AREA, barcodePublisher, barcodeReceiver, latencyBenchCommand, percentile, preencodeBarcode, preencodedPublisher, r1, sendPaced, type PacedRun } from './barcode.js';
import { freshDataDir } from './data-dir.js';

/** Seconds at the start left out of every figure: decoder probing and x264 start-up. */
const WARMUP_S = 2;

interface ModeResult {
  mode: string;
  frames: number;
  matched: number;
  originalPathMs: { p50: number; p99: number };
  cleanPathMs: { p50: number; p99: number };
  addedMs: { p50: number; p99: number; mean: number };
  internalAddedMs: { p50: number; p99: number };
  decodeMs: { p50: number; p99: number };
  filterMs: { p50: number; p99: number };
  encodeMs: { p50: number; p99: number };
  /** Frames dropped after the warm-up, in all and by where (StreamStats.droppedBy). */
  dropped: number;
  droppedBy: StreamStats['droppedBy'] | undefined;
  /** Frames the filter degraded (reused its last fill) after the warm-up. */
  degraded: number;
  /** The same two during the warm-up (cold JIT, x264 starting): not in the figures above. */
  warmup: { dropped: number; degraded: number };
  fpsOut: number;
  /** Model counters at the end of the run ("-model" modes). */
  model?: StreamStats['model'];
  /** CPU (% of one core) from the end of the warm-up to half a second before the last frame is sent (Linux only). */
  cpu?: CpuSplit;
}

/** Which of this process's children a command line is. */
function childRole(cmdline: string): string {
  if (cmdline.includes('crop=')) return 'receivers (bench)';
  // The bench's publisher (live or replayed) is the one child that sends to an RTMP URL.
  if (cmdline.includes('rtmp://')) return 'publisher (bench)';
  if (cmdline.includes('libx264')) return 'encoder';
  return 'decoder';
}

const MODES = ['passthrough', 'manual', 'auto'] as const;
/** The same filters with the temporal fill off (pipeline.temporalFill: false) or the inpainting model on (pipeline.model): their cost, same run. */
const VARIANT_MODES = ['manual-spatial', 'auto-spatial', 'manual-model', 'auto-model', 'auto-nolooks'] as const;
type Mode = (typeof MODES)[number] | (typeof VARIANT_MODES)[number];
const filterOf = (mode: Mode) => mode.replace(/-(spatial|model|nolooks)$/, '') as 'passthrough' | 'manual' | 'auto';

function parseModes(list: string): Mode[] {
  const modes = list.split(',').map((m) => m.trim());
  const known: readonly string[] = [...MODES, ...VARIANT_MODES];
  for (const m of modes) if (!known.includes(m)) throw new InvalidArgumentError(`unknown mode "${m}" (expected ${known.join(', ')})`);
  return modes as Mode[];
}

/**
 * Replays the pre-encoded stream at its frame rate. Frame i is taken as sent at start + i / fps:
 * ffmpeg's own start-up shifts that by a constant, so glass-to-glass is not reported in this mode;
 * `added` (clean arrival minus original arrival of the same frame) does not depend on it.
 */
async function replayPreencoded(url: string, file: string, o: { seconds: number; fps: number }, stream: () => StreamPipeline | undefined): Promise<PacedRun> {
  const pub = preencodedPublisher(url, file);
  const t0 = performance.now();
  let atWarmup: StreamStats | undefined;
  const reset = setTimeout(() => {
    atWarmup = stream()?.stats();
    stream()?.resetLatencyStats();
  }, WARMUP_S * 1000);
  let stats: StreamStats | undefined;
  const poll = setInterval(() => (stats = stream()?.stats() ?? stats), 1000);
  await pub.waitExit();
  clearTimeout(reset);
  clearInterval(poll);
  const sent = new Map<number, number>();
  for (let i = 0; i < Math.round(o.seconds * o.fps); i++) sent.set(i, t0 + (i * 1000) / o.fps);
  return { sent, stats: stream()?.stats() ?? stats, atWarmup };
}

async function runMode(mode: Mode, o: { seconds: number; width: number; height: number; fps: number }, scene: LatencyScene | undefined, preencoded: string | undefined): Promise<ModeResult> {
  const g = demoGeometry(o.width, o.height);
  const dataDir = freshDataDir();
  const config = defaultsWith({
    server: { httpPort: await freePort(), dataDir: dataDir.path },
    rtmp: { port: await freePort(), httpFlvPort: await freePort() },
    pipeline: { filter: filterOf(mode), temporalFill: !mode.endsWith('-spatial'), regions: { '*': [g.logo, g.subtitles] }, model: { enabled: mode.endsWith('-model') }, auto: { logoNet: !mode.endsWith('-nolooks') } },
    log: { level: 'warn' },
  });
  const server = new ClearcastServer(config, createLogger('warn'));
  await server.start();
  const key = 'latency';
  // The barcode is how frames are matched: no filter may touch it (an exclusion zone, as an operator would set).
  server.controls.add(key, BARCODE_AREA, true);
  const original = new Map<number, number>();
  const clean = new Map<number, number>();
  const rx = [barcodeReceiver(server.urls.publish(key), o.width, o.height, original), barcodeReceiver(server.urls.cleanRtmp(key), o.width, o.height, clean)];
  await new Promise((r) => setTimeout(r, 500));
  // CPU is read between the warm-up's end and just before the last frame is sent: the pipeline's
  // decoder and encoder are still running then (they end with the stream).
  let cpuFrom: CpuSnapshot | undefined, cpuTo: CpuSnapshot | undefined;
  const cpuTimers = [setTimeout(() => (cpuFrom = cpuSnapshot()), WARMUP_S * 1000), setTimeout(() => (cpuTo = cpuSnapshot()), (o.seconds - 0.5) * 1000)];
  let run: PacedRun;
  if (preencoded) {
    run = await replayPreencoded(server.urls.publish(key), preencoded, o, () => server.registry.get(key));
  } else {
    const pub = barcodePublisher(server.urls.publish(key), o);
    run = await sendPaced(o, WARMUP_S, (frame) => pub.write(frame), () => server.registry.get(key), scene && ((i) => scene.frame(i)));
    pub.endInput();
    await pub.waitExit();
  }
  const { sent, stats, atWarmup } = run;
  const counted = afterWarmup(run);
  for (const t of cpuTimers) clearTimeout(t);
  await new Promise((r) => setTimeout(r, 1500));
  for (const r of rx) await r.kill();
  await server.stop();
  dataDir.remove();

  const origLat: number[] = [];
  const cleanLat: number[] = [];
  const added: number[] = [];
  for (const [i, ts] of sent) {
    if (i < WARMUP_S * o.fps) continue;
    const a = original.get(i);
    const b = clean.get(i);
    if (a !== undefined) origLat.push(a - ts);
    if (b !== undefined) cleanLat.push(b - ts);
    if (a !== undefined && b !== undefined) added.push(b - a);
  }
  return {
    mode,
    frames: sent.size,
    matched: added.length,
    originalPathMs: { p50: r1(percentile(origLat, 50)), p99: r1(percentile(origLat, 99)) },
    cleanPathMs: { p50: r1(percentile(cleanLat, 50)), p99: r1(percentile(cleanLat, 99)) },
    addedMs: { p50: r1(percentile(added, 50)), p99: r1(percentile(added, 99)), mean: r1(added.reduce((s, v) => s + v, 0) / (added.length || 1)) },
    internalAddedMs: { p50: stats?.addedLatencyMs.p50 ?? NaN, p99: stats?.addedLatencyMs.p99 ?? NaN },
    decodeMs: stats?.decodeMs ?? { p50: NaN, p99: NaN },
    filterMs: stats?.filterMs ?? { p50: NaN, p99: NaN },
    encodeMs: stats?.encodeMs ?? { p50: NaN, p99: NaN },
    dropped: counted?.dropped ?? NaN,
    droppedBy: counted?.droppedBy,
    degraded: counted?.degraded ?? NaN,
    warmup: { dropped: atWarmup?.dropped ?? NaN, degraded: atWarmup?.degraded ?? NaN },
    fpsOut: stats?.fpsOut ?? NaN,
    ...(stats?.model ? { model: stats.model } : {}),
    ...(cpuFrom && cpuTo ? { cpu: cpuSplit(cpuFrom, cpuTo, childRole) } : {}),
  };
}

/** Dropped after the warm-up, with where when any were: "12 (queue 10, encoder 2)". */
function droppedCell(r: ModeResult): string {
  const by = r.droppedBy;
  if (!by || r.dropped === 0) return String(r.dropped);
  const parts = [['queue', by.filterQueue], ['encoder', by.encoder], ['compressed', by.compressed]].filter(([, n]) => Number(n) > 0).map(([k, n]) => `${k} ${n}`);
  return `${r.dropped} (${parts.join(', ')})`;
}

async function main(): Promise<void> {
  const opts = latencyBenchCommand('bench:latency', 30, 'latency.json')
    .addOption(new Option('--modes <list>', `filters to measure, comma-separated (also ${VARIANT_MODES.join(', ')}); the first is the baseline of the last column`)
      .argParser(parseModes).default([...MODES], MODES.join(',')))
    .addOption(new Option('--publisher <kind>', 'live: an x264 publisher encodes each frame as it is sent (on this machine, competing with the server); preencoded: the same stream encoded once before the runs and replayed at its frame rate (-re, packets copied), as if the publisher were another machine')
      .choices(['live', 'preencoded']).default('live'))
    .addOption(new Option('--scene <kind>', 'picture under the barcode: plain scrolling rows, or a panning photo with a logo and captions (what auto has to find and fill)')
      .choices(['barcode', 'overlays']).default('barcode'))
    .parse()
    .opts<{ seconds: number; width: number; height: number; fps: number; json: string; modes: Mode[]; scene: 'barcode' | 'overlays'; publisher: 'live' | 'preencoded' }>();
  const scene = opts.scene === 'overlays' ? await overlayScene(opts.width, opts.height, opts.fps) : undefined;
  if (scene) process.stderr.write(`scene: ${scene.overlays.map((o) => `${o.kind} ${o.rect.width}x${o.rect.height}@${o.rect.x},${o.rect.y}`).join(', ')}\n`);
  let preencoded: string | undefined;
  if (opts.publisher === 'preencoded') {
    preencoded = join(dirname(opts.json), `latency-${opts.scene}-${opts.width}x${opts.height}-${opts.fps}-${opts.seconds}s.flv`);
    mkdirSync(dirname(preencoded), { recursive: true });
    process.stderr.write(`pre-encoding the publisher's stream to ${preencoded}...\n`);
    await preencodeBarcode(preencoded, opts, Math.round(opts.seconds * opts.fps), scene && ((i) => scene.frame(i)));
  }
  const results: ModeResult[] = [];
  for (const mode of opts.modes) {
    process.stderr.write(`measuring ${mode} for ${opts.seconds} s at ${opts.width}x${opts.height}@${opts.fps}...\n`);
    results.push(await runMode(mode, opts, scene, preencoded));
  }
  const base = results[0]!;
  const rows = results.map((r) => `| ${r.mode} | ${r.matched}/${r.frames - WARMUP_S * opts.fps} | ${r.addedMs.p50} | ${r.addedMs.p99} | ${r.internalAddedMs.p50} | ${r.internalAddedMs.p99} | ${r.decodeMs.p50} / ${r.filterMs.p50} / ${r.encodeMs.p50} | ${preencoded ? 'n/a' : `${r.originalPathMs.p50} / ${r.cleanPathMs.p50}`} | ${droppedCell(r)} | ${r.degraded} | ${r.warmup.dropped} / ${r.warmup.degraded} | ${(r.addedMs.p99 / base.addedMs.p99).toFixed(2)} |`);
  const table = [
    `Added latency, ${opts.width}x${opts.height}@${opts.fps}, ${opts.seconds} s per mode, first ${WARMUP_S} s excluded (latencies in ms; dropped and degraded frames counted after it too), scene ${opts.scene}, publisher ${opts.publisher}`,
    '',
    '| filter | frames matched | added p50 | added p99 | internal p50 | internal p99 | decode / filter / encode p50 | glass-to-glass p50 original / clean | dropped | degraded | warm-up dropped / degraded | p99 vs pass-through |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  const modelRows = results.filter((r) => r.model).map((r) => {
    const m = r.model!;
    return `| ${r.mode} | ${m.session?.provider ?? m.state} | ${m.frames} | ${m.fresh} | ${m.late} | ${m.skipped} | ${m.notReady} | ${m.session ? `${r1(m.session.inferenceMs.p50)} / ${r1(m.session.inferenceMs.p99)}` : 'n/a'} |`;
  });
  const modelTable = modelRows.length
    ? ['', 'Inpainting model (counts over the whole run)', '', '| filter | provider | frames offered | fresh | late (reused) | skipped (busy, reused) | before load | inference p50 / p99 ms |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...modelRows].join('\n')
    : '';
  const cpuRows = results.filter((r) => r.cpu).map((r) => {
    const c = r.cpu!;
    const kids = Object.entries(c.children).sort().map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    const workers = Object.entries(c.workers).sort().map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    return `- ${r.mode}: main thread ${c.mainThread.toFixed(0)}, ${workers ? `workers (${workers}), ` : ''}other threads (V8, libuv) ${c.otherThreads.toFixed(0)}, ${kids}; in all ${c.total.toFixed(0)}`;
  });
  const cpuTable = cpuRows.length ? ['', `CPU, % of one core (this machine has ${availableParallelism()}), from ${WARMUP_S} s to the end:`, '', ...cpuRows].join('\n') : '';
  process.stdout.write(`${table}\n${modelTable}\n${cpuTable}\n`);
  mkdirSync(dirname(opts.json), { recursive: true });
  writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), ...opts, results }, null, 2));
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:latency failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
