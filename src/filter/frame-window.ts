import type { VideoFrame } from '../core/frame.js';

/**
 * Bounded ring of the most recent frames: the sliding memory that detectors and temporal models
 * read. Its capacity is fixed at construction so memory per stream stays bounded whatever the
 * stream does (a 720p frame is 1.4 MB; 16 frames cost 22 MB).
 */
export class FrameWindow {
  private readonly ring: (VideoFrame | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`FrameWindow capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<VideoFrame | undefined>(capacity);
  }

  push(frame: VideoFrame): void {
    this.ring[this.next] = frame;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The frame `age` steps back: 0 is the newest. Undefined when the window does not reach that far. */
  at(age: number): VideoFrame | undefined {
    if (!Number.isInteger(age) || age < 0 || age >= this.count) return undefined;
    return this.ring[(this.next - 1 - age + this.capacity) % this.capacity];
  }

  /** Frames oldest first. */
  frames(): VideoFrame[] {
    const out: VideoFrame[] = [];
    for (let age = this.count - 1; age >= 0; age--) out.push(this.at(age)!);
    return out;
  }

  /** Drops everything, e.g. when the resolution changes and old frames no longer line up. */
  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
