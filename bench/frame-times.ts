/**
 * When each frame index was seen, in one preallocated array. A soak records two times for every
 * frame of a half-hour run (about 100 k frames per stream); in a Map those entries grow the heap by
 * ~60 bytes a frame, which is the bench's own bookkeeping showing up as a slope in the memory the
 * soak is there to prove flat. Fixed at the start, it is a constant.
 */
export class FrameTimes implements Iterable<[number, number]> {
  private readonly times: Float64Array;
  private count = 0;

  constructor(readonly capacity: number) {
    this.times = new Float64Array(capacity).fill(NaN);
  }

  get size(): number {
    return this.count;
  }

  has(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.capacity && !Number.isNaN(this.times[index]!);
  }

  get(index: number): number | undefined {
    return this.has(index) ? this.times[index] : undefined;
  }

  /** Records the time; an index outside the capacity (a misread barcode) is not a frame that was sent, so it is ignored. */
  set(index: number, time: number): this {
    if (!Number.isInteger(index) || index < 0 || index >= this.capacity) return this;
    if (Number.isNaN(this.times[index]!)) this.count++;
    this.times[index] = time;
    return this;
  }

  *keys(): IterableIterator<number> {
    for (let i = 0; i < this.capacity; i++) if (!Number.isNaN(this.times[i]!)) yield i;
  }

  *[Symbol.iterator](): IterableIterator<[number, number]> {
    for (let i = 0; i < this.capacity; i++) if (!Number.isNaN(this.times[i]!)) yield [i, this.times[i]!];
  }
}
