import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import type { Rect } from '../../src/core/frame.js';
import { FfmpegProcess } from '../../src/media/ffmpeg.js';

const run = promisify(execFile);

/** The box every test clip carries: what the filter must remove. */
export const BOX: Rect = { x: 200, y: 120, width: 160, height: 80 };

export interface ClipOptions {
  width?: number;
  height?: number;
  fps?: number;
  seconds: number;
  audio?: boolean;
  /** Publish at the frame rate (a live publisher) rather than as fast as possible. */
  realtime?: boolean;
  /** Corrupt about one compressed byte in `corrupt` (ffmpeg's noise bitstream filter). */
  corrupt?: number;
  /** False: an audio-only publisher. */
  video?: boolean;
  /** ffmpeg video encoder (default libx264); e.g. "flv" for Sorenson H.263, which Clearcast refuses. */
  videoCodec?: string;
}

/**
 * ffmpeg arguments for a test clip: static colour bars (so "outside the region" is comparable
 * across frames), a solid red box at BOX, and a tone.
 */
export function clipArgs(o: ClipOptions): string[] {
  const w = o.width ?? 640;
  const h = o.height ?? 360;
  const fps = o.fps ?? 30;
  const video = `smptehdbars=s=${w}x${h}:r=${fps},format=yuv420p,drawbox=x=${BOX.x}:y=${BOX.y}:w=${BOX.width}:h=${BOX.height}:color=red:t=fill`;
  const codec = o.videoCodec ?? 'libx264';
  const videoOut = o.video === false ? ['-vn'] : [
    '-frames:v', String(Math.round(o.seconds * fps)),
    '-c:v', codec, ...(codec === 'libx264' ? ['-preset', 'ultrafast', '-tune', 'zerolatency'] : []), '-g', String(fps),
    ...(o.corrupt ? ['-bsf:v', `noise=amount=${o.corrupt}`] : []),
  ];
  return [
    ...(o.realtime === false ? [] : ['-re']),
    ...(o.video === false ? [] : ['-f', 'lavfi', '-i', video]),
    ...(o.audio === false ? [] : ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000']),
    ...videoOut,
    ...(o.audio === false ? [] : ['-t', String(o.seconds), '-c:a', 'aac']),
  ];
}

export function publish(url: string, o: ClipOptions): FfmpegProcess {
  return new FfmpegProcess({ name: 'test publisher', args: ['-loglevel', 'error', ...clipArgs(o), '-f', 'flv', url] });
}

/** Encodes a test clip into an FLV file (as fast as possible). */
export async function encodeFlv(file: string, o: ClipOptions): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', ...clipArgs({ ...o, realtime: false }), '-f', 'flv', file]);
}

/** Publishes an FLV file as is (-c copy) at its own pace, e.g. one whose picture size changes mid-stream. */
export function publishFile(url: string, file: string): FfmpegProcess {
  return new FfmpegProcess({ name: 'test file publisher', args: ['-loglevel', 'error', '-re', '-i', file, '-c', 'copy', '-f', 'flv', url] });
}

/** The tags of an FLV file (11-byte header + body each, without the trailing size). */
function flvTags(file: Buffer): Buffer[] {
  const tags: Buffer[] = [];
  let off = file.readUInt32BE(5) + 4;
  while (off + 11 <= file.length) {
    const size = file.readUIntBE(off + 1, 3);
    tags.push(file.subarray(off, off + 11 + size));
    off += 11 + size + 4;
  }
  return tags;
}

/**
 * Joins FLV files into one stream, each part's timestamps shifted to follow the previous part, its
 * own sequence headers kept: the stream a publisher sends when it changes resolution or frame rate
 * mid-stream (e.g. OBS switching scenes' output size). Script tags after the first part are left out.
 */
export function spliceFlv(parts: readonly Buffer[]): Buffer {
  const out: Buffer[] = [parts[0]!.subarray(0, 13)];
  let offset = 0;
  parts.forEach((part, i) => {
    let last = 0;
    for (const original of flvTags(part)) {
      if (i > 0 && original[0] === 18) continue;
      const tag = Buffer.from(original);
      const ts = (((tag[7]! << 24) | (tag[4]! << 16) | (tag[5]! << 8) | tag[6]!) >>> 0) + offset;
      tag[4] = (ts >> 16) & 0xff; tag[5] = (ts >> 8) & 0xff; tag[6] = ts & 0xff; tag[7] = (ts >>> 24) & 0xff;
      last = Math.max(last, ts);
      const trailer = Buffer.alloc(4);
      trailer.writeUInt32BE(tag.length);
      out.push(tag, trailer);
    }
    offset = last + 40;
  });
  return Buffer.concat(out);
}

export interface Recording {
  /** Bytes received so far. */
  readonly bytes: () => number;
  stop(): Promise<void>;
}

/**
 * Saves an HTTP-FLV stream to a file byte for byte until stopped. A plain HTTP client rather than
 * an ffmpeg recorder: NMS never tells players that a publish ended, and FLV needs no trailer, so
 * the file holds exactly what a viewer received.
 */
export function recordHttpFlv(url: string, file: string): Recording {
  const out = createWriteStream(file);
  let received = 0;
  let response: IncomingMessage | undefined;
  const req = httpGet(url, (res) => {
    response = res;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      out.write(chunk);
    });
  });
  req.on('error', () => {});
  return {
    bytes: () => received,
    stop: async () => {
      response?.destroy();
      req.destroy();
      await new Promise<void>((resolve) => out.end(() => resolve()));
    },
  };
}

export interface StreamInfo {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  nb_read_packets?: string;
  start_time?: string;
  duration?: string;
}

export async function probeStreams(file: string): Promise<StreamInfo[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-count_packets', '-show_streams', '-of', 'json', file], { maxBuffer: 16 << 20 });
  return (JSON.parse(stdout) as { streams: StreamInfo[] }).streams;
}

/**
 * The picture size of every decoded video frame, in order ("640x360"). From ffmpeg's showinfo rather
 * than ffprobe -show_frames, which crashes (ffmpeg 5.1) on FLV whose sequence header changes mid-stream.
 */
export async function frameSizes(file: string): Promise<string[]> {
  const { stderr } = await run('ffmpeg', ['-v', 'info', '-nostats', '-i', file, '-map', '0:v', '-vf', 'showinfo', '-f', 'null', '-'], { maxBuffer: 64 << 20 });
  return [...stderr.matchAll(/\bs:(\d+x\d+)/g)].map((m) => m[1]!);
}

/** Packet timestamps per stream type, from ffprobe. */
export async function packetTimes(file: string, type: 'v' | 'a'): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', type, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { maxBuffer: 16 << 20 });
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** Decodes frame `index` of a file into yuv420p bytes. */
export async function decodeFrame(file: string, index: number): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return stdout;
}

/** Mean absolute luma difference inside / outside a rectangle between two frames. */
export function lumaDiff(a: Buffer, b: Buffer, width: number, height: number, rect: Rect): { inside: number; outside: number } {
  let inSum = 0, inN = 0, outSum = 0, outN = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.abs(a[y * width + x]! - b[y * width + x]!);
      const inside = x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
      if (inside) { inSum += d; inN++; } else { outSum += d; outN++; }
    }
  }
  return { inside: inSum / inN, outside: outSum / outN };
}

/** Fraction of luma pixels inside rect within `tol` of a value. */
export function fractionNear(frame: Buffer, width: number, rect: Rect, value: number, tol: number): number {
  let n = 0, hit = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      n++;
      if (Math.abs(frame[y * width + x]! - value) <= tol) hit++;
    }
  }
  return hit / n;
}
