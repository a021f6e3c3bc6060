import type { VideoFrame } from '../../core/frame.js';
import type { Region } from '../filter.js';
import { downscaleLuma, workingScale } from './downscale.js';
import { components, dilate, fillHoles, type Component } from './mask-ops.js';

/**
 * Burned-in subtitles, found per frame: captions change every few seconds, so the long statistics
 * that find logos cannot see them. What every caption style shares is bright strokes right next to
 * dark ones (an outline, a drop shadow or a box), laid out as a wide, short line in the bottom or
 * top band of the picture.
 */
export interface SubtitleParams {
  /** Luma at or above which a pixel may be a glyph stroke (white ~235, yellow ~200 in limited range). */
  readonly brightMin: number;
  /** Luma at or below which a pixel may be outline, shadow or box. */
  readonly darkMax: number;
  /** Distance (px) within which a stroke must have a dark partner. */
  readonly pairDistance: number;
  /** Bands searched, as shares of the height from the bottom / from the top. */
  readonly bottomBand: number;
  readonly topBand: number;
  /** A text line: height between these shares of the frame height, at least `minAspect` times as wide as high. */
  readonly minLineHeight: number;
  readonly maxLineHeight: number;
  readonly minAspect: number;
  /** Captions are centred: a line whose centre is further than this share of the width from the middle is scene. */
  readonly maxCentreOffset: number;
  /** Share of a line's box that must be paired strokes. */
  readonly minStrokeDensity: number;
  /** Luma at or below which a pixel may belong to a caption box (75 % black over white is ~75). */
  readonly boxDarkMax: number;
  /** Share of the padded line that must be box-dark for the line to be a boxed caption. */
  readonly boxShare: number;
  /** Largest luma standard deviation of a caption box's pixels. */
  readonly boxMaxSpread: number;
  /** Padding around a line, as a share of its height: boxes extend about a third of a line beyond the text. */
  readonly boxPad: number;
  /** Widest resolution searched, in columns: 1280x720 is searched at 640x360. */
  readonly maxColumns: number;
  /** Frames a line is kept after it was last confirmed: bridges a frame where the scene hides a stroke. */
  readonly holdFrames: number;
}

export const DEFAULT_SUBTITLE_PARAMS: SubtitleParams = {
  brightMin: 180,
  darkMax: 60,
  pairDistance: 2,
  bottomBand: 0.35,
  topBand: 0.25,
  minLineHeight: 0.025,
  maxLineHeight: 0.25,
  minAspect: 2.5,
  minStrokeDensity: 0.04,
  maxCentreOffset: 0.12,
  holdFrames: 1,
  maxColumns: 640,
  boxDarkMax: 80,
  boxShare: 0.5,
  boxPad: 0.5,
  boxMaxSpread: 10,
};

export class SubtitleDetector {
  private current: Region[] = [];
  private previous: Region[] = [];
  private held: { region: Region; age: number }[] = [];
  private luma = new Float32Array(0);
  private small = new Uint8Array(0);

  constructor(private readonly params: SubtitleParams = DEFAULT_SUBTITLE_PARAMS) {}

  /**
   * A line counts once it is seen on two consecutive frames (a caption stays for seconds; a
   * chance bright/dark texture in a moving picture rarely does), and is held for `holdFrames`
   * after it was last confirmed.
   */
  observe(frame: VideoFrame): void {
    const found = this.find(frame);
    const confirmed = found.filter((r) => this.previous.some((q) => boxOverlap(q.rect, r.rect) > 0.5));
    this.previous = found;
    if (confirmed.length) {
      this.held = confirmed.map((region) => ({ region, age: 0 }));
      this.current = confirmed;
      return;
    }
    this.held = this.held.filter((h) => ++h.age <= this.params.holdFrames);
    this.current = this.held.map((h) => h.region);
  }

  regions(): readonly Region[] {
    return this.current;
  }

  /** Lines of one frame; above `maxColumns` at reduced resolution (captions are large), masks scaled back. */
  private find(frame: VideoFrame): Region[] {
    const scale = workingScale(frame.width, this.params.maxColumns);
    if (scale === 1) return findSubtitleLines(frame, this.params);
    const w = Math.floor(frame.width / scale), h = Math.floor(frame.height / scale);
    if (this.luma.length < w * h) {
      this.luma = new Float32Array(w * h);
      this.small = new Uint8Array(w * h);
    }
    downscaleLuma(frame.data, frame.width, frame.height, scale, this.luma);
    for (let i = 0; i < w * h; i++) this.small[i] = this.luma[i]!;
    return findSubtitleLines({ width: w, height: h, data: this.small.subarray(0, w * h) }, this.params).map((r) => upscale(r, scale));
  }
}

/** A region found at 1/scale, in full-resolution coordinates (mask pixels become scale x scale blocks). */
function upscale(r: Region, s: number): Region {
  const { x, y, width, height } = r.rect;
  const mask = new Uint8Array(width * s * height * s);
  for (let j = 0; j < height * s; j++) {
    for (let i = 0; i < width * s; i++) mask[j * width * s + i] = r.mask![Math.floor(j / s) * width + Math.floor(i / s)]!;
  }
  return { ...r, rect: { x: x * s, y: y * s, width: width * s, height: height * s }, mask };
}

/** Intersection over the smaller box. */
function boxOverlap(a: Region['rect'], b: Region['rect']): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? (w * h) / Math.min(a.width * a.height, b.width * b.height) : 0;
}

/** Subtitle lines of one frame as regions with stroke + outline masks. */
export function findSubtitleLines(frame: { readonly width: number; readonly height: number; readonly data: Uint8Array }, p: SubtitleParams): Region[] {
  const { width: w, height: h, data } = frame;
  const bands: [number, number, string][] = [
    [Math.floor(h * (1 - p.bottomBand)), h, 'bottom'],
    [0, Math.ceil(h * p.topBand), 'top'],
  ];
  const out: Region[] = [];
  for (const [y0, y1, name] of bands) {
    const bh = y1 - y0;
    const bright = new Uint8Array(w * bh);
    const dark = new Uint8Array(w * bh);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < w; x++) {
        const v = data[(y0 + y) * w + x]!;
        if (v >= p.brightMin) bright[y * w + x] = 1;
        else if (v <= p.darkMax) dark[y * w + x] = 1;
      }
    }
    const nearDark = dilate(dark, w, bh, p.pairDistance);
    const strokes = new Uint8Array(w * bh);
    for (let i = 0; i < strokes.length; i++) strokes[i] = bright[i]! & nearDark[i]!;
    // Letters of a line merge when smeared sideways by about a glyph gap.
    const gap = Math.max(2, Math.round(h * 0.012));
    const merged = dilateRows(strokes, w, bh, 3 * gap);
    const lineMask = dilate(merged, w, bh, 1);
    components(lineMask, w, bh).forEach((c, k) => {
      const lw = c.x1 - c.x0, lh = c.y1 - c.y0;
      if (lh < p.minLineHeight * h || lh > p.maxLineHeight * h || lw < p.minAspect * lh) return;
      if (Math.abs((c.x0 + c.x1) / 2 - w / 2) > p.maxCentreOffset * w) return;
      let n = 0;
      for (const i of c.pixels) n += strokes[i]!;
      if (n < p.minStrokeDensity * lw * lh) return;
      out.push(lineRegion(`subtitle-${name}-${k}`, strokes, data.subarray(y0 * w, y1 * w), y0, c, w, p));
    });
  }
  return out;
}

/** Horizontal-only dilation by `r`. */
function dilateRows(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let last = -Infinity;
    for (let x = 0; x < w; x++) {
      if (m[y * w + x]) last = x;
      if (x - last <= r) out[y * w + x] = 1;
    }
    last = Infinity;
    for (let x = w - 1; x >= 0; x--) {
      if (m[y * w + x]) last = x;
      if (last - x <= r) out[y * w + x] = 1;
    }
  }
  return out;
}

/**
 * The line's mask. A caption box (most of the padded line dark) is removed whole; otherwise the
 * strokes and the dark pixels touching them (outline, shadow), grown by one for anti-aliasing.
 */
function lineRegion(id: string, strokes: Uint8Array, band: Uint8Array, bandY: number, c: Component, w: number, p: SubtitleParams): Region {
  const bh = strokes.length / w;
  const pad = Math.max(3, Math.round((c.y1 - c.y0) * p.boxPad));
  const x0 = Math.max(0, c.x0 - pad), x1 = Math.min(w, c.x1 + pad);
  const y0 = Math.max(0, c.y0 - pad), y1 = Math.min(bh, c.y1 + pad);
  const rw = x1 - x0, rh = y1 - y0;
  const local = new Uint8Array(rw * rh);
  const boxDark = new Uint8Array(rw * rh);
  let darkCount = 0, sum = 0, sum2 = 0;
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      const i = (y0 + y) * w + x0 + x;
      local[y * rw + x] = strokes[i]!;
      const v = band[i]!;
      if (v <= p.boxDarkMax) {
        boxDark[y * rw + x] = 1;
        darkCount++;
        sum += v;
        sum2 += v * v;
      }
    }
  }
  // A caption box is 75 % black over the picture, so it keeps a quarter of the picture's spread:
  // a dark stretch of scene under an outlined caption is dark too, but not that flat.
  const flat = darkCount > 0 && Math.sqrt(Math.max(0, sum2 / darkCount - (sum / darkCount) ** 2)) <= p.boxMaxSpread;
  let mask: Uint8Array;
  if (darkCount >= p.boxShare * rw * rh && flat) {
    mask = fillHoles(boxDark.map((v, i) => v | local[i]!), rw, rh);
  } else {
    const near = dilate(local, rw, rh, 2);
    mask = local.map((v, i) => v | (near[i]! & (band[(y0 + Math.floor(i / rw)) * w + x0 + (i % rw)]! <= p.darkMax ? 1 : 0)));
  }
  return { id, kind: 'subtitle', rect: { x: x0, y: bandY + y0, width: rw, height: rh }, enabled: true, mask: dilate(mask, rw, rh, 1), confidence: 1, state: 'active' };
}
