/**
 * Border and pyramid buffers reused from one fill to the next. A live stream fills the same few
 * rectangles 30 times a second, so allocating per fill would only feed the garbage collector.
 */
export class FillScratch {
  top = new Float32Array(0);
  bottom = new Float32Array(0);
  left = new Float32Array(0);
  right = new Float32Array(0);
  private readonly levels: Float32Array[] = [];
  private ring = new Float32Array(0);
  private held = new Uint8Array(0);

  /** Makes room for the borders of a `width` x `height` rectangle plus its two corners per side. */
  ensure(width: number, height: number): void {
    if (this.top.length < width + 2) {
      this.top = new Float32Array(width + 2);
      this.bottom = new Float32Array(width + 2);
    }
    if (this.left.length < height + 2) {
      this.left = new Float32Array(height + 2);
      this.right = new Float32Array(height + 2);
    }
  }

  /** Storage for one level of the coarse-to-fine pyramid; may be longer than asked. */
  grid(level: number, size: number): Float32Array {
    let g = this.levels[level];
    if (!g || g.length < size) {
      g = new Float32Array(size);
      this.levels[level] = g;
    }
    return g;
  }

  /** A copy of the first `size` values of a grid (its border ring before solving). */
  ringCopy(values: Float32Array, size: number): Float32Array {
    if (this.ring.length < size) this.ring = new Float32Array(size);
    this.ring.set(values.subarray(0, size));
    return this.ring;
  }

  /** Room for the pixels saved while fill candidates are scored. */
  holdout(size: number): Uint8Array {
    if (this.held.length < size) this.held = new Uint8Array(size);
    return this.held;
  }
}
