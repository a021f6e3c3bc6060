import { spawn } from 'node:child_process';
import { yuv420pLayout } from '../core/frame.js';

/**
 * Thin ffmpeg wrappers that move raw yuv420p through pipes. Everything the synthesiser and the
 * benchmark store is FFV1 in Matroska: lossless, so decode(encode(x)) == x bit for bit and the
 * container never biases a comparison.
 */

export interface FfmpegResult {
  readonly stdout: Buffer;
  readonly wallMs: number;
}

export function runFfmpeg(args: readonly string[], stdin?: Iterable<Buffer>): Promise<FfmpegResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`ffmpeg ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`));
      else resolve({ stdout: Buffer.concat(out), wallMs: performance.now() - started });
    });
    if (stdin && child.stdin) {
      // The '-nostdin' flag only stops ffmpeg reading the terminal; a pipe input still needs EPIPE
      // handled or an early ffmpeg failure would crash the process instead of rejecting.
      child.stdin.on('error', () => undefined);
      void (async () => {
        for (const chunk of stdin) {
          if (!child.stdin!.write(chunk)) await new Promise((r) => child.stdin!.once('drain', r));
        }
        child.stdin!.end();
      })();
    }
  });
}

/** Lossless output arguments shared by every writer, so all methods' outputs are encoded alike. */
export const LOSSLESS_ARGS: readonly string[] = ['-c:v', 'ffv1', '-level', '3', '-pix_fmt', 'yuv420p', '-an'];

export async function encodeYuv(
  path: string,
  width: number,
  height: number,
  fps: number,
  frames: Iterable<Buffer>,
  codecArgs: readonly string[] = LOSSLESS_ARGS,
): Promise<FfmpegResult> {
  return runFfmpeg(
    ['-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0', ...codecArgs, path],
    frames,
  );
}

export interface DecodeOptions {
  /** Scale and centre-crop to this size (unless `exactSize`). */
  readonly width: number;
  readonly height: number;
  readonly maxFrames?: number;
  /** Skip scaling: the caller knows the file already has this size (exactness matters for ground truth). */
  readonly exactSize?: boolean;
}

export async function decodeYuv(path: string, opts: DecodeOptions): Promise<Buffer[]> {
  const { width, height } = opts;
  const args = ['-i', path];
  if (!opts.exactSize) args.push('-vf', `scale=${width}:${height}:force_original_aspect_ratio=increase:flags=bicubic,crop=${width}:${height}`);
  // Passthrough: one output frame per decoded frame. The default would duplicate frames to fill a
  // constant rate (e.g. AVIs with null frames), inventing frames that never moved.
  args.push('-fps_mode', 'passthrough');
  if (opts.maxFrames !== undefined) args.push('-frames:v', String(opts.maxFrames));
  args.push('-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1');
  const { stdout } = await runFfmpeg(args);
  return splitFrames(stdout, width, height);
}

export function splitFrames(raw: Buffer, width: number, height: number): Buffer[] {
  const size = yuv420pLayout(width, height).frameSize;
  if (raw.length % size !== 0) throw new Error(`raw video of ${raw.length} bytes is not a whole number of ${width}x${height} frames`);
  const frames: Buffer[] = [];
  for (let off = 0; off < raw.length; off += size) frames.push(raw.subarray(off, off + size));
  return frames;
}

/** Writes a single-channel 8-bit image (e.g. a mask for removelogo) as PNG. */
export async function writeGrayPng(path: string, width: number, height: number, pixels: Uint8Array): Promise<void> {
  await runFfmpeg(['-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, '-i', 'pipe:0', '-frames:v', '1', path], [Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)]);
}
