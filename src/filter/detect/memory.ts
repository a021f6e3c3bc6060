/**
 * What a stream's detectors learned, kept for a while after its publisher goes: a publisher that
 * drops and comes back (a flaky uplink, an encoder restart) should not show its logo again for
 * the seconds it takes to re-learn it, and the operator's switches on detected regions (by id)
 * should still apply. Bounded: entries expire, and only the most recent streams are kept.
 */
export class DetectionMemory<T> {
  private readonly parked = new Map<string, { state: T; at: number }>();

  /**
   * `drop` is given every state that is let go without being taken back (expired, pushed out, replaced,
   * cleared): what it holds beyond memory (the logo detector's worker thread) ends there.
   */
  constructor(private readonly rememberMs: number, private readonly maxStreams = 64, private readonly now: () => number = () => performance.now(), private readonly drop: (state: T) => void = () => undefined) {}

  /** Keeps a stream's state; a later `take` of the same key within `rememberMs` gets it back. */
  park(key: string, state: T): void {
    this.expire();
    this.remove(key);
    // Remembering nothing (rememberS 0): let go at once rather than at the next park or take.
    if (this.rememberMs <= 0) return this.drop(state);
    this.parked.set(key, { state, at: this.now() });
    while (this.parked.size > this.maxStreams) this.remove(this.parked.keys().next().value!);
  }

  /** Lets go of every parked state (the server is shutting down). */
  clear(): void {
    for (const key of [...this.parked.keys()]) this.remove(key);
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
    for (const [key, e] of [...this.parked]) if (now - e.at > this.rememberMs) this.remove(key);
  }

  private remove(key: string): void {
    const entry = this.parked.get(key);
    if (!entry) return;
    this.parked.delete(key);
    this.drop(entry.state);
  }
}
