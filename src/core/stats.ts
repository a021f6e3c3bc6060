/** Nearest-rank percentile (p in 0..100); NaN for no samples. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Array.from(values).sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The middle value (the upper of the two middle ones for an even count); NaN for no samples. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length >> 1]!;
}

/**
 * Keeps the most recent samples in a fixed ring so percentiles describe "now", not the whole
 * uptime, and memory stays constant however long a stream runs.
 */
export class RecentSamples {
  private readonly buf: Float64Array;
  private next = 0;
  private count = 0;

  constructor(capacity = 600) {
    this.buf = new Float64Array(capacity);
  }

  add(v: number): void {
    this.buf[this.next] = v;
    this.next = (this.next + 1) % this.buf.length;
    if (this.count < this.buf.length) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Nearest-rank percentile (p in 0..100) of the retained samples; NaN when empty. */
  percentile(p: number): number {
    return percentile(this.buf.subarray(0, this.count), p);
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}

/** Events per second over a sliding window of recent event times. */
export class RateMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 2000) {}

  mark(now = performance.now()): void {
    this.times.push(now);
    this.trim(now);
  }

  rate(now = performance.now()): number {
    this.trim(now);
    if (this.times.length < 2) return 0;
    return (this.times.length / this.windowMs) * 1000;
  }

  private trim(now: number): void {
    while (this.times.length && this.times[0]! < now - this.windowMs) this.times.shift();
  }
}

export const round1 = (v: number): number => (Number.isFinite(v) ? Math.round(v * 10) / 10 : v);
