/**
 * Glass-to-glass latency WHIP in -> WHEP out on loopback, with the timestamp barcode of
 * bench/latency.ts.
 *
 * Node paces raw 720p30 frames carrying their index into an ffmpeg x264 publisher (constrained
 * baseline, zerolatency, what a WebRTC encoder does) that sends RTP into a werift WHIP client;
 * Clearcast decodes, filters (manual regions), re-encodes and serves WHEP; a werift WHEP viewer
 * reassembles and decodes with ffmpeg and reads the barcode back. Latency = decoded at the viewer
 * minus handed to the publisher's encoder: both encoders, both decoders, the filter, and every
 * network hop. No playout jitter buffer (a browser adds its own, typically 20-60 ms on a LAN).
 *
 *   npm run bench:whip-latency -- [--seconds 30] [--width 1280 --height 720 --fps 30] [--json out.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MediaStreamTrack } from 'werift';
import { defaultsWith } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { freePort } from '../src/core/net.js';
import { demoGeometry } from '../src/demo/source.js';
import { FfmpegProcess } from '../src/media/ffmpeg.js';
import { ClearcastServer } from '../src/server.js';
import { exchange, openRtpInlet, whepDecodingViewer } from '../src/webrtc/client.js';
import { createPeer } from '../src/webrtc/peer.js';
import { afterWarmup, latencyBenchCommand, percentile, r1, readBarcode, sendPaced } from './barcode.js';
import { freshDataDir } from './data-dir.js';

/** Seconds at the start left out: decoder probing, x264 start-up, the viewer's first keyframe. */
const WARMUP_S = 2;

interface Options {
  seconds: number;
  width: number;
  height: number;
  fps: number;
  json: string;
}

async function measure(o: Options): Promise<Record<string, unknown>> {
  const g = demoGeometry(o.width, o.height);
  const dataDir = freshDataDir();
  const config = defaultsWith({
    server: { httpPort: await freePort(), dataDir: dataDir.path },
    rtmp: { port: await freePort(), httpFlvPort: await freePort() },
    pipeline: { filter: 'manual', regions: { '*': [g.logo, g.subtitles] } },
    log: { level: 'warn' },
  });
  const server = new ClearcastServer(config, createLogger('warn'));
  await server.start();
  const key = 'whiplatency';

  const pc = createPeer(config);
  const track = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(track, { direction: 'sendonly' });
  const whip = await exchange(pc, server.urls.whip(key));
  if (whip.status !== 201) throw new Error(`WHIP refused: ${whip.status} ${whip.answer}`);
  const inlet = await openRtpInlet(track);
  const bitrate = config.encoder.videoBitrateKbps;
  const publisher = new FfmpegProcess({
    name: 'publisher',
    // '-threads 1' on the raw input: a frame-threaded rawvideo decoder holds each frame for the next.
    args: ['-loglevel', 'error', '-threads', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${o.width}x${o.height}`, '-framerate', String(o.fps), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', String(o.fps * 2),
      '-b:v', `${bitrate}k`, '-maxrate', `${bitrate}k`, '-bufsize', `${bitrate}k`,
      '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${inlet.port}?pkt_size=1200`],
  });

  const received = new Map<number, number>();
  const viewer = await whepDecodingViewer(config, server.urls.whep(key), (frame) => {
    const index = readBarcode(frame.data, frame.width);
    if (!received.has(index)) received.set(index, performance.now());
  });
  if (viewer.result.status !== 201) throw new Error(`WHEP refused: ${viewer.result.status} ${viewer.result.answer}`);

  const run = await sendPaced(o, WARMUP_S, (frame) => publisher.write(frame), () => server.registry.get(key));
  const { sent, stats } = run;
  const counted = afterWarmup(run);
  await new Promise((r) => setTimeout(r, 1000));
  publisher.endInput();
  await publisher.waitExit();
  await viewer.close();
  inlet.close();
  await pc.close();
  await server.stop();
  dataDir.remove();

  const latency: number[] = [];
  for (const [i, ts] of sent) {
    if (i < WARMUP_S * o.fps) continue;
    const at = received.get(i);
    if (at !== undefined) latency.push(at - ts);
  }
  return {
    frames: sent.size - WARMUP_S * o.fps,
    matched: latency.length,
    glassToGlassMs: { p50: r1(percentile(latency, 50)), p90: r1(percentile(latency, 90)), p99: r1(percentile(latency, 99)), max: r1(Math.max(...latency)) },
    pipelineAddedMs: stats?.addedLatencyMs,
    decodeMs: stats?.decodeMs,
    filterMs: stats?.filterMs,
    encodeMs: stats?.encodeMs,
    // Counted after the warm-up, as the latencies are (the start-up's cold JIT and x264 are not the steady state).
    dropped: counted?.dropped,
    degraded: counted?.degraded,
    fpsOut: stats?.fpsOut,
  };
}

async function main(): Promise<void> {
  const opts = latencyBenchCommand('bench:whip-latency', 32, 'whip-latency.json')
    .parse()
    .opts<Options>();
  process.stderr.write(`measuring WHIP -> WHEP for ${opts.seconds} s at ${opts.width}x${opts.height}@${opts.fps}...\n`);
  const r = await measure(opts);
  const g = r.glassToGlassMs as { p50: number; p90: number; p99: number; max: number };
  const s = r as { matched: number; frames: number; pipelineAddedMs?: { p50: number; p99: number }; decodeMs?: { p50: number }; filterMs?: { p50: number }; encodeMs?: { p50: number }; dropped?: number; degraded?: number };
  const table = [
    `WHIP in -> WHEP out, glass to glass on loopback, ${opts.width}x${opts.height}@${opts.fps}, ${opts.seconds} s, first ${WARMUP_S} s excluded (latencies in ms; dropped and degraded frames counted after it too)`,
    '',
    '| frames matched | p50 | p90 | p99 | max | Clearcast added p50 / p99 | decode / filter / encode p50 | dropped | degraded |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${s.matched}/${s.frames} | ${g.p50} | ${g.p90} | ${g.p99} | ${g.max} | ${s.pipelineAddedMs?.p50} / ${s.pipelineAddedMs?.p99} | ${s.decodeMs?.p50} / ${s.filterMs?.p50} / ${s.encodeMs?.p50} | ${s.dropped} | ${s.degraded} |`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  mkdirSync(dirname(opts.json), { recursive: true });
  writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), ...opts, result: r }, null, 2));
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:whip-latency failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
