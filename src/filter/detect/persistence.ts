/**
 * Per-pixel temporal statistics at working resolution, updated once per sampled frame.
 *
 * A static overlay is what keeps its gradients while the picture under it moves: the running mean
 * of the gradient *vector* stays large at overlay edges and averages towards zero on a moving
 * background (the multi-image watermark idea, with an exponential window instead of a median so
 * memory and cost per sample stay constant). Temporal activity (mean absolute change between
 * samples) tells a moving background from a static one, which is what keeps a static scene from
 * being taken for one big logo.
 */
export class PersistenceStats {
  readonly size: number;
  /** Running mean of the gradient vector. */
  readonly gx: Float32Array;
  readonly gy: Float32Array;
  /** Running mean of the squared gradient magnitude. */
  readonly g2: Float32Array;
  /** Running mean of |Y - previous sample's Y|. */
  readonly activity: Float32Array;
  /** Running mean and mean square of Y: the de-blend's view of what a pixel shows over time. */
  readonly mean: Float32Array;
  readonly mean2: Float32Array;
  private readonly prev: Float32Array;
  samples = 0;

  constructor(readonly width: number, readonly height: number, readonly memorySamples: number) {
    this.size = width * height;
    this.gx = new Float32Array(this.size);
    this.gy = new Float32Array(this.size);
    this.g2 = new Float32Array(this.size);
    this.activity = new Float32Array(this.size);
    this.mean = new Float32Array(this.size);
    this.mean2 = new Float32Array(this.size);
    this.prev = new Float32Array(this.size);
  }

  /** Cumulative average at first (no start-up bias), exponential once the memory is full. */
  get rate(): number {
    return 1 / Math.min(this.samples, this.memorySamples);
  }

  add(y: Float32Array): void {
    const { width: w, height: h } = this;
    const first = this.samples === 0;
    this.samples++;
    const r = this.rate;
    const k = 1 - r;
    for (let j = 0; j < h; j++) {
      const jm = j > 0 ? -w : 0;
      const jp = j < h - 1 ? w : 0;
      for (let i = 0; i < w; i++) {
        const p = j * w + i;
        const v = y[p]!;
        const dx = (y[p + (i < w - 1 ? 1 : 0)]! - y[p - (i > 0 ? 1 : 0)]!) * 0.5;
        const dy = (y[p + jp]! - y[p + jm]!) * 0.5;
        this.gx[p] = k * this.gx[p]! + r * dx;
        this.gy[p] = k * this.gy[p]! + r * dy;
        this.g2[p] = k * this.g2[p]! + r * (dx * dx + dy * dy);
        this.mean[p] = k * this.mean[p]! + r * v;
        this.mean2[p] = k * this.mean2[p]! + r * v * v;
        // The first sample has nothing to differ from; counting it as "no change" would make
        // every pixel look static for a whole memory length.
        if (!first) this.activity[p] = this.samples === 2 ? Math.abs(v - this.prev[p]!) : k * this.activity[p]! + r * Math.abs(v - this.prev[p]!);
        this.prev[p] = v;
      }
    }
  }

  /** Length of the mean gradient: persistent edge strength. */
  persistence(p: number): number {
    return Math.sqrt(this.gx[p]! ** 2 + this.gy[p]! ** 2);
  }

  /** |mean gradient|^2 / mean |gradient|^2: 1 where the gradient never changes, ~1/n where it is random. */
  coherence(p: number): number {
    const g2 = this.g2[p]!;
    return g2 > 1e-6 ? (this.gx[p]! ** 2 + this.gy[p]! ** 2) / g2 : 0;
  }

  reset(): void {
    for (const a of [this.gx, this.gy, this.g2, this.activity, this.mean, this.mean2, this.prev]) a.fill(0);
    this.samples = 0;
  }
}
