import type { Config } from '../config/schema.js';
import type { VideoFrame } from '../core/frame.js';
import type { Logger } from '../core/log.js';
import { RateMeter, RecentSamples, round1 } from '../core/stats.js';
import { CleanPublisher } from '../egress/rtmp/clean-publisher.js';
import type { FailOpenState } from '../filter/fail-open.js';
import type { Filter } from '../filter/filter.js';
import type { ModelStats } from '../filter/inpaint/index.js';
import { FilterStage } from '../filter/stage.js';
import { FrameDecoder } from '../media/decoder.js';
import { LiveEncoder } from '../media/encoder.js';
import { Flv, type AVPacket } from '../rtmp/nms.js';
import { ivfFileHeader, ivfFrame } from '../media/ivf.js';
import { inspectFlvTag, SUPPORTED_FLV_VIDEO, type FlvTagInfo } from './flv-tags.js';

/**
 * Frames handed to x264 and not yet back. From BEHIND on, the filter is told to reuse its last fill
 * (degrade first); at MAX (~270 ms at 30 fps) the filter stage waits for room, so its own bounded
 * queue does the dropping, oldest first (last resort).
 */
const ENCODER_BEHIND_IN_FLIGHT = 3;
const MAX_ENCODER_IN_FLIGHT = 8;
/** x264 takes a moment to start; frames meanwhile wait instead of being dropped (about 1 s). */
const MAX_ENCODER_IN_FLIGHT_AT_START = 30;
/**
 * The start-up allowance ends this long after the encoder's first packet even if it never worked
 * off its start-up queue: on a machine short of CPU it may never, and the allowance then held a
 * second of latency for good (bench:latency at 720p on 2 cores: encode p50 1.1 s).
 */
const ENCODER_START_GRACE_MS = 2000;
/** The wait for encoder room is bounded: an encoder that takes nothing for this long gets frames dropped at its door. */
const ENCODER_ROOM_WAIT_MS = 1000;
/** Arrival times remembered per pts, for latency: ~10 s at 30 fps. */
const MAX_TRACKED_ARRIVALS = 300;
/**
 * Forced keyframes restart x264 (ffmpeg offers no way to ask a running encoder for one); a burst of
 * viewer PLIs must not turn into a burst of restarts.
 */
const MIN_FORCED_KEYFRAME_GAP_MS = 1000;

/** How compressed video reaches the decoder: FLV tags (RTMP, and H.264 from WHIP) or VP8 frames (WHIP) in IVF. */
export type VideoInput = 'flv' | 'vp8';

export type PipelineState = 'starting' | 'running' | 'draining' | 'ended' | 'failed';

export interface StreamStats {
  key: string;
  state: PipelineState;
  startedAt: string;
  width: number;
  height: number;
  fpsIn: number;
  fpsOut: number;
  videoPackets: number;
  framesDecoded: number;
  framesEncoded: number;
  dropped: number;
  droppedBy: { compressed: number; filterQueue: number; encoder: number };
  degraded: number;
  filterErrors: number;
  /** Filter taken out of the path (hung or too slow): frames pass unfiltered until it is retried. */
  failOpen: FailOpenState;
  bypass: boolean;
  filter: string;
  queues: { decoderBacklogBytes: number; filterQueue: number; encoderInFlight: number };
  addedLatencyMs: { p50: number; p99: number; samples: number };
  filterMs: { p50: number; p99: number };
  decodeMs: { p50: number; p99: number };
  encodeMs: { p50: number; p99: number };
  audioPackets: number;
  /** The inpainting model's counters, when the filter runs one. */
  model?: ModelStats;
  endReason?: string;
}

/** An observer of a running pipeline (metrics, thumbnails). Called inline: must be cheap. */
export interface PipelineTap {
  /** A frame left the encoder `latencyMs` after its compressed frame arrived. */
  onEncoded?(latencyMs: number): void;
  /** A frame and the filter's output for it, before encoding. Both buffers are valid only during the call. */
  onFiltered?(frame: VideoFrame, output: Buffer): void;
  /** A clean video packet (FLV AVC sequence header or frame, source pts) on its way out. */
  onCleanVideo?(packet: AVPacket): void;
  /** The publisher's audio as it arrived: the whole FLV tag and its parsed packet. */
  onSourceAudio?(tag: Buffer, packet: AVPacket): void;
  /** The pipeline has stopped (ended, failed or shut down); called once. */
  onEnd?(): void;
}

export interface PipelineOptions {
  readonly key: string;
  readonly config: Config;
  readonly filter: Filter;
  readonly log: Logger;
  /** Frame rate the publisher announced, if any (x264 rate control only); read when the encoder starts. */
  readonly fpsHint: () => number | undefined;
  /** Default 'flv'. */
  readonly videoInput?: VideoInput;
  /** Called once when the pipeline stops on its own (decoder/encoder failure, stall). */
  readonly onFailure: (reason: string) => void;
}

/**
 * One published stream's filter path: compressed video -> decoder child -> filter stage -> encoder
 * child -> clean publisher, audio straight to the clean publisher. Every stage owns its process,
 * its bounded queue and its counters; data flows one way.
 */
export class StreamPipeline {
  readonly key: string;
  private readonly log: Logger;
  private readonly decoder: FrameDecoder;
  private readonly stage: FilterStage;
  private encoder: LiveEncoder | undefined;
  private readonly retiredEncoders = new Set<Promise<void>>();
  private lastForcedKeyframeAt = -Infinity;
  private readonly publisher: CleanPublisher;
  private readonly arrivals = new Map<number, number>();
  private readonly latency = new RecentSamples(900);
  /** Where the added latency goes: compressed arrival -> decoded, and encoder in -> out. */
  private readonly decodeMs = new RecentSamples(900);
  private readonly encodeMs = new RecentSamples(900);
  private readonly fpsIn = new RateMeter();
  private readonly fpsOut = new RateMeter();
  private state: PipelineState = 'starting';
  private readonly startedAt = new Date();
  private skippingToKeyframe = false;
  private droppedCompressed = 0;
  private droppedAtEncoder = 0;
  /** The current encoder has once had fewer than MAX_ENCODER_IN_FLIGHT frames in flight since its first packet, or had its first packet ENCODER_START_GRACE_MS ago. */
  private encoderCaughtUp = false;
  /** The filter stage waiting for the encoder to take its next frame (every frame past the limit, the end-of-stream drain included). */
  private encoderRoomWaiters: Array<() => void> = [];
  private framesEncoded = 0;
  private audioPackets = 0;
  private videoPackets = 0;
  private lastVideoAt = performance.now();
  private readonly stallTimer: NodeJS.Timeout;
  private width = 0;
  private height = 0;
  private endReason: string | undefined;
  private readonly taps = new Set<PipelineTap>();

  constructor(private readonly opts: PipelineOptions) {
    this.key = opts.key;
    this.log = opts.log.child({ stream: opts.key });
    const cfg = opts.config;
    this.publisher = new CleanPublisher(cfg.rtmp.cleanApp, opts.key);
    this.stage = new FilterStage({
      filter: opts.filter,
      windowFrames: cfg.pipeline.windowFrames,
      maxQueued: cfg.pipeline.maxQueuedFrames,
      // As long as x264's own start-up allowance (about a second of frames).
      startupFrames: MAX_ENCODER_IN_FLIGHT_AT_START,
      startupMaxQueued: MAX_ENCODER_IN_FLIGHT_AT_START,
      degradeAt: cfg.pipeline.degradeAtQueuedFrames,
      log: this.log,
      onOutput: (frame, data) => this.encode(frame, data),
      downstreamBehind: () => (this.encoder?.started ?? false) && this.encoder!.inFlight >= ENCODER_BEHIND_IN_FLIGHT,
      downstreamRoom: () => this.encoderRoom(),
      failOpen: cfg.pipeline.failOpen,
    });
    this.decoder = new FrameDecoder({
      name: `decoder ${opts.key}`,
      inputArgs: ['-f', opts.videoInput === 'vp8' ? 'ivf' : 'flv', '-i', 'pipe:0'],
      lowDelay: true,
      onFrame: (frame) => this.onDecoded(frame),
      arrivalOf: (pts) => this.takeArrival(pts),
      outputThread: true,
    });
    this.decoder.process.on('exit', (code, _signal, reason) => {
      if (this.state === 'starting' || this.state === 'running') this.fail(code === 0 ? 'decoder ended unexpectedly' : reason);
    });
    // Audio is not decoded: the FLV header announces video only so the demuxer never waits for it.
    this.decoder.write(opts.videoInput === 'vp8' ? ivfFileHeader('VP80') : Flv.createHeader(false, true));
    const stallMs = cfg.rtmp.stallTimeoutMs;
    this.stallTimer = setInterval(() => {
      if (this.state === 'running' || this.state === 'starting') {
        if (performance.now() - this.lastVideoAt <= stallMs) return;
        this.fail(this.videoPackets === 0 && this.audioPackets > 0
          ? `audio-only publish: no video in ${stallMs} ms (Clearcast filters video; publish a video track)`
          : `publisher sent no video for ${stallMs} ms`);
      }
    }, Math.min(1000, stallMs / 2));
    this.stallTimer.unref();
  }

  get filter(): Filter {
    return this.stage.filter;
  }

  /** The stream's ffmpeg children, by role (diagnostics, fault-injection tests). */
  childPids(): { decoder?: number; encoder?: number } {
    return { decoder: this.decoder.process.child.pid, encoder: this.encoder?.process.child.pid };
  }

  /** Forget latency samples so far (benchmarks exclude the start-up of decoder and x264). */
  resetLatencyStats(): void {
    this.latency.clear();
    this.decodeMs.clear();
    this.encodeMs.clear();
  }

  /** Attaches an observer; returns its detach function. */
  addTap(tap: PipelineTap): () => void {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }

  /**
   * A viewer needs a picture now (WHEP join or PLI). The replacement encoder starts with an IDR and
   * a fresh sequence header; the old one finishes the frames it holds. Costs the x264 start-up
   * (~100 ms) once, which is why requests are rate-limited.
   */
  requestKeyframe(): void {
    if (this.state !== 'running' || !this.encoder?.started) return;
    const now = performance.now();
    if (now - this.lastForcedKeyframeAt < MIN_FORCED_KEYFRAME_GAP_MS) return;
    this.lastForcedKeyframeAt = now;
    this.startEncoder(this.width, this.height);
  }

  setBypass(on: boolean): void {
    this.stage.bypass = on;
  }

  /** One FLV tag from the publisher (video, audio or script data). */
  onTag(tag: Buffer, packet: AVPacket): void {
    if (this.state !== 'starting' && this.state !== 'running') return;
    if (packet.codec_type === 8) {
      this.audioPackets++;
      this.publisher.onAudio(packet);
      for (const t of this.taps) t.onSourceAudio?.(tag, packet);
    } else if (packet.codec_type === 9) {
      this.onVideoTag(tag);
    }
  }

  /**
   * Audio made from the source for the FLV outputs (WHIP's Opus transcoded to AAC): it goes to the
   * clean publisher only, not to source-audio taps, which would turn it back into what WHEP relays.
   */
  onDerivedAudio(packet: AVPacket): void {
    if (this.state !== 'starting' && this.state !== 'running') return;
    this.audioPackets++;
    this.publisher.onAudio(packet);
  }

  onMetadata(fields: Record<string, unknown>): void {
    this.publisher.setSourceMetadata(fields);
  }

  /** One whole VP8 frame (pipelines started with videoInput 'vp8'). */
  onVp8Frame(data: Buffer, ptsMs: number, keyframe: boolean): void {
    if (this.state !== 'starting' && this.state !== 'running') return;
    this.acceptVideo({ pts: ptsMs, keyframe, isConfig: false }, ivfFrame(data, ptsMs));
  }

  private onVideoTag(tag: Buffer): void {
    const info = inspectFlvTag(tag);
    // Anything else would reach ffmpeg's FLV demuxer and decode half right or not at all: refuse it clearly.
    if (info.codec !== SUPPORTED_FLV_VIDEO) return this.fail(`unsupported video codec ${info.codec ?? 'unknown'}: publish H.264 (AVC)`);
    this.acceptVideo(info, tag);
  }

  /** Accounting, backlog bound and arrival times for one compressed frame, then to the decoder as `bytes`. */
  private acceptVideo(info: Pick<FlvTagInfo, 'pts' | 'keyframe' | 'isConfig'>, bytes: Buffer): void {
    const now = performance.now();
    if (!info.isConfig) this.videoPackets++;
    this.lastVideoAt = now;
    if (this.decoder.backlogBytes > this.opts.config.pipeline.maxDecoderBacklogBytes && !this.skippingToKeyframe) {
      // Compressed frames can't be dropped one by one: a gap breaks every frame up to the next keyframe.
      this.skippingToKeyframe = true;
      this.log.warn({ backlog: this.decoder.backlogBytes }, 'decoder is behind; skipping to the next keyframe');
    }
    if (this.skippingToKeyframe) {
      if (!info.keyframe && !info.isConfig) {
        this.droppedCompressed++;
        return;
      }
      if (info.keyframe) this.skippingToKeyframe = false;
    }
    if (!info.isConfig) {
      this.arrivals.set(info.pts, now);
      if (this.arrivals.size > MAX_TRACKED_ARRIVALS) this.arrivals.delete(this.arrivals.keys().next().value!);
    }
    this.decoder.write(bytes);
  }

  private takeArrival(pts: number): number | undefined {
    const t = this.arrivals.get(pts);
    if (t !== undefined) this.arrivals.delete(pts);
    return t;
  }

  private onDecoded(frame: VideoFrame): void {
    if (this.state === 'starting') {
      this.state = 'running';
      this.log.info({ width: frame.width, height: frame.height }, 'first frame decoded');
    }
    this.fpsIn.mark();
    this.decodeMs.add(performance.now() - frame.arrivedAt);
    this.stage.push(frame);
  }

  private encode(frame: VideoFrame, data: Buffer): void {
    if (!this.encoder || frame.width !== this.width || frame.height !== this.height) this.startEncoder(frame.width, frame.height);
    const enc = this.encoder!;
    if (enc.inFlight >= this.encoderLimit(enc)) {
      this.droppedAtEncoder++;
      return;
    }
    for (const tap of this.taps) tap.onFiltered?.(frame, data);
    // A filter may reuse its output buffer for the next frame while this one still sits in the pipe.
    enc.submit(data === frame.data ? data : Buffer.from(data), { ptsMs: frame.ptsMs, arrivedAt: frame.arrivedAt });
  }

  /** Frames the encoder may hold before the next is dropped. */
  private encoderLimit(enc: LiveEncoder): number {
    // The start-up allowance lasts until x264 has worked off what queued while it started: its first
    // packet comes with a dozen frames still in flight, and cutting to the steady limit right then
    // would drop frames that are only waiting out the start.
    if (enc.startedAt !== undefined && (enc.inFlight < MAX_ENCODER_IN_FLIGHT || performance.now() - enc.startedAt >= ENCODER_START_GRACE_MS)) this.encoderCaughtUp = true;
    return this.encoderCaughtUp ? MAX_ENCODER_IN_FLIGHT : MAX_ENCODER_IN_FLIGHT_AT_START;
  }

  /** Resolves when the encoder can take a frame without dropping it (or after a second, whatever it holds). */
  private encoderRoom(): Promise<void> | undefined {
    const enc = this.encoder;
    if (!enc || enc.inFlight < this.encoderLimit(enc)) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(wake, ENCODER_ROOM_WAIT_MS);
      function wake(): void {
        clearTimeout(timer);
        resolve();
      }
      this.encoderRoomWaiters.push(wake);
    });
  }

  private wakeEncoderRoomWaiters(): void {
    const waiters = this.encoderRoomWaiters;
    this.encoderRoomWaiters = [];
    for (const wake of waiters) wake();
  }

  private startEncoder(width: number, height: number): void {
    if (this.encoder) {
      // Resolution changed: the old encoder finishes its frames; the new one sends a fresh header.
      const old = this.encoder;
      old.endInput();
      const done = old.finished();
      this.retiredEncoders.add(done);
      void done.then(() => this.retiredEncoders.delete(done));
      if (width !== this.width || height !== this.height) {
        this.log.info({ from: `${this.width}x${this.height}`, to: `${width}x${height}` }, 'resolution changed; restarting encoder');
      } else {
        this.log.debug('keyframe requested; restarting encoder');
      }
    }
    this.width = width;
    this.height = height;
    this.encoderCaughtUp = false;
    const cfg = this.opts.config.encoder;
    const hint = this.opts.fpsHint();
    const fps = hint && hint > 0 && hint <= 240 ? hint : cfg.defaultFps;
    this.publisher.setVideoInfo({ width, height, fps, bitrateKbps: cfg.videoBitrateKbps });
    const enc = new LiveEncoder({
      name: `encoder ${this.key}`,
      width, height, fps,
      settings: cfg,
      onPacket: (packet, meta) => {
        this.publisher.onVideo(packet);
        for (const tap of this.taps) tap.onCleanVideo?.(packet);
        if (meta) {
          this.framesEncoded++;
          this.wakeEncoderRoomWaiters();
          this.fpsOut.mark();
          const now = performance.now();
          this.latency.add(now - meta.arrivedAt);
          for (const tap of this.taps) tap.onEncoded?.(now - meta.arrivedAt);
          if (meta.submittedAt !== undefined) this.encodeMs.add(now - meta.submittedAt);
        }
      },
    });
    enc.process.on('exit', (code, _signal, reason) => {
      this.wakeEncoderRoomWaiters();
      if (this.encoder === enc && (this.state === 'running' || this.state === 'starting')) this.fail(code === 0 ? 'encoder ended unexpectedly' : reason);
    });
    this.encoder = enc;
  }

  private fail(reason: string): void {
    if (this.state === 'failed' || this.state === 'ended') return;
    this.state = 'failed';
    this.endReason = reason;
    this.log.error({ reason }, 'stream pipeline failed');
    void this.teardown();
    this.opts.onFailure(reason);
  }

  /**
   * The publisher is gone: let every frame already received through decoder, filter and encoder
   * (nothing is lost at the end of a stream), then release the clean path.
   */
  async end(reason = 'publisher ended'): Promise<void> {
    if (this.state === 'ended' || this.state === 'failed' || this.state === 'draining') return;
    this.state = 'draining';
    this.endReason = reason;
    this.stage.lossless = true;
    this.decoder.endInput();
    await this.decoder.finished();
    await this.stage.drained();
    if (this.encoder) {
      this.encoder.endInput();
      await this.encoder.finished();
    }
    await Promise.all([...this.retiredEncoders]);
    this.state = 'ended';
    await this.teardown();
    const { videoPackets, framesDecoded, framesEncoded, droppedBy, degraded } = this.stats();
    this.log.info({ reason, videoPackets, framesDecoded, framesEncoded, droppedBy, degraded }, 'stream pipeline ended');
  }

  /** Hard stop: children killed, nothing drained (shutdown, failure). */
  async teardown(): Promise<void> {
    clearInterval(this.stallTimer);
    this.wakeEncoderRoomWaiters();
    if (this.state !== 'failed') this.state = 'ended';
    await Promise.all([this.decoder.kill(), this.encoder?.kill(), this.stage.close()]);
    this.publisher.close();
    const taps = [...this.taps];
    this.taps.clear();
    for (const t of taps) t.onEnd?.();
  }

  stats(): StreamStats {
    const s = this.stage.stats();
    const model = this.stage.filter.modelStats?.();
    return {
      key: this.key,
      state: this.state,
      startedAt: this.startedAt.toISOString(),
      width: this.width,
      height: this.height,
      fpsIn: round1(this.fpsIn.rate()),
      fpsOut: round1(this.fpsOut.rate()),
      videoPackets: this.videoPackets,
      framesDecoded: this.decoder.framesOut,
      framesEncoded: this.framesEncoded,
      dropped: s.dropped + this.droppedAtEncoder + this.droppedCompressed,
      droppedBy: { compressed: this.droppedCompressed, filterQueue: s.dropped, encoder: this.droppedAtEncoder },
      degraded: s.degraded,
      filterErrors: s.filterErrors,
      failOpen: s.failOpen,
      bypass: this.stage.bypass,
      filter: this.stage.filter.name,
      queues: { decoderBacklogBytes: this.decoder.backlogBytes, filterQueue: s.queueDepth, encoderInFlight: this.encoder?.inFlight ?? 0 },
      addedLatencyMs: { p50: round1(this.latency.percentile(50)), p99: round1(this.latency.percentile(99)), samples: this.latency.size },
      filterMs: { p50: round1(s.filterMsP50), p99: round1(s.filterMsP99) },
      decodeMs: { p50: round1(this.decodeMs.percentile(50)), p99: round1(this.decodeMs.percentile(99)) },
      encodeMs: { p50: round1(this.encodeMs.percentile(50)), p99: round1(this.encodeMs.percentile(99)) },
      audioPackets: this.audioPackets,
      ...(model ? { model } : {}),
      ...(this.endReason ? { endReason: this.endReason } : {}),
    };
  }
}
