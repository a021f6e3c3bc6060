import { Flv, type AVPacket } from '../rtmp/nms.js';
import { FfmpegProcess } from './ffmpeg.js';

export interface EncoderSettings {
  readonly preset: string;
  readonly videoBitrateKbps: number;
  readonly keyframeIntervalS: number;
  /** 'baseline' gives constrained baseline (x264 drops CABAC, 8x8 and B-frames): any WebRTC viewer decodes it. */
  readonly profile?: 'baseline' | 'main' | 'high';
}

export interface EncodedFrameMeta {
  readonly ptsMs: number;
  readonly arrivedAt: number;
  /** performance.now() when the frame was handed to the encoder (set by submit). */
  submittedAt?: number;
}

export interface LiveEncoderOptions {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly settings: EncoderSettings;
  /** Each FLV packet out of x264: headers (meta undefined) and frames, stamped with the source's pts. */
  readonly onPacket: (packet: AVPacket, meta: EncodedFrameMeta | undefined) => void;
}

/**
 * x264 in an ffmpeg child, raw yuv420p in, FLV (H.264) out. Zerolatency means one frame in gives
 * one frame out, in order, with no B-frames: so each output frame is matched to the oldest frame
 * submitted and takes that frame's source pts. Timestamps therefore follow the source exactly
 * (audio stays in sync, dropped frames leave honest gaps) whatever rate ffmpeg assumes.
 */
export class LiveEncoder {
  private readonly proc: FfmpegProcess;
  private readonly pending: EncodedFrameMeta[] = [];
  private lastPts = 0;
  /** When x264 produced its first frame (performance.now()); undefined until then. */
  startedAt: number | undefined;
  readonly frameSize: number;

  constructor(private readonly opts: LiveEncoderOptions) {
    const { width, height, fps, settings } = opts;
    this.frameSize = width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
    const gop = Math.max(1, Math.round(fps * settings.keyframeIntervalS));
    const kbps = settings.videoBitrateKbps;
    const args = [
      '-loglevel', 'error',
      // Input side single-threaded: a frame-threaded raw decoder would hold each frame for the next.
      '-threads', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', settings.preset, '-tune', 'zerolatency',
      '-profile:v', settings.profile ?? 'high', '-bf', '0', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
      '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
      '-fps_mode', 'passthrough',
      '-f', 'flv', '-flvflags', 'no_duration_filesize', '-flush_packets', '1', 'pipe:1',
    ];
    this.proc = new FfmpegProcess({ name: opts.name, args });
    const parser = new Flv();
    parser.onPacketCallback = (p) => this.onFlvPacket(p);
    this.proc.child.stdout!.on('data', (chunk: Buffer) => {
      const err = parser.parserData(chunk);
      if (err) this.proc.child.kill('SIGKILL');
    });
  }

  /** True once x264 has produced its first frame. */
  get started(): boolean {
    return this.startedAt !== undefined;
  }

  get process(): FfmpegProcess {
    return this.proc;
  }

  /** Frames submitted and not yet encoded: the encoder's queue depth. */
  get inFlight(): number {
    return this.pending.length;
  }

  get backlogBytes(): number {
    return this.proc.stdinBacklog;
  }

  submit(data: Buffer, meta: EncodedFrameMeta): boolean {
    if (data.length !== this.frameSize) throw new Error(`encoder ${this.opts.name} expects ${this.frameSize}-byte frames, got ${data.length}`);
    if (!this.proc.write(data)) return false;
    this.pending.push({ ...meta, submittedAt: performance.now() });
    return true;
  }

  private onFlvPacket(parsed: AVPacket): void {
    // NMS's parser reuses one buffer for every tag: copy before the packet outlives this call.
    const data = Buffer.from(parsed.data.subarray(0, parsed.size));
    const packet: AVPacket = { ...parsed, data, size: data.length };
    if (packet.flags === 3 || packet.flags === 4) {
      this.startedAt ??= performance.now();
      const meta = this.pending.shift();
      const pts = meta?.ptsMs ?? this.lastPts;
      this.lastPts = pts;
      packet.pts = pts;
      packet.dts = pts;
      // FLV AVC video tags carry a composition-time offset in bytes 2..4: zero without B-frames.
      data.writeUIntBE(0, 2, 3);
      this.opts.onPacket(packet, meta);
    } else if (packet.codec_type === 9) {
      packet.pts = packet.dts = this.lastPts;
      this.opts.onPacket(packet, undefined);
    }
    // Script tags (onMetaData) are ffmpeg's view of an audio-less file: the pipeline writes its own.
  }

  endInput(): void {
    this.proc.endInput();
  }

  async finished(): Promise<void> {
    await this.proc.waitExit();
  }

  kill(): Promise<void> {
    return this.proc.kill();
  }
}
