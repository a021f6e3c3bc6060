import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { VideoFrame } from '../core/frame.js';
import type { Logger } from '../core/log.js';
import { RecentSamples } from '../core/stats.js';
import { FailOpenGuard, TIMED_OUT, withTimeout, type FailOpenState } from './fail-open.js';
import type { Filter, FilterResult } from './filter.js';
import { FrameWindow } from './frame-window.js';

export interface FilterStageOptions {
  readonly filter: Filter;
  readonly windowFrames: number;
  /** Frames allowed to wait; beyond it the oldest waiting frame is dropped. */
  readonly maxQueued: number;
  /**
   * A stream's first frames meet cold code (the JIT compiling the filter, decoder and x264 starting):
   * until this many frames have come in, up to `startupMaxQueued` may wait instead of being dropped.
   * A one-time delay at start rather than a hole in the picture.
   */
  readonly startupFrames?: number;
  readonly startupMaxQueued?: number;
  /** Waiting frames from which the filter is told it is behind (reuse last fill). */
  readonly degradeAt: number;
  readonly log: Logger;
  readonly onOutput: (frame: VideoFrame, data: Buffer) => void;
  /** Lateness further down (the encoder): it too makes the filter reuse its last fill. */
  readonly downstreamBehind?: () => boolean;
  /**
   * The stage waits on this before handing a frame on, so a burst (the decoder catching up after a
   * stall, the last frames at the end of a stream) is paced by the encoder: frames wait here, in the
   * bounded queue that drops oldest-first and tells the filter it is behind, instead of overflowing
   * the encoder. Undefined means there is room now.
   */
  readonly downstreamRoom?: () => Promise<void> | undefined;
  /** When a hung or too slow filter is taken out of the path (fail open), and for how long. */
  readonly failOpen: { readonly deadlineMs: number; readonly retryAfterMs: number; readonly maxRetryAfterMs: number };
}

export interface FilterStageStats {
  framesIn: number;
  framesOut: number;
  dropped: number;
  degraded: number;
  filterErrors: number;
  bypassed: number;
  failOpen: FailOpenState;
  queueDepth: number;
  filterMsP50: number;
  filterMsP99: number;
}

/**
 * Owns the filter, its bounded input queue and the sliding window. Falling behind costs quality
 * first (the filter reuses its last fill, counted as degraded) and frames last (oldest waiting
 * frame dropped, counted). A filter never stops the picture: a frame it throws on goes out
 * unfiltered (counted), and one that hangs or stays slower than the frame rate is taken out of the
 * path for a while by the FailOpenGuard (frames unfiltered, counted, then the filter is retried).
 */
export class FilterStage {
  private readonly queue: VideoFrame[] = [];
  private readonly window: FrameWindow;
  private readonly filterMs = new RecentSamples(600);
  private readonly guard: FailOpenGuard;
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private lastErrorLogAt = -Infinity;
  /** When set, frames skip the filter entirely (operator bypass). */
  bypass = false;
  private readonly counters = { framesIn: 0, framesOut: 0, dropped: 0, degraded: 0, filterErrors: 0, bypassed: 0 };

  constructor(private readonly opts: FilterStageOptions) {
    this.window = new FrameWindow(Math.max(opts.windowFrames, opts.filter.windowFramesNeeded ?? 1));
    this.guard = new FailOpenGuard({ ...opts.failOpen, log: opts.log });
  }

  get filter(): Filter {
    return this.opts.filter;
  }

  /** Set at end of stream: the last frames arrive in a burst and all of them must go out. */
  lossless = false;

  push(frame: VideoFrame): void {
    this.counters.framesIn++;
    const starting = this.counters.framesIn <= (this.opts.startupFrames ?? 0);
    const limit = starting ? Math.max(this.opts.maxQueued, this.opts.startupMaxQueued ?? 0) : this.opts.maxQueued;
    if (this.queue.length >= limit && !this.lossless) {
      this.queue.shift();
      this.counters.dropped++;
    }
    this.queue.push(frame);
    if (!this.running) this.idle = this.pump();
  }

  /** Resolves when every queued frame has been processed (end of stream). */
  drained(): Promise<void> {
    return this.idle;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const frame = this.queue.shift()!;
        const last = this.window.at(0);
        if (last && (last.width !== frame.width || last.height !== frame.height)) this.window.clear();
        this.window.push(frame);
        const behind = this.queue.length >= this.opts.degradeAt || (this.opts.downstreamBehind?.() ?? false);
        const out = await this.runFilter(frame, behind, this.queue[0]);
        const room = this.opts.downstreamRoom?.();
        if (room) await room;
        this.counters.framesOut++;
        this.opts.onOutput(frame, out);
        // Let decoder output (I/O callbacks) queue up between frames: that is how lateness becomes visible.
        await yieldToIo();
      }
    } finally {
      this.running = false;
    }
  }

  private async runFilter(frame: VideoFrame, behind: boolean, next: VideoFrame | undefined): Promise<Buffer> {
    if (this.bypass) {
      this.counters.bypassed++;
      return frame.data;
    }
    this.guard.observeFrame(frame.ptsMs);
    if (!this.guard.admit()) return frame.data;
    const filter = this.opts.filter;
    const t0 = performance.now();
    let timedOut = false;
    let degraded = false;
    try {
      const pending = filter.process(frame, { window: this.window, behind, ...(next ? { next } : {}) });
      // Only an asynchronous filter can be given up on; a synchronous one has already answered.
      const result: FilterResult | typeof TIMED_OUT = isThenable(pending) ? await this.guard.within(pending) : pending;
      if (result === TIMED_OUT) {
        timedOut = true;
        filter.cancel?.();
        return frame.data;
      }
      if (result.data.length !== frame.data.length) throw new Error(`filter ${filter.name} returned ${result.data.length} bytes for a ${frame.data.length}-byte frame`);
      degraded = result.degraded;
      if (degraded) this.counters.degraded++;
      return result.data;
    } catch (err) {
      this.counters.filterErrors++;
      const now = performance.now();
      if (now - this.lastErrorLogAt > 5000) {
        this.lastErrorLogAt = now;
        this.opts.log.error({ err, filter: filter.name, errors: this.counters.filterErrors }, 'filter failed; passing the frame through unfiltered');
      }
      return frame.data;
    } finally {
      const ms = performance.now() - t0;
      this.filterMs.add(ms);
      if (!timedOut) this.guard.completed(ms, behind && !degraded);
    }
  }

  stats(): FilterStageStats {
    return {
      ...this.counters,
      failOpen: this.guard.state(),
      queueDepth: this.queue.length,
      filterMsP50: this.filterMs.percentile(50),
      filterMsP99: this.filterMs.percentile(99),
    };
  }

  async close(): Promise<void> {
    this.queue.length = 0;
    await this.idle;
    this.window.clear();
    // A hung filter gets one more deadline to answer, then it is closed (or left) regardless.
    const { deadlineMs } = this.opts.failOpen;
    if (!(await this.guard.settled(deadlineMs))) this.opts.log.warn('closing a filter whose late call never answered');
    const closing = Promise.resolve(this.opts.filter.close?.()).catch((err: unknown) => this.opts.log.warn({ err }, 'filter close failed'));
    if ((await withTimeout(closing, deadlineMs)) === TIMED_OUT) this.opts.log.warn('filter did not close in time; left behind');
  }
}

function isThenable<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof (v as PromiseLike<T> | undefined)?.then === 'function';
}
