/**
 * Frame indices drawn into the picture (16 cells of 32x32 luma, top left) and read back after a
 * lossy path: the latency benchmarks match each received frame to when it was sent.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { yuv420pLayout } from '../src/core/frame.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { FrameDecoder } from '../src/media/decoder.js';
import { FfmpegProcess } from '../src/media/ffmpeg.js';
import { encodeYuv } from '../src/synth/ffmpeg-io.js';
import type { StreamPipeline, StreamStats } from '../src/stream/pipeline.js';

const BITS = 16;
const CELL = 32; // survives x264 at any sane bitrate

function writeBarcode(y: Buffer, width: number, index: number): void {
  for (let b = 0; b < BITS; b++) {
    const v = (index >> b) & 1 ? 235 : 16;
    for (let row = 0; row < CELL; row++) y.fill(v, row * width + b * CELL, row * width + (b + 1) * CELL);
  }
}

export function readBarcode(y: Buffer, width: number): number {
  let index = 0;
  for (let b = 0; b < BITS; b++) {
    const centre = (CELL / 2) * width + b * CELL + CELL / 2;
    if (y[centre]! > 128) index |= 1 << b;
  }
  return index;
}

/** Barcodes carry 16 bits: frame indices wrap every 65536 frames (36 min at 30 fps). */
export const BARCODE_CODES = 1 << BITS;

/** The area the barcode covers (luma pixels, from the top-left corner): a filter must leave it alone. */
export const BARCODE_AREA = { x: 0, y: 0, width: BITS * CELL, height: CELL } as const;

/**
 * A yuv420p frame: a moving gradient (so the encoder has real work) under the barcode of `index`,
 * or `scene` (a yuv420p frame of the same size) instead of the gradient.
 */
export function barcodeFrame(frameSize: number, width: number, height: number, index: number, scene?: Buffer): Buffer {
  if (scene) {
    const frame = Buffer.from(scene.subarray(0, frameSize));
    writeBarcode(frame, width, index);
    return frame;
  }
  const frame = Buffer.alloc(frameSize, 128);
  for (let row = CELL; row < height; row += 1) frame.fill((row + index * 4) & 0xff, row * width, (row + 1) * width);
  writeBarcode(frame, width, index);
  return frame;
}

export { percentile } from '../src/core/stats.js';

/**
 * Decodes a stream (RTMP or HTTP-FLV) with low-delay flags and records when each barcode index
 * first shows up. `unwrap` maps the 16-bit code back to a frame index (long runs wrap it).
 * ffmpeg hands over the barcode strip alone, in grey: two receivers reading whole 720p frames put
 * ~85 MB/s of pipe reads and copies on the main thread the server under test runs on.
 */
export function barcodeReceiver(url: string, width: number, height: number, arrivals: Map<number, number>, unwrap: (code: number) => number = (c) => c): FfmpegProcess {
  if (width < BARCODE_AREA.width || height < BARCODE_AREA.height) throw new RangeError(`a ${width}x${height} picture cannot hold the ${BARCODE_AREA.width}x${BARCODE_AREA.height} barcode`);
  const { width: stripWidth, height: stripHeight } = BARCODE_AREA;
  const size = stripWidth * stripHeight;
  const proc = new FfmpegProcess({
    name: `receiver ${url}`,
    // As the pipeline's own decoder (src/media/decoder.ts): no '-fflags nobuffer' (it discards the
    // first keyframe, so nothing decodes for a GOP); every frame out as decoded (-fps_mode passthrough:
    // rawvideo's default constant rate holds each frame for the next and drops or repeats some); each
    // flushed whole (-flush_packets: its last bytes would wait in a 32 KiB buffer for the next frame).
    args: ['-loglevel', 'error', '-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0', '-threads', '1',
      '-i', url, '-vf', `crop=${stripWidth}:${stripHeight}:0:0`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-fps_mode', 'passthrough', '-flush_packets', '1', 'pipe:1'],
  });
  let pending: Buffer[] = [];
  let have = 0;
  proc.child.stdout!.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    have += chunk.length;
    while (have >= size) {
      const all = Buffer.concat(pending);
      const index = unwrap(readBarcode(all.subarray(0, size), stripWidth));
      if (!arrivals.has(index)) arrivals.set(index, performance.now());
      pending = [all.subarray(size)];
      have -= size;
    }
  });
  return proc;
}

/** Where a receiver records first arrivals: a Map, or the soak's fixed-size `FrameTimes`. */
export interface ArrivalLog {
  has(index: number): boolean;
  set(index: number, time: number): unknown;
}

/**
 * A viewer of an HTTP-FLV stream whose every frame is counted, the last one included: the body is
 * piped into the pipeline's own decoder (FrameDecoder), and stop() ends its input so the decoder
 * flushes. An ffmpeg RTMP receiver holds a stream's last frame until more data comes, and a live
 * stream that ends sends none.
 */
export function barcodeFlvReceiver(url: string, width: number, arrivals: ArrivalLog, unwrap: (code: number) => number = (c) => c): { stop(): Promise<void> } {
  const decoder = new FrameDecoder({
    name: `viewer ${url}`,
    inputArgs: ['-f', 'flv', '-i', 'pipe:0'],
    lowDelay: true,
    onFrame: (frame) => {
      const index = unwrap(readBarcode(frame.data, width));
      if (!arrivals.has(index)) arrivals.set(index, performance.now());
    },
  });
  let response: IncomingMessage | undefined;
  const req = httpGet(url, (res) => {
    response = res;
    res.on('data', (chunk: Buffer) => decoder.write(chunk));
  });
  req.on('error', () => {});
  return {
    stop: async () => {
      response?.destroy();
      req.destroy();
      decoder.endInput();
      await decoder.finished();
    },
  };
}

/** The publisher's encoder settings (OBS-like): x264 ultrafast zerolatency, 3 Mbit/s, keyframe every 2 s. */
const publisherCodec = (fps: number): string[] => ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(fps * 2), '-b:v', '3000k'];

/** An RTMP publisher as OBS would be: raw frames on stdin, x264 zerolatency, 3 Mbit/s, keyframe every 2 s. */
export function barcodePublisher(url: string, o: { width: number; height: number; fps: number }): FfmpegProcess {
  return new FfmpegProcess({
    name: 'publisher',
    args: ['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${o.width}x${o.height}`, '-framerate', String(o.fps), '-i', 'pipe:0',
      ...publisherCodec(o.fps), '-f', 'flv', url],
  });
}

/**
 * Encodes `total` barcode frames (over `scene`) once, unpaced, to an FLV file with the publisher's
 * settings: replayed with `preencodedPublisher`, the measured runs then spend no CPU on the
 * publisher's x264, which a real publisher runs on its own machine. Frames are made as ffmpeg
 * takes them (a 20 s 720p run would be 830 MB held at once).
 */
export async function preencodeBarcode(file: string, o: { width: number; height: number; fps: number }, total: number, scene?: (i: number) => Buffer): Promise<void> {
  const { frameSize } = yuv420pLayout(o.width, o.height);
  function* frames(): Generator<Buffer> {
    for (let i = 0; i < total; i++) yield barcodeFrame(frameSize, o.width, o.height, i, scene?.(i));
  }
  await encodeYuv(file, o.width, o.height, o.fps, frames(), [...publisherCodec(o.fps), '-f', 'flv']);
}

/** Publishes a pre-encoded FLV at its own frame rate (-re), copying packets: no encoder in the run. */
export function preencodedPublisher(url: string, file: string): FfmpegProcess {
  return new FfmpegProcess({ name: 'publisher (pre-encoded)', args: ['-loglevel', 'error', '-re', '-i', file, '-c', 'copy', '-f', 'flv', url] });
}

export const r1 = (v: number): number => Math.round(v * 10) / 10;

export interface PacedRun {
  /** performance.now() when each frame index was handed to the publisher. */
  readonly sent: Map<number, number>;
  /** The stream's stats at the end (undefined if it never started). */
  readonly stats: StreamStats | undefined;
  /** Its stats when the warm-up ended: drops and degraded frames are counted from there. */
  readonly atWarmup: StreamStats | undefined;
}

/** What a run dropped (in all and by where) and degraded after its warm-up; undefined when either snapshot is missing. */
export function afterWarmup(run: PacedRun): { dropped: number; droppedBy: StreamStats['droppedBy']; degraded: number } | undefined {
  const { stats: now, atWarmup: then } = run;
  if (!now || !then) return undefined;
  const by = now.droppedBy, was = then.droppedBy;
  return {
    dropped: now.dropped - then.dropped,
    droppedBy: { compressed: by.compressed - was.compressed, filterQueue: by.filterQueue - was.filterQueue, encoder: by.encoder - was.encoder },
    degraded: now.degraded - then.degraded,
  };
}

/**
 * Feeds `seconds` of barcode frames to a publisher's encoder paced like a camera (frame i at
 * t0 + i/fps), and resets the stream's latency stats after the warm-up so they cover the same
 * frames as the barcode figures (and notes its counters then, for the same reason).
 */
export async function sendPaced(
  o: { seconds: number; width: number; height: number; fps: number }, warmupS: number,
  write: (frame: Buffer) => void, stream: () => StreamPipeline | undefined, scene?: (i: number) => Buffer,
): Promise<PacedRun> {
  const layout = yuv420pLayout(o.width, o.height);
  const total = Math.round(o.seconds * o.fps);
  const sent = new Map<number, number>();
  const t0 = performance.now();
  let stats: StreamStats | undefined;
  let atWarmup: StreamStats | undefined;
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / o.fps - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const frame = barcodeFrame(layout.frameSize, o.width, o.height, i, scene?.(i));
    sent.set(i, performance.now());
    write(frame);
    if (i === warmupS * o.fps) {
      atWarmup = stream()?.stats();
      stream()?.resetLatencyStats();
    }
    if (i % o.fps === 0) stats = stream()?.stats() ?? stats;
  }
  return { sent, stats: stream()?.stats() ?? stats, atWarmup };
}

/** The options every barcode latency bench takes: how long, what picture, where the JSON goes. */
export function latencyBenchCommand(name: string, defaultSeconds: number, jsonFile: string): Command {
  return new Command(name)
    .option('--seconds <n>', 'seconds sent per run; the first 2 s (warm-up) are not measured', Number, defaultSeconds)
    .option('--width <n>', 'frame width', Number, 1280)
    .option('--height <n>', 'frame height', Number, 720)
    .option('--fps <n>', 'frame rate', Number, 30)
    .option('--json <file>', 'write results as JSON', join(PROJECT_ROOT, 'bench', 'out', jsonFile));
}
