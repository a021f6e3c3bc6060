import { yuv420pLayout } from '../../core/frame.js';
import type { PixelRect } from '../fill/rect.js';
import { GlobalMotionEstimator, type GlobalMotion, type MotionOptions } from './motion.js';
import { BLOCK, CaptureScratch, mapBox, MemoryWindow, overlap, type Box, type Covered } from './memory.js';
import { PushPull } from './push-pull.js';
import { ResampleScratch, type Raster } from './resample.js';
import { composeZoom, type Zoom } from './zoom.js';

/** A pixel region being removed this frame, as the spatial fill saw it. */
export interface TemporalHole {
  /** Stable across frames where the caller can (the region's id); only used to label the result. */
  readonly id: string;
  /** The filled rectangle in each plane (Y, U, V); nothing outside them is ever read as background. */
  readonly rects: readonly [PixelRect, PixelRect, PixelRect];
  /** Which luma pixels of rects[0] to replace (1); absent: all of them. A chroma sample is replaced when any of its 2x2 luma pixels is. */
  readonly mask?: Uint8Array;
}

/** Which pixels of a hole came from an earlier frame: for the stages after this one (a model, de-blending). */
export interface TimeKnowledge {
  readonly id: string;
  /** The hole's luma rectangle. */
  readonly rect: PixelRect;
  /** Per luma pixel of `rect`, row-major: 1 where the background was copied from an earlier frame. */
  readonly known: Uint8Array;
  /** How many of the hole's luma pixels that is. */
  readonly count: number;
}

export interface TemporalOptions {
  readonly motion: Partial<MotionOptions>;
  /** Background remembered around each hole (luma pixels): must exceed a frame's worth of camera motion. */
  readonly marginPx: number;
  /** A remembered pixel older than this many frames is not used. */
  readonly maxAgeFrames: number;
  /** A memory is kept (and kept up to date) this many frames after the last hole it served. */
  readonly keepFrames: number;
  /** All memories of a stream together hold at most this fraction of a frame's pixels. */
  readonly maxMemoryFraction: number;
  /** Motion confidence (share of the picture the camera model explains) needed to paste anything. */
  readonly minConfidence: number;
  /**
   * Where the scene is seen, a luma change (against the previous frame, through the camera model)
   * of at least changeLevels + misregistrationPx * gradient, on at least changeShare of an 8x8
   * block, means something there moved on its own (a hand, leaves): memories of hidden pixels
   * nearby, seen before it, are stale.
   */
  readonly changeLevels: number;
  readonly misregistrationPx: number;
  readonly changeShare: number;
  /** A change this close (luma pixels) to a hidden pixel, after it was last seen, makes its memory stale. */
  readonly staleRadiusPx: number;
  /**
   * Frames a pixel must be seen uncovered and unchanged before it is remembered. 0 suits holes that
   * are known exactly (operator rectangles); detected holes want a few frames, so that a caption
   * found late, or missed for a frame, is not remembered as the background behind itself. The
   * margin remembered around holes grows with the camera's speed times this.
   */
  readonly settleFrames: number;
  /** Pixels around a hole not remembered either (anti-aliased edges, glow, compression ringing). */
  readonly guardPx: number;
}

/** Where apply()'s time went, summed over the frames it did work on (ms): what to make cheaper first. */
export interface TemporalTimings {
  readonly frames: number;
  /** The camera's motion since the last frame. */
  readonly motion: number;
  /** Remembering what the frame shows around the holes. */
  readonly capture: number;
  /** Reading the memories back into the holes, and spreading the correction. */
  readonly fill: number;
  /** All of apply(), the bookkeeping between those included. */
  readonly total: number;
}

export const DEFAULT_TEMPORAL_OPTIONS: TemporalOptions = {
  motion: {},
  marginPx: 16,
  maxAgeFrames: 300,
  keepFrames: 300,
  maxMemoryFraction: 0.5,
  minConfidence: 0.6,
  changeLevels: 12,
  misregistrationPx: 0.5,
  changeShare: 0.5,
  settleFrames: 0,
  staleRadiusPx: 24,
  guardPx: 2,
};

/** Re-base a memory once its zoom relative to the current frame leaves [1/1.1, 1.1]. */
const REBASE_LOG_ZOOM = Math.log(1.1);
/** Spare pixels around a memory's box, so a pan moves it every few frames rather than every frame. */
const SLACK_PX = 8;
/** Brightness steps smaller than this (levels) are estimation noise, not exposure. */
const MIN_BIAS = 0.25;
/** Taps a bicubic sample reaches beyond its nearest pixel. */
const SUPPORT = 2;

/**
 * The temporal half of removal: copies back, exactly, what earlier frames showed of the background
 * behind each hole, and leaves the rest to the spatial fill already in the output.
 *
 * Per frame: estimate the camera's motion since the last frame (holes left out), carry every memory's
 * map along with it, remember what this frame shows around the holes, then, for each hole pixel
 * whose memory is fresh and whose surroundings have not changed since it was seen, paste it. The
 * difference between pasted pixels and the spatial fill is spread over the pixels no frame has shown
 * (pull-push), so the two meet without a seam. A cut forgets everything.
 */
export class TemporalFill {
  private readonly opts: TemporalOptions;
  private readonly estimator: GlobalMotionEstimator;
  private windows: MemoryWindow[] = [];
  private frame = -1;
  private size = '';
  private bias = 0;
  private covered: Covered | undefined;
  private dirty: { luma: Box[]; chroma: Box[] } = { luma: [], chroma: [] };
  private readonly capture = new CaptureScratch();
  private readonly sampler = new ResampleScratch();
  private readonly pushPull = new PushPull();
  private lastMotion: GlobalMotion | undefined;
  /** The frame number of the last frame the camera's motion was estimated on. */
  private motionFrame = -1;
  private spent = { frames: 0, motion: 0, capture: 0, fill: 0, total: 0 };

  constructor(opts: Partial<TemporalOptions> = {}) {
    this.opts = { ...DEFAULT_TEMPORAL_OPTIONS, ...opts };
    this.estimator = new GlobalMotionEstimator(this.opts.motion);
  }

  /** The camera motion estimated for the last frame applied. */
  get motion(): GlobalMotion | undefined {
    return this.lastMotion;
  }

  /**
   * The last frame's camera step (its luma coordinates -> the previous frame's) when the estimate
   * can be trusted, as measured: steps too small for the memories to follow are kept.
   */
  get cameraStep(): Zoom | undefined {
    const m = this.lastMotion;
    return m && !m.first && !m.cut && m.confidence >= this.opts.minConfidence ? m.measured : undefined;
  }

  get timings(): TemporalTimings {
    return { ...this.spent };
  }

  /** Luma pixels held by all memories (bounded by maxMemoryFraction of a frame). */
  get memoryPixels(): number {
    return this.windows.reduce((n, w) => n + w.pixels, 0);
  }

  reset(): void {
    this.motionFrame = -1;
    this.windows = [];
    this.bias = 0;
    this.estimator.reset();
  }

  /**
   * `input` is this frame as received; `output` the same frame with each hole already filled
   * spatially. Replaces, in `output` only and only at hole pixels, what earlier frames have shown,
   * and says which pixels that was. Frames should pass here with or without holes, so the memories
   * stay in step with the camera; a frame left out (the stage behind) makes the next step larger.
   *
   * `frameNumber` is the stream's own count (the frame's seq): settling, memory ages and change
   * confirmations then count frames of the stream, not calls. When calls skip frames, a settling
   * of 6 frames asks for 6 frames of time, as the guard against late-found captions means, not 6
   * calls (24 frames at one call in 4: the bench degraded-quality's captions lost 4.4 dB on the
   * frames on time). Without it, each call is one frame.
   */
  apply(input: Uint8Array, output: Uint8Array, width: number, height: number, holes: readonly TemporalHole[], frameNumber?: number): TimeKnowledge[] {
    const layout = yuv420pLayout(width, height);
    if (input.length < layout.frameSize || output.length < layout.frameSize) throw new RangeError(`yuv420p ${width}x${height} needs ${layout.frameSize} bytes`);
    const size = `${width}x${height}`;
    if (size !== this.size) {
      this.size = size;
      this.reset();
      this.covered = { luma: new Uint8Array(layout.ySize), chroma: new Uint8Array(layout.cSize) };
      this.dirty = { luma: [], chroma: [] };
    }
    // A count that goes back (a new stream on the same filter) moves on by one: memories keep their order.
    this.frame = frameNumber !== undefined && frameNumber > this.frame ? frameNumber : this.frame + 1;
    if (holes.length === 0 && this.windows.length === 0) {
      // Nothing to fill nor to remember: the next frame with a hole starts afresh.
      this.estimator.reset();
      this.lastMotion = undefined;
      return [];
    }
    const t0 = performance.now();
    const holeBoxes = holes.map((h) => h.rects[0]);
    const motion = this.estimator.estimate({ data: input, offset: 0, width, height }, holeBoxes);
    const t1 = performance.now();
    // Frames since the last estimate: more than one when calls skip frames (the stage behind).
    const gap = Math.max(1, this.frame - this.motionFrame);
    this.motionFrame = this.frame;
    this.lastMotion = motion;
    if (motion.first || motion.cut) {
      this.windows = [];
      this.bias = 0;
    } else if (motion.confidence >= this.opts.minConfidence) {
      if (Math.abs(motion.bias) >= MIN_BIAS) this.bias += motion.bias;
      for (const w of this.windows) w.toMemory = composeZoom(w.toMemory, motion.toPrevious);
    }
    // An unsure estimate (a hand filling the picture) moves no memory: if the camera did move, the
    // change test below sees the whole picture change and nothing stale is pasted.
    const covered = this.markCovered(holes, width, height, layout.cWidth, layout.cHeight);
    // A scene point must be remembered before it reaches a hole: with settling it has to be in
    // view that many frames earlier, i.e. further out the faster the camera moves. Settling counts
    // frames, and a point is seen on calls: it is remembered on the call at least settleFrames
    // frames after the one it was first seen on, the calls `gap` frames apart, each moving it by
    // one camera step. (Per call, settleFrames + 1 steps: at one call in 4 that was 28 frames of
    // pan for 10, and the memories' boxes, which every capture reads, grew to match.)
    const step = motion.first || motion.cut ? 0 : Math.hypot(motion.toPrevious.tx + (motion.toPrevious.s - 1) * width / 2, motion.toPrevious.ty + (motion.toPrevious.s - 1) * height / 2);
    const settleCalls = Math.ceil(this.opts.settleFrames / gap);
    const assigned = this.assign(holes, width, height, this.opts.marginPx + Math.ceil(step * (settleCalls + 1)));
    const planes: [Raster, Raster, Raster] = [
      { data: input, offset: 0, width, height },
      { data: input, offset: layout.uOffset, width: layout.cWidth, height: layout.cHeight },
      { data: input, offset: layout.vOffset, width: layout.cWidth, height: layout.cHeight },
    ];
    const { changeLevels, misregistrationPx, changeShare, settleFrames } = this.opts;
    const t2 = performance.now();
    for (const w of this.windows) w.capture({ planes, covered, frame: this.frame, bias: this.bias, changeLevels, misregistrationPx, changeShare, settleFrames }, this.capture);
    const t3 = performance.now();

    const usable = !motion.first && !motion.cut && motion.confidence >= this.opts.minConfidence;
    const out: TimeKnowledge[] = [];
    const spread = new Map<MemoryWindow, Int32Array>();
    const radius = Math.ceil(this.opts.staleRadiusPx / BLOCK);
    holes.forEach((hole, k) => {
      const window = assigned[k];
      const r = hole.rects[0];
      const known = new Uint8Array((r.x1 - r.x0) * (r.y1 - r.y0));
      let count = 0;
      if (usable && window && window.pixels > 0) {
        let changes = spread.get(window);
        if (!changes) {
          changes = window.spreadChanges(radius, new Int32Array(window.changed.length));
          spread.set(window, changes);
        }
        for (let p = 0; p < 3; p++) {
          const n = this.fillPlane(p as 0 | 1 | 2, hole, window, changes, output, planes, p === 0 ? known : undefined);
          if (p === 0) count = n;
        }
      }
      out.push({ id: hole.id, rect: r, known, count });
    });
    const t4 = performance.now();
    const spent = this.spent;
    spent.frames++;
    spent.motion += t1 - t0;
    spent.capture += t3 - t2;
    spent.fill += t4 - t3;
    spent.total += t4 - t0;
    return out;
  }

  /**
   * Replaces the hole's pixels of one plane that memory knows and trusts; spreads the correction
   * into the rest. Returns how many pixels were pasted; marks them in `known` (luma only).
   */
  private fillPlane(p: 0 | 1 | 2, hole: TemporalHole, window: MemoryWindow, changes: Int32Array, output: Uint8Array, planes: readonly Raster[], known: Uint8Array | undefined): number {
    const r = hole.rects[p]!;
    const w = r.x1 - r.x0;
    const h = r.y1 - r.y0;
    if (w <= 0 || h <= 0) return 0;
    const { width: planeWidth, height: planeHeight, offset } = planes[p]!;
    const scratch = this.scratch(w * h, (w + 2) * (h + 2));
    if (!window.read(p, r, scratch.values, scratch.times, scratch.blocks, this.sampler)) return 0;
    const inHole = holeMask(hole, p, scratch.hole);
    const frame = this.frame;
    const maxAge = this.opts.maxAgeFrames;
    const bias = p === 0 ? this.bias : 0;
    // Domain of the spreading: the rectangle plus a one-pixel ring of real picture (correction 0).
    const dx0 = Math.max(0, r.x0 - 1), dy0 = Math.max(0, r.y0 - 1);
    const dx1 = Math.min(planeWidth, r.x1 + 1), dy1 = Math.min(planeHeight, r.y1 + 1);
    const dw = dx1 - dx0, dh = dy1 - dy0;
    const v = scratch.v;
    const a = scratch.a;
    let pasted = 0;
    let unknown = 0;
    for (let y = dy0; y < dy1; y++) {
      for (let x = dx0; x < dx1; x++) {
        const d = (y - dy0) * dw + x - dx0;
        v[d] = 0;
        if (x < r.x0 || y < r.y0 || x >= r.x1 || y >= r.y1) {
          a[d] = 1;
          continue;
        }
        a[d] = 0;
        const k = (y - r.y0) * w + x - r.x0;
        if (!inHole[k]) continue;
        const m = scratch.values[k]!;
        const t = scratch.times[k]!;
        const b = scratch.blocks[k]!;
        if (m === m && t >= 0 && frame - t <= maxAge && b >= 0 && changes[b]! <= t) {
          const value = m + bias;
          v[d] = value - output[offset + y * planeWidth + x]!;
          a[d] = 1;
          scratch.values[k] = value;
          pasted++;
          if (known) known[k] = 1;
        } else {
          scratch.values[k] = Number.NaN;
          unknown++;
        }
      }
    }
    if (pasted === 0) return 0;
    if (unknown > 0) this.pushPull.fill(v, a, dw, dh);
    for (let y = r.y0; y < r.y1; y++) {
      for (let x = r.x0; x < r.x1; x++) {
        const k = (y - r.y0) * w + x - r.x0;
        if (!inHole[k]) continue;
        const o = offset + y * planeWidth + x;
        const m = scratch.values[k]!;
        const value = m === m ? m : output[o]! + v[(y - dy0) * dw + x - dx0]!;
        output[o] = value <= 0 ? 0 : value >= 255 ? 255 : (value + 0.5) | 0;
      }
    }
    return pasted;
  }

  /** Marks the holes, grown by the guard and the sampling support, as not to be remembered. */
  private markCovered(holes: readonly TemporalHole[], width: number, height: number, cWidth: number, cHeight: number): Covered {
    const covered = this.covered!;
    for (const b of this.dirty.luma) fillBox(covered.luma, width, b, 0);
    for (const b of this.dirty.chroma) fillBox(covered.chroma, cWidth, b, 0);
    this.dirty = { luma: [], chroma: [] };
    const g = this.opts.guardPx + SUPPORT;
    const gc = Math.ceil(this.opts.guardPx / 2) + SUPPORT;
    for (const h of holes) {
      const l = clip(grow(h.rects[0], g), width, height);
      const c = clip(grow(h.rects[1], gc), cWidth, cHeight);
      fillBox(covered.luma, width, l, 1);
      fillBox(covered.chroma, cWidth, c, 1);
      this.dirty.luma.push(l);
      this.dirty.chroma.push(c);
    }
    return covered;
  }

  /**
   * Gives each hole the memory of the holes that were near it lately (a new one when none was),
   * forgets memories no hole has needed for keepFrames, and makes each memory's box cover its holes.
   */
  private assign(holes: readonly TemporalHole[], width: number, height: number, margin: number): (MemoryWindow | undefined)[] {
    const assigned = holes.map((hole) => {
      const box = hole.rects[0];
      let best: MemoryWindow | undefined;
      let bestOverlap = 0;
      for (const w of this.windows) {
        const extent = w.extent();
        const o = extent ? overlap(grow(extent, margin), box) : 0;
        if (o > bestOverlap) {
          bestOverlap = o;
          best = w;
        }
      }
      if (!best) {
        best = new MemoryWindow();
        this.windows.push(best);
      }
      best.note(box, this.frame);
      return best;
    });
    this.windows = this.windows.filter((w) => w.prune(this.frame - this.opts.keepFrames));
    const cap = Math.floor(this.opts.maxMemoryFraction * width * height);
    for (const w of this.windows) {
      const extent = w.extent()!;
      const others = this.memoryPixels - w.pixels;
      if (Math.abs(Math.log(w.toMemory.s)) > REBASE_LOG_ZOOM) {
        w.rebase(grow(extent, margin), SLACK_PX, this.sampler);
        continue;
      }
      w.cover(mapBox(extent, margin, w.toMemory), SLACK_PX, cap - others);
    }
    return assigned.map((w) => (this.windows.includes(w) ? w : undefined));
  }

  private scratchBuffers = { values: new Float32Array(0), times: new Int32Array(0), blocks: new Int32Array(0), hole: new Uint8Array(0), v: new Float32Array(0), a: new Float32Array(0) };

  private scratch(n: number, domain: number): typeof this.scratchBuffers {
    const s = this.scratchBuffers;
    if (s.values.length < n) {
      s.values = new Float32Array(n);
      s.times = new Int32Array(n);
      s.blocks = new Int32Array(n);
      s.hole = new Uint8Array(n);
    }
    if (s.v.length < domain) {
      s.v = new Float32Array(domain);
      s.a = new Float32Array(domain);
    }
    return s;
  }
}

/** Which pixels of plane `p`'s rectangle the hole replaces (1), into `out`. */
function holeMask(hole: TemporalHole, p: number, out: Uint8Array): Uint8Array {
  const r = hole.rects[p]!;
  const w = r.x1 - r.x0;
  const h = r.y1 - r.y0;
  if (!hole.mask) return out.fill(1, 0, w * h);
  const luma = hole.rects[0];
  const lw = luma.x1 - luma.x0;
  const lh = luma.y1 - luma.y0;
  if (p === 0) {
    out.set(hole.mask.subarray(0, w * h));
    return out;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let hit = 0;
      for (let dy = 0; dy < 2 && !hit; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const ly = 2 * (r.y0 + y) + dy - luma.y0;
          const lx = 2 * (r.x0 + x) + dx - luma.x0;
          if (lx >= 0 && ly >= 0 && lx < lw && ly < lh && hole.mask[ly * lw + lx]) {
            hit = 1;
            break;
          }
        }
      }
      out[y * w + x] = hit;
    }
  }
  return out;
}

function grow(b: Box, by: number): Box {
  return { x0: b.x0 - by, y0: b.y0 - by, x1: b.x1 + by, y1: b.y1 + by };
}

function clip(b: Box, width: number, height: number): Box {
  return { x0: Math.max(0, b.x0), y0: Math.max(0, b.y0), x1: Math.min(width, b.x1), y1: Math.min(height, b.y1) };
}

function fillBox(map: Uint8Array, width: number, b: Box, value: number): void {
  for (let y = b.y0; y < b.y1; y++) map.fill(value, y * width + b.x0, y * width + b.x1);
}
