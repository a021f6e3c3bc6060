import { extname } from 'node:path';
import type { VideoFrame } from '../core/frame.js';
import { RecentSamples } from '../core/stats.js';
import type { Filter } from '../filter/filter.js';
import { FrameWindow } from '../filter/frame-window.js';
import { FrameDecoder } from '../media/decoder.js';
import { FfmpegProcess } from '../media/ffmpeg.js';
import { probeMedia } from '../media/probe.js';
import { tuneHeapForVideo } from '../core/heap.js';

export interface ProcessFileOptions {
  readonly input: string;
  readonly output: string;
  readonly filter: Filter;
  /** x264 -qp 0: for benchmarks, so compression doesn't blur the comparison between methods. */
  readonly lossless?: boolean;
  readonly windowFrames?: number;
  readonly onProgress?: (done: number, total: number | undefined) => void;
}

export interface ProcessFileResult {
  frames: number;
  filterMsP50: number;
  filterMsP99: number;
  /** Frames per second of the whole run (decode + filter + encode). */
  fps: number;
}

/** Audio codecs each container takes as they are; anything else is re-encoded to AAC. */
const COPYABLE_AUDIO: Record<string, readonly string[]> = {
  '.mp4': ['aac', 'mp3', 'alac', 'ac3', 'eac3', 'opus', 'flac'],
  '.m4v': ['aac', 'mp3', 'alac', 'ac3'],
  '.mov': ['aac', 'mp3', 'alac', 'ac3', 'pcm_s16le', 'pcm_s24le'],
  '.flv': ['aac', 'mp3'],
};

function audioArgs(output: string, codec: string | undefined): string[] {
  if (!codec) return [];
  const allowed = COPYABLE_AUDIO[extname(output).toLowerCase()];
  const copy = allowed === undefined || allowed.includes(codec);
  return ['-map', '1:a?', ...(copy ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '160k'])];
}

/**
 * The live filter over a file, frame-exact: every decoded frame is filtered and encoded once, in
 * order, with nothing dropped (unlike live, a file can wait). Audio is taken from the input as is.
 */
export async function processFile(opts: ProcessFileOptions): Promise<ProcessFileResult> {
  tuneHeapForVideo();
  const info = await probeMedia(opts.input);
  const window = new FrameWindow(Math.max(opts.windowFrames ?? 8, opts.filter.windowFramesNeeded ?? 1));
  const filterMs = new RecentSamples(100_000);
  const t0 = performance.now();
  let encoder: FfmpegProcess | undefined;
  let frames = 0;
  let chain = Promise.resolve();
  let failure: Error | undefined;

  const startEncoder = (width: number, height: number): FfmpegProcess => new FfmpegProcess({
    name: 'encoder',
    args: [
      '-loglevel', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-framerate', String(info.fps), '-i', 'pipe:0',
      '-i', opts.input,
      '-map', '0:v:0',
      ...audioArgs(opts.output, info.audioCodec),
      '-c:v', 'libx264', ...(opts.lossless ? ['-qp', '0', '-preset', 'ultrafast'] : ['-crf', '18', '-preset', 'veryfast']),
      '-pix_fmt', 'yuv420p', '-fps_mode', 'passthrough',
      opts.output,
    ],
  });

  const handle = async (frame: VideoFrame): Promise<void> => {
    if (failure) return;
    window.push(frame);
    const t = performance.now();
    const result = await opts.filter.process(frame, { window, behind: false });
    filterMs.add(performance.now() - t);
    encoder ??= startEncoder(frame.width, frame.height);
    if (!encoder.write(Buffer.from(result.data))) throw new Error(`encoder stopped: ${encoder.lastError()}`);
    frames++;
    opts.onProgress?.(frames, info.frames);
    // Files decode faster than we filter: hold the decoder while x264's pipe is full, so memory stays flat.
    if (encoder.stdinBacklog > 8 * frame.data.length) {
      decoder.pause();
      await new Promise<void>((resolve) => encoder!.child.stdin!.once('drain', () => resolve()));
      decoder.resume();
    }
  };

  const decoder = new FrameDecoder({
    name: 'decoder',
    inputArgs: ['-i', opts.input],
    lowDelay: false,
    onFrame: (frame) => {
      chain = chain.then(() => handle(frame)).catch((err: Error) => {
        failure ??= err;
        void decoder.kill();
      });
    },
  });
  await decoder.finished();
  await chain;
  const decoderFailed = decoder.process.exited && !failure ? decoderExitError(decoder) : undefined;
  if (failure || decoderFailed) {
    await encoder?.kill();
    throw failure ?? decoderFailed;
  }
  if (!encoder) throw new Error(`${opts.input}: no video frame could be decoded`);
  encoder.endInput();
  const code = await new Promise<number | null>((resolve) => {
    if (encoder!.exited) resolve(encoder!.child.exitCode);
    else encoder!.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`encoding ${opts.output} failed: ${encoder.lastError()}`);
  await opts.filter.close?.();
  const seconds = (performance.now() - t0) / 1000;
  return { frames, filterMsP50: filterMs.percentile(50), filterMsP99: filterMs.percentile(99), fps: frames / seconds };
}

function decoderExitError(decoder: FrameDecoder): Error | undefined {
  const code = decoder.process.child.exitCode;
  return code === 0 ? undefined : new Error(`decoding failed: ${decoder.process.lastError()}`);
}
