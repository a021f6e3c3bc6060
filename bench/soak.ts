/**
 * Soak: several streams through the live filter path for a long time, publishers reconnecting
 * every few minutes. Answers three questions with figures: does memory stay flat, does latency
 * stay stable, and is every frame that went in either out or counted as dropped?
 *
 * Each stream has its own publisher (ffmpeg x264 zerolatency over RTMP, fed raw frames that carry
 * their index as a barcode, paced like a camera) and its own viewer of the clean path (HTTP-FLV into
 * the pipeline's own low-delay decoder, barcode read back). Every `--reconnect-every-s` a stream's publisher ends and a
 * new one connects (streams staggered), which starts a fresh pipeline; the receiver is restarted
 * with it. Every `--sample-every-s` the bench records the process's memory, the RSS of the ffmpeg
 * children Clearcast runs, each pipeline's internal added latency, and drop counters.
 *
 * Accounting, per stream: sent = frames handed to the publisher (all reach the server: publishers
 * end gracefully); received = distinct indices decoded from the clean path; counted drops = the
 * pipelines' own `dropped` (decoder skip, filter queue, encoder); lost = sent - received - drops,
 * which must be 0.
 *
 *   npm run bench:soak -- [--minutes 30] [--streams 2] [--reconnect-every-s 180] [--sample-every-s 30]
 *                         [--width 1280 --height 720 --fps 30] [--filter manual] [--json out.json]
 *                         [--heap-snapshots dir]
 *   node dist/bench/soak.js --report bench/out/soak.json    # the memory windows of a saved run
 *
 * Prints a markdown table (per interval, then totals) that docs/reliability.md takes as is.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { writeHeapSnapshot } from 'node:v8';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { defaultsWith } from '../src/config/load.js';
import { yuv420pLayout } from '../src/core/frame.js';
import { createLogger } from '../src/core/log.js';
import { freePort } from '../src/core/net.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { demoGeometry } from '../src/demo/source.js';
import { ClearcastServer } from '../src/server.js';
import { playerCount } from '../src/rtmp/nms.js';
import type { StreamPipeline, StreamStats } from '../src/stream/pipeline.js';
import { FrameTimes } from './frame-times.js';
import { BARCODE_CODES, barcodeFlvReceiver, barcodeFrame, barcodePublisher, percentile, r1 } from './barcode.js';
import { freshDataDir } from './data-dir.js';

interface Options {
  minutes: number;
  streams: number;
  reconnectEveryS: number;
  sampleEveryS: number;
  width: number;
  height: number;
  fps: number;
  filter: 'manual' | 'passthrough' | 'auto';
  json: string;
  heapSnapshots?: string;
  report?: string;
}

/** One stream's whole run: every frame sent and when, every frame seen on the clean path and when. */
interface StreamRun {
  readonly key: string;
  readonly sent: FrameTimes;
  readonly received: FrameTimes;
  /** The stream's pipeline while it runs (at most one live at a time, plus one draining). */
  readonly pipelines: StreamPipeline[];
  /**
   * Final stats of pipelines that ended. Only these are kept: holding the ended pipelines themselves
   * would keep their filters' buffers alive and show up as a leak that the server does not have.
   */
  readonly ended: StreamStats[];
  reconnects: number;
  /** Frames sent so far (the next index). */
  next: number;
  /** First index of each publisher segment. */
  readonly segmentStarts: number[];
  /** Frames not sent because the publisher's own encoder was a second behind (the machine, not Clearcast). */
  skippedAtPublisher: number;
}

interface Sample {
  atS: number;
  rssMb: number;
  heapMb: number;
  externalMb: number;
  childrenRssMb: number;
  internalP50Ms: number;
  internalP99Ms: number;
  droppedTotal: number;
  degradedTotal: number;
  failOpenTotal: number;
  liveStreams: number;
  /** 1-minute load average: above the core count, the machine (publishers and receivers included) is saturated. */
  load1: number;
  /** Per live stream, to tell a slow encoder from a starved event loop when a stream falls behind. */
  streams: { key: string; ageS: number; fpsIn: number; fpsOut: number; encoderInFlight: number; filterQueue: number; encodeP50Ms: number; filterP50Ms: number }[];
}

const MB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const positive = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} expects a positive number, got "${v}"`);
  return n;
};

/** Resident memory of a process from /proc (0 when it is gone). */
function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * One stream: publisher segments of `reconnectEveryS`, back to back, until `endAt`. Frames are
 * paced on the stream's own clock; a segment's gap (pipeline drain, new connection) sends nothing.
 */
async function runStream(server: ClearcastServer, run: StreamRun, o: Options, startDelayMs: number, firstSegmentMs: number, endAt: number): Promise<void> {
  const config = server.config;
  const layout = yuv420pLayout(o.width, o.height);
  const unwrap = (code: number): number => run.next - 1 - ((run.next - 1 - code + BARCODE_CODES) % BARCODE_CODES);
  await sleep(startDelayMs);
  let firstSegment = true;
  while (performance.now() < endAt - 5000) {
    const receiver = barcodeFlvReceiver(server.urls.cleanFlv(run.key), o.width, run.received, unwrap);
    // Subscribed before the publish starts, or it would join at a later keyframe and miss frames.
    await waitUntil(() => playerCount(config.rtmp.cleanApp, run.key) > 0, 15_000);
    const publisher = barcodePublisher(server.urls.publish(run.key), o);
    run.segmentStarts.push(run.next);
    // First segments differ in length, so reconnects of different streams never coincide.
    const segmentMs = firstSegment ? firstSegmentMs : o.reconnectEveryS * 1000;
    const segmentEnd = Math.min(endAt, performance.now() + segmentMs);
    firstSegment = false;
    const t0 = performance.now();
    for (let i = 0; ; i++) {
      const due = t0 + (i * 1000) / o.fps;
      if (due >= segmentEnd) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      // A camera does not queue frames for a late encoder; neither does this publisher (and memory stays bounded).
      if (publisher.stdinBacklog > layout.frameSize * o.fps) {
        run.skippedAtPublisher++;
        continue;
      }
      const index = run.next++;
      run.sent.set(index, performance.now());
      publisher.write(barcodeFrame(layout.frameSize, o.width, o.height, index));
    }
    // A graceful end: the publisher flushes every frame; the pipeline drains them all.
    publisher.endInput();
    await publisher.waitExit();
    await waitUntil(() => !server.registry.has(run.key), 15_000);
    const last = run.pipelines.at(-1);
    if (last) {
      await waitUntil(() => ['ended', 'failed'].includes(last.stats().state), 15_000);
      run.ended.push(last.stats());
      run.pipelines.splice(run.pipelines.indexOf(last), 1);
    }
    await sleep(1000);
    await receiver.stop();
    run.reconnects++;
  }
}

async function waitUntil(probe: () => boolean, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!probe() && performance.now() < until) await sleep(100);
}

function sample(t0: number, runs: StreamRun[]): Sample {
  // Retained memory, not garbage the collector has not reached yet: run with --expose-gc (npm run
  // bench:soak does). A full collection of this heap takes tens of ms, once per interval.
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const all = runs.flatMap((r) => r.pipelines);
  const live = all.filter((p) => p.stats().state === 'running');
  const childrenRss = live.reduce((n, p) => {
    const pids = p.childPids();
    return n + rssOf(pids.decoder) + rssOf(pids.encoder);
  }, 0);
  const stats = [...runs.flatMap((r) => r.ended), ...all.map((p) => p.stats())];
  const liveStats = live.map((p) => p.stats());
  return {
    atS: Math.round((performance.now() - t0) / 1000),
    rssMb: r1(mem.rss / MB),
    heapMb: r1(mem.heapUsed / MB),
    externalMb: r1((mem.external + mem.arrayBuffers) / MB),
    childrenRssMb: r1(childrenRss / MB),
    internalP50Ms: r1(worst(liveStats.map((s) => s.addedLatencyMs.p50))),
    internalP99Ms: r1(worst(liveStats.map((s) => s.addedLatencyMs.p99))),
    droppedTotal: stats.reduce((n, s) => n + s.dropped, 0),
    degradedTotal: stats.reduce((n, s) => n + s.degraded, 0),
    failOpenTotal: stats.reduce((n, s) => n + s.failOpen.frames, 0),
    liveStreams: live.length,
    load1: r1(loadavg()[0]!),
    streams: liveStats.map((st) => ({
      key: st.key,
      ageS: Math.round((Date.now() - Date.parse(st.startedAt)) / 1000),
      fpsIn: r1(st.fpsIn),
      fpsOut: r1(st.fpsOut),
      encoderInFlight: st.queues.encoderInFlight,
      filterQueue: st.queues.filterQueue,
      encodeP50Ms: r1(st.encodeMs.p50),
      filterP50Ms: r1(st.filterMs.p50),
    })),
  };
}

/** What the memory windows read of a sample (also all a saved run's JSON needs to hold). */
type MemoryRow = Pick<Sample, 'atS' | 'rssMb' | 'heapMb' | 'externalMb' | 'liveStreams'>;

/**
 * Memory per sixth of the run (while streams are live): RSS swings by tens of MB with the frames
 * in flight at the moment of the sample (raw 720p frames are 1.4 MB each), so one least-squares
 * line through single samples is noise-driven. A leak raises the floor and the median from one
 * window to the next; frames in flight only move the maximum.
 */
function memoryWindows(rows: readonly MemoryRow[]): string[] {
  const live = rows.filter((r) => r.liveStreams > 0);
  if (live.length < 6) return [];
  const end = live.at(-1)!.atS;
  const span = end / 6;
  const med = (v: number[]) => percentile(v, 50);
  const out = ['| window (s) | RSS min / median / max (MB) | heap after GC min - max (MB) | buffers median (MB) |', '| --- | --- | --- | --- |'];
  for (let w = 0; w < 6; w++) {
    const g = live.filter((r) => r.atS > w * span && r.atS <= (w + 1) * span);
    if (g.length === 0) continue;
    const rss = g.map((r) => r.rssMb), heap = g.map((r) => r.heapMb);
    out.push(`| ${Math.round(w * span)}-${Math.round((w + 1) * span)} | ${Math.min(...rss)} / ${r1(med(rss))} / ${Math.max(...rss)} | ${Math.min(...heap)} - ${Math.max(...heap)} | ${r1(med(g.map((r) => r.externalMb)))} |`);
  }
  return out;
}

/** The largest value (the worst stream), NaN for none. */
function worst(values: number[]): number {
  return values.length ? Math.max(...values) : NaN;
}

/** Indices sent but never seen on the clean path, as inclusive runs "a-b" (where frames went missing). */
function missingRuns(run: StreamRun): string[] {
  const out: string[] = [];
  let start: number | undefined;
  for (let i = 0; i <= run.next; i++) {
    const missing = i < run.next && run.sent.has(i) && !run.received.has(i);
    if (missing && start === undefined) start = i;
    if (!missing && start !== undefined) {
      out.push(start === i - 1 ? String(start) : `${start}-${i - 1}`);
      start = undefined;
    }
  }
  return out;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : NaN;
}

/** Clean-path latency (sent -> decoded at the receiver) of the frames sent in [fromMs, toMs). */
function latencyBetween(runs: StreamRun[], fromMs: number, toMs: number): { p50: number; p99: number; n: number } {
  const lat: number[] = [];
  for (const run of runs) {
    for (const [index, sentAt] of run.sent) {
      if (sentAt < fromMs || sentAt >= toMs) continue;
      const got = run.received.get(index);
      if (got !== undefined) lat.push(got - sentAt);
    }
  }
  return { p50: r1(percentile(lat, 50)), p99: r1(percentile(lat, 99)), n: lat.length };
}

async function main(): Promise<void> {
  const o = new Command('bench:soak')
    .option('--minutes <n>', 'how long to run', positive('--minutes'), 30)
    .option('--streams <n>', 'streams at once, each with its own publisher and receiver', positive('--streams'), 2)
    .option('--reconnect-every-s <n>', 'each publisher ends and a new one connects this often (streams staggered)', positive('--reconnect-every-s'), 180)
    .option('--sample-every-s <n>', 'one row of the table per interval', positive('--sample-every-s'), 30)
    .option('--width <n>', 'frame width', Number, 1280)
    .option('--height <n>', 'frame height', Number, 720)
    .option('--fps <n>', 'frame rate', Number, 30)
    .option('--filter <name>', 'pipeline.filter: manual (the demo logo and subtitle band), passthrough or auto', 'manual')
    .option('--heap-snapshots <dir>', 'write a V8 heap snapshot after the first interval and in the last one (each pauses the process ~1 s)')
    .option('--json <file>', 'write every sample and the totals as JSON', join(PROJECT_ROOT, 'bench', 'out', 'soak.json'))
    .option('--report <file>', 'no new run: print the memory windows of a saved run (its --json file)')
    .parse()
    .opts<Options>();
  if (o.report) return report(o.report);

  const g = demoGeometry(o.width, o.height);
  const dataDir = freshDataDir();
  const config = defaultsWith({
    server: { httpPort: await freePort(), dataDir: dataDir.path },
    rtmp: { port: await freePort(), httpFlvPort: await freePort() },
    pipeline: { filter: o.filter, regions: { '*': [g.logo, g.subtitles] } },
    log: { level: 'warn' },
  });
  const server = new ClearcastServer(config, createLogger('warn'));
  await server.start();
  // Every frame the run can send, with room for a slow start; beyond it `set` ignores the index.
  const capacity = Math.ceil(o.minutes * 60 * o.fps * 1.1) + 10 * o.fps;
  const runs: StreamRun[] = Array.from({ length: o.streams }, (_, i) => ({ key: `soak${i}`, sent: new FrameTimes(capacity), received: new FrameTimes(capacity), pipelines: [], ended: [], reconnects: 0, next: 0, skippedAtPublisher: 0, segmentStarts: [] }));
  server.registry.onStart((key, pipeline) => runs.find((r) => r.key === key)?.pipelines.push(pipeline));

  process.stderr.write(`soak: ${o.streams} streams at ${o.width}x${o.height}@${o.fps}, ${o.minutes} min, reconnect every ${o.reconnectEveryS} s, filter ${o.filter}\n`);
  const t0 = performance.now();
  const endAt = t0 + o.minutes * 60_000;
  const samples: Sample[] = [];
  if (o.heapSnapshots) mkdirSync(o.heapSnapshots, { recursive: true });
  const timer = setInterval(() => {
    const s = sample(t0, runs);
    samples.push(s);
    // Two snapshots, after warm-up and near the end, to diff in DevTools if the heap grows.
    const lastInterval = performance.now() + o.sampleEveryS * 1000 > endAt - 5000;
    if (o.heapSnapshots && (samples.length === 2 || lastInterval)) {
      process.stderr.write(`  heap snapshot: ${writeHeapSnapshot(join(o.heapSnapshots, `soak-${s.atS}s.heapsnapshot`))}\n`);
    }
    process.stderr.write(`  ${s.atS}s rss ${s.rssMb} MB heap ${s.heapMb} MB children ${s.childrenRssMb} MB internal p99 ${s.internalP99Ms} ms dropped ${s.droppedTotal} load ${s.load1}` +
      s.streams.map((st) => ` | ${st.key} age ${st.ageS}s fps ${st.fpsIn}->${st.fpsOut} enc in flight ${st.encoderInFlight} enc p50 ${st.encodeP50Ms} ms`).join('') + '\n');
  }, o.sampleEveryS * 1000);
  const period = o.reconnectEveryS * 1000;
  await Promise.all(runs.map((run, i) => runStream(server, run, o, i * 1000, (period * (i + 1)) / o.streams, endAt)));
  clearInterval(timer);
  await server.stop();
  dataDir.remove();

  // Per interval: memory and internal latency as sampled; clean-path latency of the frames sent in it.
  const rows = samples.map((s, i) => {
    const from = t0 + (i === 0 ? 0 : samples[i - 1]!.atS * 1000);
    const to = t0 + s.atS * 1000;
    const lat = latencyBetween(runs, from, to);
    const dropped = s.droppedTotal - (i === 0 ? 0 : samples[i - 1]!.droppedTotal);
    return { ...s, cleanP50Ms: lat.p50, cleanP99Ms: lat.p99, framesInInterval: lat.n, droppedInInterval: dropped };
  });
  const perStream = runs.map((run) => {
    const sent = run.sent.size;
    let received = 0;
    for (const index of run.received.keys()) if (run.sent.has(index)) received++;
    const segments = [...run.ended, ...run.pipelines.map((p) => p.stats())];
    const drops = segments.reduce((n, st) => n + st.dropped, 0);
    const failOpen = segments.reduce((n, st) => n + st.failOpen.frames, 0);
    return { key: run.key, sent, received, countedDrops: drops, lost: sent - received - drops, pipelines: segments.length, failOpenFrames: failOpen, skippedAtPublisher: run.skippedAtPublisher, missing: missingRuns(run), segmentStarts: run.segmentStarts,
      segments: segments.map((st) => ({ videoPackets: st.videoPackets, framesDecoded: st.framesDecoded, framesEncoded: st.framesEncoded, droppedBy: st.droppedBy, endReason: st.endReason })) };
  });
  // Memory trend after the first interval (start-up allocations are not a leak).
  const steady = rows.slice(1);
  const rssSlopeMbPerHour = r1(slope(steady.map((r) => r.atS), steady.map((r) => r.rssMb)) * 3600);
  const heapSlopeMbPerHour = r1(slope(steady.map((r) => r.atS), steady.map((r) => r.heapMb)) * 3600);
  // The same over the second half: warm-up (JIT, pools, the allocator settling) is over by then,
  // so a slope that remains there is growth that would go on.
  const late = rows.slice(Math.floor(rows.length / 2));
  const rssLateSlope = r1(slope(late.map((r) => r.atS), late.map((r) => r.rssMb)) * 3600);
  const heapLateSlope = r1(slope(late.map((r) => r.atS), late.map((r) => r.heapMb)) * 3600);
  const quarter = Math.max(1, Math.floor(steady.length / 4));
  const p99First = r1(percentile(steady.slice(0, quarter).map((r) => r.cleanP99Ms), 50));
  const p99Last = r1(percentile(steady.slice(-quarter).map((r) => r.cleanP99Ms), 50));

  const table = [
    `Soak: ${o.streams} streams, ${o.width}x${o.height}@${o.fps}, filter ${o.filter}, ${o.minutes} min, publishers reconnecting every ${o.reconnectEveryS} s (staggered)`,
    '',
    '| t (s) | RSS (MB) | heap (MB) | buffers (MB) | ffmpeg children RSS (MB) | clean-path latency p50 / p99 (ms) | internal p99 (ms) | frames (interval) | dropped (interval) | live streams |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.atS} | ${r.rssMb} | ${r.heapMb} | ${r.externalMb} | ${r.childrenRssMb} | ${r.cleanP50Ms} / ${r.cleanP99Ms} | ${r.internalP99Ms} | ${r.framesInInterval} | ${r.droppedInInterval} | ${r.liveStreams} |`),
    '',
    '| stream | frames sent | received on the clean path | counted drops | lost (sent - received - drops) | pipelines (publishes) | failed-open frames | not sent (publisher behind) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...perStream.map((s) => `| ${s.key} | ${s.sent} | ${s.received} | ${s.countedDrops} | ${s.lost} | ${s.pipelines} | ${s.failOpenFrames} | ${s.skippedAtPublisher} |`),
    '',
    ...memoryWindows(rows),
    '',
    `RSS trend after the first interval: ${rssSlopeMbPerHour} MB/h; heap: ${heapSlopeMbPerHour} MB/h; over the second half: RSS ${rssLateSlope} MB/h, heap ${heapLateSlope} MB/h` +
      `${(globalThis as { gc?: unknown }).gc ? ' (heap sampled after a full GC)' : ' (no --expose-gc: heap includes garbage)'}. ` +
      `Clean-path p99, median of the first vs last quarter of intervals: ${p99First} vs ${p99Last} ms.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), options: o, rows, perStream, rssSlopeMbPerHour, heapSlopeMbPerHour, rssLateSlope, heapLateSlope, p99First, p99Last }, null, 2));
}

/** `--report FILE`: the memory windows of a finished run, from its JSON (no new run). */
function report(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { rows: MemoryRow[] };
  process.stdout.write(`${memoryWindows(saved.rows).join('\n')}\n`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:soak failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
