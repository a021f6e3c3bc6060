import { join } from 'node:path';
import type { VideoFrame } from '../../core/frame.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import type { Region } from '../filter.js';
import { boxOverlap, components, dilate, hysteresis, roundUp4, upscaleMask } from './mask-ops.js';
import { WorkerOnnxSession, type InferenceRunner } from './onnx-session.js';
import { captionBands, readBand, workingSize, type Band } from './subtitle-bands.js';

/**
 * Burned-in captions found by a small segmentation net (training/subtitles: trained on the
 * synthesiser's captions in many fonts, Latin and CJK, over photos the benchmark never shows).
 * Per frame, because captions change every few seconds: the caption bands are cut at the working
 * resolution, the net gives each pixel the probability that it is caption (glyph, outline, shadow
 * or box, anti-aliased edge included), and what passes the threshold is grouped into lines.
 */
export const DEFAULT_SUBTITLE_MODEL = join(PROJECT_ROOT, 'models', 'subtitle-seg.onnx');

export interface SubtitleNetParams {
  /** Probability from which a pixel is caption. */
  readonly threshold: number;
  /**
   * Lower probability that still counts for a pixel connected to caption pixels: the faint tail of
   * a soft shadow and the anti-aliased rim, without the isolated doubtful pixels of the scene.
   */
  readonly weakThreshold: number;
  /** Smallest line, as a share of the working frame's area: a stray blob is not a caption. */
  readonly minLineArea: number;
  /** Mean probability of a line's pixels from which a line the previous frame did not have counts at once. */
  readonly sureConfidence: number;
  /**
   * A line the previous frame had too keeps only the pixels that were at least this likely then:
   * a caption stands still for seconds, while leaves and ripples that look like strokes move.
   */
  readonly persistMin: number;
  /** Lines below this mean probability never count. */
  readonly minConfidence: number;
  /**
   * Each connected piece (a glyph, a box) must reach this mean probability over its pixels above
   * `threshold` before pieces are joined
   * into lines: the scene's doubtful blobs beside a caption would otherwise ride along with it.
   */
  readonly minPieceConfidence: number;
  /**
   * A line whose mask fills this share of the rectangle most of its rows and columns agree on is a
   * boxed caption, and becomes that rectangle: where the box lies over dark scene its edge cannot
   * be seen, and the net's mask spills into the scene there.
   */
  readonly boxFill: number;
  /** Captions are centred: a line whose centre is further than this share of the width from the middle is scene. */
  readonly maxCentreOffset: number;
  /** A line (or a cue of lines) is at least this many times as wide as high. */
  readonly minAspect: number;
  /** How far (share of the height) a line may reach past the mirror of its nearer end: a drop shadow's offset, glyph side bearings. */
  readonly centreSlack: number;
}

export const DEFAULT_SUBTITLE_NET_PARAMS: SubtitleNetParams = {
  threshold: 0.5,
  weakThreshold: 0.25,
  minLineArea: 0.0004,
  sureConfidence: 0.8,
  persistMin: 0.2,
  minConfidence: 0.6,
  minPieceConfidence: 0.85,
  boxFill: 0.9,
  maxCentreOffset: 0.15,
  minAspect: 1.5,
  centreSlack: 0.04,
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
  /** The previous frame's probabilities (same layout as the input), while the frame size stays. */
  private prevProb: Float32Array | undefined;

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
    if (this.input.length !== rows * cols) {
      this.input = new Float32Array(rows * cols);
      this.prevProb = undefined;
      this.previous = [];
    }
    this.input.fill(PAD);
    for (const { band, row } of placed) readBand(frame, size.scale, size.width, band, this.input, row, cols);
    const out = await this.runner.run({ luma: { data: this.input, dims: [1, 1, rows, cols] } });
    const prob = out.caption;
    if (!prob || prob.data.length !== rows * cols) throw new Error(`subtitle model returned ${prob?.dims.join('x') ?? 'nothing'}, expected 1x1x${rows}x${cols}`);
    const found = placed.flatMap(({ band, row }) => this.lines(prob.data, cols, row, band, size.width, size.height));
    const kept = found.flatMap((l) => {
      if (!this.previous.some((p) => p.band === l.band && boxOverlap(p, l) > 0.5)) return l.confidence >= this.params.sureConfidence ? [l] : [];
      return [this.persistent(l, placed.find((b) => b.band.name === l.band)!.band.y0, placed.find((b) => b.band.name === l.band)!.row, cols)];
    });
    this.previous = found;
    this.prevProb = prob.data;
    this.current = kept.map((l, k) => toRegion(l, k, size.scale, frame.width, frame.height));
  }

  regions(): readonly Region[] {
    return this.current;
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  /** The line less the pixels that were unlikely on the previous frame. */
  private persistent(l: Line, bandY: number, row: number, cols: number): Line {
    const prev = this.prevProb;
    if (!prev) return l;
    const lw = l.x1 - l.x0;
    const mask = l.mask.map((v, i) => (v && prev[(row + l.y0 - bandY + Math.floor(i / lw)) * cols + l.x0 + (i % lw)]! >= this.params.persistMin ? 1 : 0));
    return { ...l, mask };
  }

  /** Caption lines of one band: thresholded pixels, letters merged sideways into lines. */
  private lines(prob: Float32Array, cols: number, row: number, band: Band, w: number, h: number): Line[] {
    const bh = band.y1 - band.y0;
    const p = this.params;
    const strong = new Uint8Array(w * bh);
    const weak = new Uint8Array(w * bh);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < w; x++) {
        const v = prob[(row + y) * cols + x]!;
        strong[y * w + x] = v >= p.threshold ? 1 : 0;
        weak[y * w + x] = v >= p.weakThreshold ? 1 : 0;
      }
    }
    const on = hysteresis(strong, weak, w, bh);
    for (const piece of components(on, w, bh)) {
      // Judged on its sure pixels: a soft shadow's faint tail must not sink a glyph.
      let sum = 0, n = 0;
      for (const i of piece.pixels) {
        if (!strong[i]) continue;
        sum += prob[(row + Math.floor(i / w)) * cols + (i % w)]!;
        n++;
      }
      if (sum < p.minPieceConfidence * n) for (const i of piece.pixels) on[i] = 0;
    }
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
      if (Math.abs((x0 + x1) / 2 - w / 2) > p.maxCentreOffset * w || x1 - x0 < p.minAspect * (y1 - y0)) continue;
      const mask = new Uint8Array((x1 - x0) * (y1 - y0));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[(y - y0) * (x1 - x0) + x - x0] = on[y * w + x]!;
      const line = { band: band.name, x0, y0: band.y0 + y0, x1, y1: band.y0 + y1, mask, confidence };
      out.push(boxed(line, p.boxFill, w / 2) ?? centred(line, w / 2, Math.round(h * p.centreSlack)));
    }
    return out;
  }
}

/**
 * The line as the rectangle most of its rows and columns agree on, if the mask fills that
 * rectangle; centred on the frame's middle column by its nearer side (captions are centred, and
 * a spill over dark scene is rarely on both sides at once).
 */
function boxed(l: Line, minFill: number, middle: number): Line | undefined {
  const w = l.x1 - l.x0, h = l.y1 - l.y0;
  const rows: number[] = [];
  for (let y = 0; y < h; y++) {
    let c = 0;
    for (let x = 0; x < w; x++) c += l.mask[y * w + x]!;
    if (c >= 0.5 * w) rows.push(y);
  }
  if (rows.length === 0) return undefined;
  const ry0 = rows[0]!, ry1 = rows[rows.length - 1]! + 1;
  const cols: number[] = [];
  for (let x = 0; x < w; x++) {
    let c = 0;
    for (let y = ry0; y < ry1; y++) c += l.mask[y * w + x]!;
    if (c >= 0.5 * (ry1 - ry0)) cols.push(x);
  }
  if (cols.length === 0) return undefined;
  const cx0 = cols[0]!, cx1 = cols[cols.length - 1]! + 1;
  let inside = 0;
  for (let y = ry0; y < ry1; y++) for (let x = cx0; x < cx1; x++) inside += l.mask[y * w + x]!;
  if (inside < minFill * (cx1 - cx0) * (ry1 - ry0)) return undefined;
  const half = Math.min(middle - (l.x0 + cx0), l.x0 + cx1 - middle);
  if (half <= 0) return undefined;
  const x0 = Math.max(l.x0 + cx0, Math.floor(middle - half)), x1 = Math.min(l.x0 + cx1, Math.ceil(middle + half));
  const mask = new Uint8Array((x1 - x0) * (ry1 - ry0)).fill(1);
  return { ...l, x0, x1, y0: l.y0 + ry0, y1: l.y0 + ry1, mask };
}

/**
 * The line cut back to the mirror of its nearer end about the middle column (plus `slack`):
 * captions are centred, and what the net finds beyond that is scene beside the caption that the
 * merge joined to it (bright leaves right of a caption over tree.avi: a third of the line's area,
 * precision 0.80 on video-translucent-logo-subs-0).
 */
function centred(l: Line, middle: number, slack: number): Line {
  const half = Math.min(middle - l.x0, l.x1 - middle) + slack;
  if (half <= slack) return l;
  const cx0 = Math.max(l.x0, Math.floor(middle - half)), cx1 = Math.min(l.x1, Math.ceil(middle + half));
  if (cx0 === l.x0 && cx1 === l.x1) return l;
  const w = l.x1 - l.x0, h = l.y1 - l.y0, cw = cx1 - cx0;
  const mask = new Uint8Array(cw * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < cw; x++) mask[y * cw + x] = l.mask[y * w + cx0 - l.x0 + x]!;
  return { ...l, x0: cx0, x1: cx1, mask };
}

/** A line in full-resolution coordinates, its mask interpolated up (mask-ops upscaleMask). */
function toRegion(l: Line, k: number, s: number, width: number, height: number): Region {
  const x = l.x0 * s, y = l.y0 * s;
  const rw = Math.min(width, l.x1 * s) - x, rh = Math.min(height, l.y1 * s) - y;
  const mask = upscaleMask(l.mask, l.x1 - l.x0, l.y1 - l.y0, s, rw, rh);
  return { id: `subtitle-${l.band}-${k}`, kind: 'subtitle', rect: { x, y, width: rw, height: rh }, enabled: true, mask, confidence: l.confidence, state: 'active' };
}
