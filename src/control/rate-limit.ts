/**
 * Token bucket: `perSecond` sustained, bursts of up to `burst`. One per connection, so a runaway
 * client gets error replies instead of starving the event loop that also moves video frames.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly perSecond: number, private readonly burst = perSecond * 2) {
    this.tokens = burst;
  }

  take(now = performance.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket has refilled completely: forgetting it changes nothing. */
  isFull(now = performance.now()): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    // A `now` taken just before this bucket existed must not count as time running backwards.
    if (now <= this.last) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

/**
 * One token bucket per client address. Memory is bounded: at `maxClients`, buckets that have
 * refilled are forgotten, then the oldest ones (a spray of addresses costs the sprayer, not us).
 */
export class ClientRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly perSecond: number, private readonly burst = perSecond * 2, private readonly maxClients = 10_000) {}

  take(client: string, now = performance.now()): boolean {
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= this.maxClients) this.prune(now);
      bucket = new TokenBucket(this.perSecond, this.burst);
      this.buckets.set(client, bucket);
    }
    return bucket.take(now);
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [client, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(client);
    for (const client of this.buckets.keys()) {
      if (this.buckets.size < this.maxClients) break;
      this.buckets.delete(client);
    }
  }
}
