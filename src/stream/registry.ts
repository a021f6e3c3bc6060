import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { PushRelay } from '../egress/rtmp/push-relay.js';
import { releaseLearned, type LearnedState } from '../filter/auto-filter.js';
import { DetectionMemory } from '../filter/detect/memory.js';
import { createFilter } from '../filter/factory.js';
import { StreamPipeline, type StreamStats, type VideoInput } from './pipeline.js';
import { ownEntry } from '../core/records.js';

export interface StartStreamOptions {
  readonly key: string;
  readonly fpsHint: () => number | undefined;
  /** Default 'flv'. */
  readonly videoInput?: VideoInput;
  /** Ask the ingest protocol to drop its publisher (the pipeline failed on its own). */
  readonly disconnect: (reason: string) => void;
}

/** Told of every new stream before its first frame: where per-key settings are applied. */
export type StreamStartListener = (key: string, pipeline: StreamPipeline) => void;

/**
 * The one place streams live, whatever protocol brought them in (MediaMTX's path manager): ingest
 * starts and ends streams here, egress and control find them here.
 */
export class StreamRegistry {
  private readonly streams = new Map<string, StreamPipeline>();
  private readonly relays = new Map<string, PushRelay[]>();
  private readonly ending = new Set<Promise<void>>();
  private readonly startListeners = new Set<StreamStartListener>();
  /** What each stream's detectors learned, for a publisher that reconnects. */
  private readonly learned: DetectionMemory<LearnedState>;
  /** Set when the start-up check found the model unusable (pipeline.model.onMissing: classical). */
  private modelUnusable = false;

  constructor(private readonly config: Config, private readonly log: Logger, private readonly cleanUrl: (key: string) => string) {
    this.learned = new DetectionMemory(config.pipeline.auto.rememberS * 1000, undefined, undefined, (state) => void releaseLearned(state));
  }

  /** Streams started from now on filter without the model (the server has logged why, once). */
  runWithoutModel(): void {
    this.modelUnusable = true;
  }

  has(key: string): boolean {
    return this.streams.has(key);
  }

  get(key: string): StreamPipeline | undefined {
    return this.streams.get(key);
  }

  /**
   * Why a new publish of `key` can't start now (any protocol), or undefined. The stream cap bounds
   * the ffmpeg children and memory a crowd of publishers can make us spend.
   */
  admissionError(key: string): string | undefined {
    if (this.streams.has(key)) return `stream key "${key}" already has a publisher`;
    const max = this.config.pipeline.maxStreams;
    if (this.streams.size >= max) return `the server already runs its maximum of ${max} streams (pipeline.maxStreams)`;
    return undefined;
  }

  onStart(listener: StreamStartListener): () => void {
    this.startListeners.add(listener);
    return () => this.startListeners.delete(listener);
  }

  start(opts: StartStreamOptions): StreamPipeline {
    if (this.streams.has(opts.key)) throw new Error(`stream ${opts.key} is already running`);
    const pipeline = new StreamPipeline({
      key: opts.key,
      config: this.config,
      filter: createFilter(this.config, opts.key, { log: this.log, memory: this.learned, modelUnusable: this.modelUnusable }),
      log: this.log,
      fpsHint: opts.fpsHint,
      videoInput: opts.videoInput,
      onFailure: (reason) => {
        this.forget(opts.key, pipeline);
        opts.disconnect(reason);
      },
    });
    this.streams.set(opts.key, pipeline);
    for (const listener of this.startListeners) {
      // A listener's bug must not cost the stream: it runs with the settings it was created with.
      try {
        listener(opts.key, pipeline);
      } catch (err) {
        this.log.error({ err, stream: opts.key }, 'stream start listener failed');
      }
    }
    const targets = ownEntry(this.config.egress.push, opts.key) ?? [];
    const relays = targets.map((target) => new PushRelay({
      source: this.cleanUrl(opts.key),
      target,
      initialDelayMs: this.config.egress.retryInitialDelayMs,
      maxDelayMs: this.config.egress.retryMaxDelayMs,
      log: this.log.child({ stream: opts.key }),
    }));
    // The clean path exists once the first encoded frame is out; relays started earlier just retry.
    relays.forEach((r) => r.start());
    this.relays.set(opts.key, relays);
    this.log.info({ stream: opts.key, pushTargets: relays.length }, 'stream started');
    return pipeline;
  }

  /** Graceful end: drains the pipeline (no frame lost) while a new publish of the key may already start. */
  end(key: string, pipeline: StreamPipeline, reason: string): Promise<void> {
    this.forget(key, pipeline);
    const done = pipeline.end(reason).catch((err: unknown) => this.log.error({ err, stream: key }, 'error while ending stream'));
    this.ending.add(done);
    void done.finally(() => this.ending.delete(done));
    return done;
  }

  private forget(key: string, pipeline: StreamPipeline): void {
    if (this.streams.get(key) !== pipeline) return;
    this.streams.delete(key);
    const relays = this.relays.get(key) ?? [];
    this.relays.delete(key);
    for (const r of relays) void r.stop();
  }

  stats(): StreamStats[] {
    return [...this.streams.values()].map((p) => p.stats());
  }

  async closeAll(): Promise<void> {
    const all = [...this.streams.entries()];
    for (const [key, p] of all) this.forget(key, p);
    await Promise.all([...all.map(([, p]) => p.teardown()), ...this.ending]);
    // Nobody reconnects to a server that is going away: the parked detectors' workers end too.
    this.learned.clear();
  }
}
