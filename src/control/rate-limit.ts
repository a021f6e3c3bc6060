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
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
