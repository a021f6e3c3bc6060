/**
 * What a stream's detectors learned, kept for a while after its publisher goes: a publisher that
 * drops and comes back (a flaky uplink, an encoder restart) should not show its logo again for
 * the seconds it takes to re-learn it, and the operator's switches on detected regions (by id)
 * should still apply. Bounded: entries expire, and only the most recent streams are kept.
 */
export class DetectionMemory<T> {
  private readonly parked = new Map<string, { state: T; at: number }>();

  constructor(private readonly rememberMs: number, private readonly maxStreams = 64, private readonly now: () => number = () => performance.now()) {}

  /** Keeps a stream's state; a later `take` of the same key within `rememberMs` gets it back. */
  park(key: string, state: T): void {
    this.expire();
    this.parked.delete(key);
    this.parked.set(key, { state, at: this.now() });
    while (this.parked.size > this.maxStreams) this.parked.delete(this.parked.keys().next().value!);
  }

  /** The state parked for `key`, if still fresh; it is handed over (not kept twice). */
  take(key: string): T | undefined {
    this.expire();
    const entry = this.parked.get(key);
    this.parked.delete(key);
    return entry?.state;
  }

  get size(): number {
    this.expire();
    return this.parked.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [key, e] of this.parked) if (now - e.at > this.rememberMs) this.parked.delete(key);
  }
}
