import type { Logger } from '../core/log.js';

/** Why the filter is out of the path: it missed a deadline, or it cannot keep up with the frame rate. */
export type FailOpenReason = 'timeout' | 'slow';

export interface FailOpenOptions {
  /** A call not answered within this time is given up on: its frame goes out unfiltered. */
  readonly deadlineMs: number;
  /** First pause before a filter taken out is tried again; doubles on each trip that follows soon after a recovery. */
  readonly retryAfterMs: number;
  readonly maxRetryAfterMs: number;
  readonly log: Logger;
}

export interface FailOpenState {
  /** True while frames pass unfiltered because the filter is out of the path. */
  active: boolean;
  reason: FailOpenReason | null;
  /** Times the filter was taken out. */
  trips: number;
  /** Calls that missed the deadline. */
  timeouts: number;
  /** Frames that went out unfiltered because the filter was out of the path (timed-out frames included). */
  frames: number;
}

/** What `within` gives instead of the result when the deadline passed first. */
export const TIMED_OUT: unique symbol = Symbol('filter timed out');

/** `promise`'s value, or TIMED_OUT if it has not settled within `ms` (a rejection is passed on). */
export async function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => { timer = setTimeout(() => resolve(TIMED_OUT), ms); });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Evidence needed before calling a filter slow: this much time of calls, and at least this many of them. */
const SLOW_WINDOW_MS = 1000;
const SLOW_MIN_CALLS = 3;
/** A trip this soon after a recovery means the filter is still sick: the pause doubles. */
const RELAPSE_MS = 30_000;
/** Frame interval assumed until the stream's timestamps tell (30 fps). */
const DEFAULT_INTERVAL_MS = 1000 / 30;

/**
 * The filter stage's circuit breaker. A filter that hangs (no answer by the deadline), or that keeps
 * computing fresh fills slower than the frame rate for a second while told it is behind, is taken
 * out of the path: frames pass unfiltered (fail open),
 * counted, until a pause has passed and any call still outstanding has settled; then the filter is
 * tried again (it recovers by itself). A filter is never called twice at once, so a late call is
 * waited out, not raced.
 */
export class FailOpenGuard {
  private openReason: FailOpenReason | null = null;
  private retryAt = 0;
  private retryAfterMs: number;
  private closedAt = performance.now();
  private outstanding: Promise<unknown> | undefined;
  /** Calls in the last second that ignored being behind: [finished at, duration]. */
  private readonly recent: [number, number][] = [];
  private readonly intervals: number[] = [];
  private lastPts: number | undefined;
  private readonly counters = { trips: 0, timeouts: 0, frames: 0 };

  constructor(private readonly opts: FailOpenOptions) {
    this.retryAfterMs = opts.retryAfterMs;
  }

  /** Source timestamps give the frame interval: the budget a filter must keep on average. */
  observeFrame(ptsMs: number): void {
    if (this.lastPts !== undefined) {
      const d = ptsMs - this.lastPts;
      if (d > 0 && d < 1000) {
        this.intervals.push(d);
        if (this.intervals.length > 31) this.intervals.shift();
      }
    }
    this.lastPts = ptsMs;
  }

  private frameIntervalMs(): number {
    if (this.intervals.length < 3) return DEFAULT_INTERVAL_MS;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    return sorted[sorted.length >> 1]!;
  }

  /** May the filter take this frame? False: pass it unfiltered (counted here). */
  admit(now = performance.now()): boolean {
    if (this.openReason !== null) {
      if (this.outstanding || now < this.retryAt) {
        this.counters.frames++;
        return false;
      }
      this.opts.log.warn({ reason: this.openReason, trips: this.counters.trips }, 'retrying the filter after failing open');
      this.openReason = null;
      this.closedAt = now;
      this.recent.length = 0;
    }
    return true;
  }

  /** Waits for an asynchronous call at most deadlineMs. On TIMED_OUT the filter is out, the call still runs. */
  async within<T>(call: PromiseLike<T>): Promise<T | typeof TIMED_OUT> {
    const first = await withTimeout(call, this.opts.deadlineMs);
    if (first === TIMED_OUT) {
      this.counters.timeouts++;
      this.counters.frames++;
      const late: Promise<void> = Promise.resolve(call).then(() => {}, () => {}).finally(() => {
        if (this.outstanding === late) this.outstanding = undefined;
        this.opts.log.info('the late filter call has answered');
      });
      this.outstanding = late;
      this.trip('timeout', `no answer within ${this.opts.deadlineMs} ms`);
    }
    return first;
  }

  /**
   * A call finished in `ms`. Only calls that ignored being behind count towards "slow": told to
   * reuse its last fill, the filter computed a fresh one anyway (or threw). A filter that degrades
   * when told is already doing what failing open would, and a starved machine slows every call
   * alike; neither takes the filter out.
   */
  completed(ms: number, ignoredBehind: boolean, now = performance.now()): void {
    if (ignoredBehind) this.recent.push([now, ms]);
    while (this.recent.length && this.recent[0]![0] < now - SLOW_WINDOW_MS) this.recent.shift();
    if (this.openReason !== null || now - this.closedAt < SLOW_WINDOW_MS || this.recent.length < SLOW_MIN_CALLS) return;
    const sorted = this.recent.map(([, d]) => d).sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1]!;
    const budget = this.frameIntervalMs();
    if (median > budget) this.trip('slow', `behind, yet ${this.recent.length} fresh fills in the last second, median ${median.toFixed(1)} ms per frame against a ${budget.toFixed(1)} ms budget`);
  }

  private trip(reason: FailOpenReason, detail: string, now = performance.now()): void {
    if (now - this.closedAt < RELAPSE_MS && this.counters.trips > 0) this.retryAfterMs = Math.min(this.opts.maxRetryAfterMs, this.retryAfterMs * 2);
    else this.retryAfterMs = this.opts.retryAfterMs;
    this.openReason = reason;
    this.retryAt = now + this.retryAfterMs;
    this.counters.trips++;
    this.opts.log.error({ reason, detail, retryInMs: this.retryAfterMs, trips: this.counters.trips }, 'filter failing open: frames pass unfiltered');
  }

  /** Resolves once no call is outstanding, or after `ms` (shutdown must not wait on a hung filter). */
  async settled(ms: number): Promise<boolean> {
    return !this.outstanding || (await withTimeout(this.outstanding, ms)) !== TIMED_OUT;
  }

  state(): FailOpenState {
    return { active: this.openReason !== null, reason: this.openReason, ...this.counters };
  }
}
