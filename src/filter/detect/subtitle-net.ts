import { join } from 'node:path';
import type { VideoFrame } from '../../core/frame.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import type { Region } from '../filter.js';
import { components, dilate } from './mask-ops.js';
import { WorkerOnnxSession, type InferenceRunner } from './onnx-session.js';
import { captionBands, readBand, workingSize, type Band } from './subtitle-bands.js';

/**
 * Burned-in captions found by a small segmentation net (train/subtitles: trained on the
 * synthesiser's captions in many fonts, Latin and CJK, over photos the benchmark never shows).
 * Per frame, because captions change every few seconds: the caption bands are cut at the working
 * resolution, the net gives each pixel the probability that it is caption (glyph, outline, shadow
 * or box, anti-aliased edge included), and what passes the threshold is grouped into lines.
 */
export const DEFAULT_SUBTITLE_MODEL = join(PROJECT_ROOT, 'models', 'subtitle-seg.onnx');

export interface SubtitleNetParams {
  /** Probability from which a pixel is caption. */
  readonly threshold: number;
  /** Smallest line, as a share of the working frame's area: a stray blob is not a caption. */
  readonly minLineArea: number;
  /** Mean probability of a line's pixels from which it counts on its own; below, only if the previous frame had it too. */
  readonly sureConfidence: number;
  /** Lines below this mean probability never count. */
  readonly minConfidence: number;
}

export const DEFAULT_SUBTITLE_NET_PARAMS: SubtitleNetParams = {
  threshold: 0.5,
  minLineArea: 0.0004,
  sureConfidence: 0.8,
  minConfidence: 0.6,
};

/** Mid grey: zero after the model's normalisation, the value the net was trained to read as padding. */
const PAD = 128;
/** Rows of padding between the two bands stacked into one input. */
const BAND_GAP = 8;

interface Line {
  readonly band: Band['name'];
  /** Working-resolution box (exclusive ends) and mask over it. */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  readonly mask: Uint8Array;
  readonly confidence: number;
}

export class SubtitleNetDetector {
  private current: Region[] = [];
  private previous: Line[] = [];
  private input = new Float32Array(0);

  constructor(private readonly runner: InferenceRunner, private readonly params: SubtitleNetParams = DEFAULT_SUBTITLE_NET_PARAMS) {}

  static async open(modelPath = DEFAULT_SUBTITLE_MODEL, params: SubtitleNetParams = DEFAULT_SUBTITLE_NET_PARAMS): Promise<SubtitleNetDetector> {
    return new SubtitleNetDetector(await WorkerOnnxSession.open(modelPath), params);
  }

  async observe(frame: VideoFrame): Promise<void> {
    const size = workingSize(frame.width, frame.height);
    const bands = captionBands(size.height);
    const cols = roundUp4(size.width);
    const placed = bands.map((b, k) => ({ band: b, row: k === 0 ? 0 : roundUp4(bands[0]!.y1 - bands[0]!.y0) + BAND_GAP }));
    const last = placed[placed.length - 1]!;
    const rows = last.row + roundUp4(last.band.y1 - last.band.y0);
    if (this.input.length !== rows * cols) this.input = new Float32Array(rows * cols);
    this.input.fill(PAD);
    for (const { band, row } of placed) readBand(frame, size.scale, size.width, band, this.input, row, cols);
    const out = await this.runner.run({ luma: { data: this.input, dims: [1, 1, rows, cols] } });
    const prob = out.caption;
    if (!prob || prob.data.length !== rows * cols) throw new Error(`subtitle model returned ${prob?.dims.join('x') ?? 'nothing'}, expected 1x1x${rows}x${cols}`);
    const found = placed.flatMap(({ band, row }) => this.lines(prob.data, cols, row, band, size.width, size.height));
    const confirmed = found.filter((l) => l.confidence >= this.params.sureConfidence || this.previous.some((p) => p.band === l.band && boxOverlap(p, l) > 0.5));
    this.previous = found;
    this.current = confirmed.map((l, k) => toRegion(l, k, size.scale, frame.width, frame.height));
  }

  regions(): readonly Region[] {
    return this.current;
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  /** Caption lines of one band: thresholded pixels, letters merged sideways into lines. */
  private lines(prob: Float32Array, cols: number, row: number, band: Band, w: number, h: number): Line[] {
    const bh = band.y1 - band.y0;
    const p = this.params;
    const on = new Uint8Array(w * bh);
    for (let y = 0; y < bh; y++) for (let x = 0; x < w; x++) on[y * w + x] = prob[(row + y) * cols + x]! >= p.threshold ? 1 : 0;
    // Glyphs of a line are a few pixels apart; lines of a two-line cue touch through their outlines.
    const merged = dilate(on, w, bh, Math.max(2, Math.round(h * 0.02)));
    const out: Line[] = [];
    for (const c of components(merged, w, bh)) {
      let n = 0, sum = 0;
      let x0 = w, y0 = bh, x1 = 0, y1 = 0;
      for (const i of c.pixels) {
        if (!on[i]) continue;
        const x = i % w, y = (i - x) / w;
        n++;
        sum += prob[(row + y) * cols + x]!;
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        if (y < y0) y0 = y;
        if (y >= y1) y1 = y + 1;
      }
      const confidence = n ? sum / n : 0;
      if (n < p.minLineArea * w * h || confidence < p.minConfidence) continue;
      const mask = new Uint8Array((x1 - x0) * (y1 - y0));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[(y - y0) * (x1 - x0) + x - x0] = on[y * w + x]!;
      out.push({ band: band.name, x0, y0: band.y0 + y0, x1, y1: band.y0 + y1, mask, confidence });
    }
    return out;
  }
}

const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Intersection over the smaller box. */
function boxOverlap(a: Line, b: Line): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? (w * h) / Math.min((a.x1 - a.x0) * (a.y1 - a.y0), (b.x1 - b.x0) * (b.y1 - b.y0)) : 0;
}

/** A line in full-resolution coordinates: each working pixel becomes a scale x scale block. */
function toRegion(l: Line, k: number, s: number, width: number, height: number): Region {
  const x = l.x0 * s, y = l.y0 * s;
  const rw = Math.min(width, l.x1 * s) - x, rh = Math.min(height, l.y1 * s) - y;
  const lw = l.x1 - l.x0;
  const mask = new Uint8Array(rw * rh);
  for (let j = 0; j < rh; j++) for (let i = 0; i < rw; i++) mask[j * rw + i] = l.mask[Math.floor(j / s) * lw + Math.floor(i / s)]!;
  return { id: `subtitle-${l.band}-${k}`, kind: 'subtitle', rect: { x, y, width: rw, height: rh }, enabled: true, mask, confidence: l.confidence, state: 'active' };
}
