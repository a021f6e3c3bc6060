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
  return [
    ...(o.realtime === false ? [] : ['-re']),
    '-f', 'lavfi', '-i', video,
    ...(o.audio === false ? [] : ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000']),
    '-frames:v', String(Math.round(o.seconds * fps)),
    ...(o.audio === false ? [] : ['-t', String(o.seconds)]),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(fps),
    ...(o.corrupt ? ['-bsf:v', `noise=amount=${o.corrupt}`] : []),
    ...(o.audio === false ? [] : ['-c:a', 'aac']),
  ];
}

export function publish(url: string, o: ClipOptions): FfmpegProcess {
  return new FfmpegProcess({ name: 'test publisher', args: ['-loglevel', 'error', ...clipArgs(o), '-f', 'flv', url] });
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
