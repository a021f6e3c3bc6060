import type { VideoFrame } from '../core/frame.js';
import { yuv420pLayout } from '../core/frame.js';
import { FfmpegProcess } from './ffmpeg.js';
import { SocketReader } from './socket-reader.js';

/** ffmpeg's per-frame showinfo line: the only place rawvideo output tells us pts and size. */
const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(-?[\d.e+-]+).*?\bs:(\d+)x(\d+)/;

export interface DecoderOptions {
  readonly name: string;
  /** ffmpeg input arguments, ending with the input (e.g. ['-f', 'flv', '-i', 'pipe:0']). */
  readonly inputArgs: readonly string[];
  /** Live sources trade probing for latency; files want exact probing. */
  readonly lowDelay: boolean;
  readonly onFrame: (frame: VideoFrame) => void;
  /** Wall-clock arrival of the compressed frame with this pts, when the caller tracks it. */
  readonly arrivalOf?: (ptsMs: number) => number | undefined;
  /**
   * Frames come out through a socket read by a worker thread (SocketReader), so the decoder
   * never waits on a busy main thread: the live path. Not with pause() (offline): the thread
   * reads whatever the decoder writes. CLEARCAST_DECODER_STDOUT=1 turns it off (stdout as before),
   * for troubleshooting and for bench:latency comparisons.
   */
  readonly outputThread?: boolean;
}

interface FrameInfo {
  ptsMs: number;
  width: number;
  height: number;
}

// Minimal probing and no frame threading: first frame within a frame or two, ~1 frame of decode
// delay. Not '-fflags nobuffer': it discards the packets read while probing, i.e. the stream's
// first keyframe, so nothing decodes until the next one (and a one-GOP clip not at all).
export const LOW_DELAY_INPUT_FLAGS = ['-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0', '-threads', '1'];

/**
 * Decodes any ffmpeg-readable input into whole yuv420p frames with their timestamps. Frames are
 * emitted exactly once each, in presentation order, without drops (-fps_mode passthrough): a
 * decoder never decides what to drop; the filter stage does, and counts it.
 */
export class FrameDecoder {
  private readonly proc: FfmpegProcess;
  private readonly infos: FrameInfo[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private seq = 0;
  framesOut = 0;
  private readonly output: SocketReader | undefined;

  constructor(private readonly opts: DecoderOptions) {
    const onData = (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.drain();
    };
    // A reader that fails loses the rest of the output: ffmpeg is stopped with the reader's reason,
    // which the pipeline reports. (Left alone, ffmpeg ended on its own with "Broken pipe", which
    // did not say which side failed.)
    const outputFailed = (message: string): void => void this.proc.stop(message);
    this.output = opts.outputThread && process.env.CLEARCAST_DECODER_STDOUT !== '1' ? SocketReader.create(opts.name, onData, outputFailed) : undefined;
    const args = [
      '-loglevel', 'info', '-nostats',
      ...(opts.lowDelay ? LOW_DELAY_INPUT_FLAGS : []),
      ...opts.inputArgs,
      '-map', '0:v:0',
      '-vf', 'showinfo=checksum=0',
      '-fps_mode', 'passthrough',
      // Source timestamps as they are (no shift to 0): they are how frames are matched to arrivals.
      '-copyts',
      '-pix_fmt', 'yuv420p',
      // ffmpeg 5.1's rawvideo encoder is frame-threaded: with more than one thread it hands each
      // frame out only when the next one arrives (one frame of latency, measured).
      '-threads', '1',
      // Without it the last bytes of each frame wait in ffmpeg's 32 KiB output buffer for the next frame.
      '-flush_packets', '1',
      '-f', 'rawvideo', ...(this.output ? ['-listen', '1', this.output.url] : ['pipe:1']),
    ];
    this.proc = new FfmpegProcess({ name: opts.name, args, onStderrLine: (line) => this.onInfoLine(line) });
    if (!this.output) this.proc.child.stdout!.on('data', onData);
  }

  /** The thread reading the output socket (undefined: stdout), for diagnostics and fault-injection tests. */
  get outputReader(): SocketReader | undefined {
    return this.output;
  }

  get process(): FfmpegProcess {
    return this.proc;
  }

  private onInfoLine(line: string): void {
    const m = SHOWINFO.exec(line);
    if (!m) return;
    // pts_time is in seconds whatever the stream's time base; ms is our common clock.
    this.infos.push({ ptsMs: Math.round(Number(m[3]) * 1000), width: Number(m[4]), height: Number(m[5]) });
    // The output thread hands the next frame over whole, which drain() then takes without a copy.
    this.output?.expect(yuv420pLayout(Number(m[4]), Number(m[5])).frameSize);
    this.drain();
  }

  /** Stdout bytes and showinfo lines travel on different pipes: pair them in order once both exist. */
  private drain(): void {
    while (this.infos.length) {
      const info = this.infos[0]!;
      const size = yuv420pLayout(info.width, info.height).frameSize;
      if (this.buffered < size) return;
      this.infos.shift();
      const data = this.take(size);
      const frame: VideoFrame = {
        seq: this.seq++,
        ptsMs: info.ptsMs,
        width: info.width,
        height: info.height,
        data,
        arrivedAt: this.opts.arrivalOf?.(info.ptsMs) ?? performance.now(),
      };
      this.framesOut++;
      this.opts.onFrame(frame);
    }
  }

  private take(size: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length === size) {
      this.chunks.shift();
      this.buffered -= size;
      return first;
    }
    const out = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const c = this.chunks[0]!;
      const n = Math.min(c.length, size - off);
      c.copy(out, off, 0, n);
      off += n;
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    this.buffered -= size;
    return out;
  }

  /** Offline use: stop reading frames while the consumer catches up (ffmpeg then blocks on its pipe). */
  pause(): void {
    if (this.output) throw new Error(`${this.opts.name}: pause() needs the decoder's stdout (outputThread off)`);
    this.proc.child.stdout!.pause();
  }

  resume(): void {
    this.proc.child.stdout!.resume();
  }

  write(buf: Buffer): boolean {
    return this.proc.write(buf);
  }

  get backlogBytes(): number {
    return this.proc.stdinBacklog;
  }

  endInput(): void {
    this.proc.endInput();
  }

  /** Resolves when ffmpeg has exited and every complete frame has been emitted. */
  async finished(): Promise<void> {
    await this.proc.waitExit();
    if (this.output) {
      await this.output.drained();
      await this.output.close();
    }
    this.drain();
  }

  async kill(): Promise<void> {
    await this.proc.kill();
    await this.output?.close();
  }
}
