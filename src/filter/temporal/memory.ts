import type { PixelRect } from '../fill/rect.js';
import { prepare, resample, ResampleScratch, type Raster } from './resample.js';
import { chromaZoom, composeZoom, IDENTITY_ZOOM, invertZoom, type Zoom } from './zoom.js';

/** Side of the blocks (luma pixels of memory) in which scene changes are tracked. */
export const BLOCK = 8;

/** Luma rectangle, half-open, in some frame's coordinates. */
export interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Where holes have been lately, in frame coordinates: the area a memory must cover. */
interface Area {
  box: Box;
  seen: number;
}

/** Pixels that must not be remembered this frame (holes, grown): one luma and one chroma map over the frame. */
export interface Covered {
  readonly luma: Uint8Array;
  readonly chroma: Uint8Array;
}

/** Per-frame inputs of a capture. */
export interface CaptureFrame {
  readonly planes: readonly [Raster, Raster, Raster];
  readonly covered: Covered;
  readonly frame: number;
  /** Cumulative luma offset since the memory began: luma is stored with it removed. */
  readonly bias: number;
  /** A luma change of at least this many levels means the scene changed there... */
  readonly changeLevels: number;
  /** ...plus this many pixels of misregistration times the local gradient (an edge moved by the camera model's error is no change). */
  readonly misregistrationPx: number;
  /** A block has changed when at least this share of its pixels did. */
  readonly changeShare: number;
  /** A pixel is remembered only once seen uncovered and unchanged for this many frames in a row. */
  readonly settleFrames: number;
}

const AREA_SLOTS = 8;
const PLANES = [0, 1, 2] as const;

/**
 * What the scene behind a group of nearby holes looked like when last seen: Y, U and V values
 * (NaN where never seen) with the frame each was seen in, kept in the coordinates of the frame
 * the memory was last re-based on ("memory coordinates"), with the map from the current frame's
 * coordinates into them.
 *
 * Pixels are written once and read once in the coordinates of the frame that sees them: the
 * memory does not follow the camera by resampling itself every frame (each bicubic pass blurs a
 * little, and a pixel hidden for 100 frames would be blurred 100 times). Instead the map follows
 * the camera, and the stored window moves by whole pixels (a copy) when the holes drift out of it.
 * Only a zoom drifting far from 1 re-bases it with one resampling.
 *
 * A pixel is committed to memory only after it has been seen, uncovered and unchanged, for a few
 * frames in a row: a detector that finds a caption a few frames late, or misses it in one frame,
 * would otherwise have the caption itself remembered as the background behind it.
 */
export class MemoryWindow {
  /** Luma box in memory coordinates (multiples of BLOCK). */
  box: Box = { x0: 0, y0: 0, x1: 0, y1: 0 };
  /** Current frame luma coordinates -> memory luma coordinates. */
  toMemory: Zoom = IDENTITY_ZOOM;
  values: [Float32Array, Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0), new Float32Array(0)];
  times: [Int32Array, Int32Array, Int32Array] = [new Int32Array(0), new Int32Array(0), new Int32Array(0)];
  /** Per BLOCK x BLOCK luma block of the box: the last frame in which something seen there changed (-1: never). */
  changed = new Int32Array(0);
  /** Luma, per memory pixel: its sample in the last frame, and since when it has been seen uncovered and unchanged (-1: not seen last frame). */
  private recent = new Float32Array(0);
  private since = new Int32Array(0);
  /**
   * Per block: a change not yet confirmed (frame, -1: none) and how many of its pixels were covered
   * then. A change becomes real only if the block is not covered more within settleFrames: a
   * caption that appears and is found a few frames later is the overlay, not the scene, changing.
   */
  private pending = new Int32Array(0);
  private pendingCover = new Int32Array(0);
  private readonly areas: Area[] = [];
  /** Median luma change of the last capture, levels: the noise floor of the change test. */
  private noise = 0;

  get width(): number {
    return this.box.x1 - this.box.x0;
  }

  get height(): number {
    return this.box.y1 - this.box.y0;
  }

  get pixels(): number {
    return this.width * this.height;
  }

  /** Remembers that a hole was at `box` (frame coordinates) in `frame`. */
  note(box: Box, frame: number): void {
    const same = this.areas.find((a) => a.box.x0 === box.x0 && a.box.y0 === box.y0 && a.box.x1 === box.x1 && a.box.y1 === box.y1);
    if (same) {
      same.seen = frame;
      return;
    }
    if (this.areas.length < AREA_SLOTS) {
      this.areas.push({ box, seen: frame });
      return;
    }
    // Full (a drifting logo leaves a trail of boxes): merge into the box it overlaps most.
    let best = this.areas[0]!;
    let bestOverlap = -1;
    for (const a of this.areas) {
      const o = overlap(a.box, box);
      if (o > bestOverlap) {
        bestOverlap = o;
        best = a;
      }
    }
    best.box = union(best.box, box);
    best.seen = frame;
  }

  /** Forgets areas not seen since `before`; returns false when none is left. */
  prune(before: number): boolean {
    for (let i = this.areas.length - 1; i >= 0; i--) if (this.areas[i]!.seen < before) this.areas.splice(i, 1);
    return this.areas.length > 0;
  }

  /** The union of the recent hole areas, frame coordinates. */
  extent(): Box | undefined {
    return this.areas.length ? this.areas.map((a) => a.box).reduce(union) : undefined;
  }

  /**
   * Makes the stored box cover `needed` (memory coordinates), moving or resizing it by whole
   * pixels when it does not, with `slack` to spare so a pan does not move it every frame. Returns
   * false (box unchanged) when the new box would exceed `maxPixels`.
   */
  cover(needed: Box, slack: number, maxPixels: number): boolean {
    const b = this.box;
    if (this.pixels > 0 && needed.x0 >= b.x0 && needed.y0 >= b.y0 && needed.x1 <= b.x1 && needed.y1 <= b.y1) {
      // Shrink only when far too big (holes that went away): a copy is not worth a few pixels.
      const area = (needed.x1 - needed.x0 + 2 * slack) * (needed.y1 - needed.y0 + 2 * slack);
      if (this.pixels <= 2 * area) return true;
    }
    const next = blockAligned({ x0: needed.x0 - slack, y0: needed.y0 - slack, x1: needed.x1 + slack, y1: needed.y1 + slack });
    if ((next.x1 - next.x0) * (next.y1 - next.y0) > maxPixels) return false;
    this.reshape(next);
    return true;
  }

  /** Moves the stored box to `next` (block-aligned), keeping what overlaps. */
  private reshape(next: Box): void {
    const old = { box: this.box, values: this.values, times: this.times, changed: this.changed, recent: this.recent, since: this.since, pending: this.pending, pendingCover: this.pendingCover };
    this.allocate(next);
    for (const p of PLANES) {
      const sub = p === 0 ? 1 : 2;
      const from = scaleBox(old.box, sub);
      const to = scaleBox(next, sub);
      const ow = from.x1 - from.x0;
      const nw = to.x1 - to.x0;
      const x0 = Math.max(from.x0, to.x0), x1 = Math.min(from.x1, to.x1);
      const y0 = Math.max(from.y0, to.y0), y1 = Math.min(from.y1, to.y1);
      if (x1 <= x0) continue;
      for (let y = y0; y < y1; y++) {
        const src = (y - from.y0) * ow + x0 - from.x0;
        const dst = (y - to.y0) * nw + x0 - to.x0;
        this.values[p].set(old.values[p].subarray(src, src + x1 - x0), dst);
        this.times[p].set(old.times[p].subarray(src, src + x1 - x0), dst);
        if (p === 0) {
          this.recent.set(old.recent.subarray(src, src + x1 - x0), dst);
          this.since.set(old.since.subarray(src, src + x1 - x0), dst);
        }
      }
    }
    const ob = blocksOf(old.box);
    const nb = blocksOf(next);
    for (let by = Math.max(ob.y0, nb.y0); by < Math.min(ob.y1, nb.y1); by++) {
      for (let bx = Math.max(ob.x0, nb.x0); bx < Math.min(ob.x1, nb.x1); bx++) {
        const to = (by - nb.y0) * (nb.x1 - nb.x0) + bx - nb.x0;
        const from = (by - ob.y0) * (ob.x1 - ob.x0) + bx - ob.x0;
        this.changed[to] = old.changed[from]!;
        this.pending[to] = old.pending[from]!;
        this.pendingCover[to] = old.pendingCover[from]!;
      }
    }
  }

  private allocate(box: Box): void {
    this.box = box;
    const w = box.x1 - box.x0;
    const h = box.y1 - box.y0;
    const c = (w >> 1) * (h >> 1);
    this.values = [new Float32Array(w * h).fill(Number.NaN), new Float32Array(c).fill(Number.NaN), new Float32Array(c).fill(Number.NaN)];
    this.times = [new Int32Array(w * h).fill(-1), new Int32Array(c).fill(-1), new Int32Array(c).fill(-1)];
    this.changed = new Int32Array((w / BLOCK) * (h / BLOCK)).fill(-1);
    this.pending = new Int32Array(this.changed.length).fill(-1);
    this.pendingCover = new Int32Array(this.changed.length);
    // After a re-base the last frame's samples no longer line up: every pixel settles afresh.
    this.recent = new Float32Array(w * h);
    this.since = new Int32Array(w * h).fill(-1);
  }

  /**
   * Re-bases the memory on the current frame (map = identity), resampling what it holds once: done
   * when the zoom since the last base has grown or shrunk the remembered pixels too far from one
   * frame pixel each. `needed` is the new box, in current frame coordinates.
   */
  rebase(needed: Box, slack: number, scratch: ResampleScratch): void {
    const old = { box: this.box, values: this.values, times: this.times, changed: this.changed, map: this.toMemory };
    const next = blockAligned({ x0: needed.x0 - slack, y0: needed.y0 - slack, x1: needed.x1 + slack, y1: needed.y1 + slack });
    this.allocate(next);
    this.toMemory = IDENTITY_ZOOM;
    for (const p of PLANES) {
      const sub = p === 0 ? 1 : 2;
      const from = scaleBox(old.box, sub);
      const to = scaleBox(next, sub);
      const map = localMap(p === 0 ? old.map : chromaZoom(old.map), from);
      const raster: Raster = { data: old.values[p], offset: 0, width: from.x1 - from.x0, height: from.y1 - from.y0 };
      const w = to.x1 - to.x0;
      const h = to.y1 - to.y0;
      resample(raster, map, to.x0, to.y0, w, h, 'unknown', this.values[p], scratch);
      nearestTimes(old.times[p], raster.width, raster.height, map, to.x0, to.y0, w, h, this.times[p]);
    }
    const ob = blocksOf(old.box);
    const nb = blocksOf(next);
    const nbw = nb.x1 - nb.x0;
    for (let by = nb.y0; by < nb.y1; by++) {
      for (let bx = nb.x0; bx < nb.x1; bx++) {
        const m = old.map;
        const ox = Math.floor((m.s * ((bx + 0.5) * BLOCK) + m.tx) / BLOCK);
        const oy = Math.floor((m.s * ((by + 0.5) * BLOCK) + m.ty) / BLOCK);
        const inside = ox >= ob.x0 && ox < ob.x1 && oy >= ob.y0 && oy < ob.y1;
        this.changed[(by - nb.y0) * nbw + bx - nb.x0] = inside ? old.changed[(oy - ob.y0) * (ob.x1 - ob.x0) + ox - ob.x0]! : -1;
      }
    }
  }

  /**
   * Looks at every memory pixel the current frame shows uncovered: a luma value that differs from
   * the last frame's by more than the noise marks its block as changed and restarts the pixel's
   * settling; pixels settled for settleFrames are committed (all three planes).
   */
  capture(f: CaptureFrame, scratch: CaptureScratch): void {
    const blocks = blocksOf(this.box);
    const bw = blocks.x1 - blocks.x0;
    const nBlocks = bw * (blocks.y1 - blocks.y0);
    const moved = scratch.counts(nBlocks);
    const coveredIn = scratch.covers(nBlocks);
    const threshold = Math.max(f.changeLevels, 3 * this.noise);
    // The gradient below is a central difference, over two pixels.
    const slope = f.misregistrationPx / 2;
    const settledBy = f.frame - f.settleFrames;
    const hist = scratch.histogram;
    hist.fill(0);
    let compared = 0;
    const lumaWidth = this.width;
    const { recent, since } = this;
    for (const p of PLANES) {
      const sub = p === 0 ? 1 : 2;
      const box = scaleBox(this.box, sub);
      const w = box.x1 - box.x0;
      const h = box.y1 - box.y0;
      const src = f.planes[p]!;
      const toFrame = invertZoom(p === 0 ? this.toMemory : chromaZoom(this.toMemory));
      const cols = scratch.cols(w);
      const rows = scratch.rows(h);
      // Nearest frame pixel of each memory column and row, -1 outside the frame.
      for (let i = 0; i < w; i++) cols[i] = nearestInside(toFrame.s * (box.x0 + i) + toFrame.tx, src.width);
      for (let j = 0; j < h; j++) rows[j] = nearestInside(toFrame.s * (box.y0 + j) + toFrame.ty, src.height);
      const cover = p === 0 ? f.covered.luma : f.covered.chroma;
      // Only the runs of visible pixels are sampled (a caption band's window is half hole); the
      // rest is NaN, which is how the passes below tell visible from not.
      const sampled = scratch.sampled(w * h);
      // The visible runs, as [start, end) pairs (memory indices, row-major): the passes below visit
      // only them, the rest of a window being mostly the holes it serves.
      const runs = scratch.runs(h * (w + 2));
      let nRuns = 0;
      const sampler = prepare(src, toFrame, box.x0, box.y0, w, h, 'clamp', scratch.resample);
      for (let j = 0; j < h; j++) {
        const at = j * w;
        const fy = rows[j]!;
        if (fy < 0) {
          sampled.fill(Number.NaN, at, at + w);
          continue;
        }
        const crow = fy * src.width;
        const brow = ((j / BLOCK) | 0) * bw;
        for (let i = 0; i < w; ) {
          const start = i;
          while (i < w && (cols[i]! < 0 || cover[crow + cols[i]!])) {
            if (p === 0 && cols[i]! >= 0) coveredIn[brow + ((i / BLOCK) | 0)]!++;
            i++;
          }
          sampled.fill(Number.NaN, at + start, at + i);
          const run = i;
          while (i < w && cols[i]! >= 0 && !cover[crow + cols[i]!]) i++;
          if (i > run) {
            sampler.row(j, run, i, sampled, at);
            runs[nRuns++] = at + run;
            runs[nRuns++] = at + i;
          }
        }
      }
      const values = this.values[p];
      const times = this.times[p];
      if (p === 0) {
        let unseenFrom = 0;
        for (let r = 0; r < nRuns; r += 2) {
          const runStart = runs[r]!, runEnd = runs[r + 1]!;
          since.fill(-1, unseenFrom, runStart);
          unseenFrom = runEnd;
          const j = (runStart / w) | 0;
          const brow = ((j / BLOCK) | 0) * bw;
          for (let k = runStart, i = runStart - j * w; k < runEnd; k++, i++) {
            const v = sampled[k]! - f.bias;
            if (since[k]! < 0) {
              since[k] = f.frame;
            } else {
              const last = recent[k]!;
              const d = v > last ? v - last : last - v;
              compared++;
              hist[d < 255 ? d | 0 : 255]!++;
              // An edge moved by the camera model's error (misregistrationPx) is not a change.
              // (A neighbour not seen is NaN: no gradient from it.)
              const gx = i > 0 && i < w - 1 ? Math.abs(sampled[k + 1]! - sampled[k - 1]!) : 0;
              const gy = j > 0 && j < h - 1 ? Math.abs(sampled[k + w]! - sampled[k - w]!) : 0;
              const g = gx > gy ? gx : gy >= 0 ? gy : gx >= 0 ? gx : 0;
              if (d >= threshold + slope * g) {
                moved[brow + ((i / BLOCK) | 0)]!++;
                since[k] = f.frame;
              }
            }
            recent[k] = v;
            if (since[k]! <= settledBy) {
              values[k] = v;
              times[k] = f.frame;
            }
          }
        }
        since.fill(-1, unseenFrom, w * h);
        continue;
      }
      for (let r = 0; r < nRuns; r += 2) {
        const runStart = runs[r]!, runEnd = runs[r + 1]!;
        const j = (runStart / w) | 0;
        for (let k = runStart, i = runStart - j * w; k < runEnd; k++, i++) {
          // A chroma sample follows the luma pixel at its corner: settled there, settled here.
          const s0 = since[2 * j * lumaWidth + 2 * i]!;
          if (s0 < 0 || s0 > settledBy) continue;
          values[k] = sampled[k]!;
          times[k] = f.frame;
        }
      }
    }
    if (compared > 0) this.noise = medianBin(hist, compared);
    // A block has changed when a fair share of it did: a few pixels at a sharp edge differ after
    // resampling at another sub-pixel phase without the scene having changed.
    const share = Math.max(1, f.changeShare * BLOCK * BLOCK);
    const { pending, pendingCover, changed } = this;
    for (let b = 0; b < nBlocks; b++) {
      if (pending[b]! >= 0 && coveredIn[b]! > pendingCover[b]!) pending[b] = -1;
      if (moved[b]! >= share && pending[b]! < 0) {
        pending[b] = f.frame;
        pendingCover[b] = coveredIn[b]!;
      }
      if (pending[b]! >= 0 && f.frame - pending[b]! >= f.settleFrames) {
        changed[b] = Math.max(changed[b]!, pending[b]!);
        pending[b] = -1;
      }
    }
  }

  /**
   * Samples plane `p` of the memory over `rect` (that plane's current frame coordinates) into
   * `values` (NaN: not known) and the frame each was seen in into `times` (-1: never), row-major.
   * `blockOf` gets, per output pixel, the change block its memory pixel lies in (-1: none).
   * Returns false, leaving `values` alone, when no pixel there was ever seen.
   */
  read(p: 0 | 1 | 2, rect: PixelRect, values: Float32Array, times: Int32Array, blockOf: Int32Array, scratch: ResampleScratch): boolean {
    const sub = p === 0 ? 1 : 2;
    const box = scaleBox(this.box, sub);
    const bw = box.x1 - box.x0;
    const bh = box.y1 - box.y0;
    const map = localMap(p === 0 ? this.toMemory : chromaZoom(this.toMemory), box);
    const w = rect.x1 - rect.x0;
    const h = rect.y1 - rect.y0;
    // Nearest memory column and row of each output column and row (-1: outside the memory).
    const cols = scratch.nearestCols(w);
    const rows = scratch.nearestRows(h);
    for (let i = 0; i < w; i++) cols[i] = nearestInside(map.s * (rect.x0 + i) + map.tx, bw);
    for (let j = 0; j < h; j++) rows[j] = nearestInside(map.s * (rect.y0 + j) + map.ty, bh);
    const seen = this.times[p];
    const blocksWide = this.width / BLOCK;
    let any = false;
    for (let j = 0; j < h; j++) {
      const my = rows[j]!;
      const o = j * w;
      if (my < 0) {
        times.fill(-1, o, o + w);
        blockOf.fill(-1, o, o + w);
        continue;
      }
      const brow = (((my * sub) / BLOCK) | 0) * blocksWide;
      for (let i = 0; i < w; i++) {
        const mx = cols[i]!;
        if (mx < 0) {
          times[o + i] = -1;
          blockOf[o + i] = -1;
          continue;
        }
        const t = seen[my * bw + mx]!;
        times[o + i] = t;
        blockOf[o + i] = brow + (((mx * sub) / BLOCK) | 0);
        if (t >= 0) any = true;
      }
    }
    // Nothing ever seen here (a static camera behind a fixed logo): no values to sample.
    if (!any) return false;
    resample({ data: this.values[p], offset: 0, width: bw, height: bh }, map, rect.x0, rect.y0, w, h, 'unknown', values, scratch);
    return true;
  }

  /**
   * The change blocks with each block's latest change spread over `radius` blocks around it: a
   * hidden pixel's memory is stale once anything that close to it changed after it was seen.
   */
  spreadChanges(radius: number, out: Int32Array): Int32Array {
    const bw = this.width / BLOCK;
    const bh = this.height / BLOCK;
    const rows = new Int32Array(bw * bh);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        let m = -1;
        for (let k = Math.max(0, x - radius); k <= Math.min(bw - 1, x + radius); k++) m = Math.max(m, this.changed[y * bw + k]!);
        rows[y * bw + x] = m;
      }
    }
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        let m = -1;
        for (let k = Math.max(0, y - radius); k <= Math.min(bh - 1, y + radius); k++) m = Math.max(m, rows[k * bw + x]!);
        out[y * bw + x] = m;
      }
    }
    return out;
  }
}

/** Reusable buffers for captures. */
export class CaptureScratch {
  readonly resample = new ResampleScratch();
  readonly histogram = new Uint32Array(256);
  private buf = new Float32Array(0);
  private c = new Int32Array(0);
  private r = new Int32Array(0);
  private n = new Uint16Array(0);
  private cov = new Uint16Array(0);
  private rn = new Int32Array(0);

  runs(size: number): Int32Array {
    if (this.rn.length < size) this.rn = new Int32Array(size);
    return this.rn;
  }

  sampled(size: number): Float32Array {
    if (this.buf.length < size) this.buf = new Float32Array(size);
    return this.buf;
  }

  cols(size: number): Int32Array {
    if (this.c.length < size) this.c = new Int32Array(size);
    return this.c;
  }

  rows(size: number): Int32Array {
    if (this.r.length < size) this.r = new Int32Array(size);
    return this.r;
  }

  counts(size: number): Uint16Array {
    if (this.n.length < size) this.n = new Uint16Array(size);
    this.n.fill(0, 0, size);
    return this.n;
  }

  covers(size: number): Uint16Array {
    if (this.cov.length < size) this.cov = new Uint16Array(size);
    this.cov.fill(0, 0, size);
    return this.cov;
  }
}

function nearestInside(p: number, length: number): number {
  const k = Math.round(p);
  return k < 0 || k >= length ? -1 : k;
}

/** Nearest-neighbour resampling of capture times (a time is not something to interpolate). */
function nearestTimes(src: Int32Array, sw: number, sh: number, map: Zoom, x0: number, y0: number, w: number, h: number, out: Int32Array): void {
  for (let j = 0; j < h; j++) {
    const y = Math.round(map.s * (y0 + j) + map.ty);
    for (let i = 0; i < w; i++) {
      const x = Math.round(map.s * (x0 + i) + map.tx);
      out[j * w + i] = x < 0 || y < 0 || x >= sw || y >= sh ? -1 : src[y * sw + x]!;
    }
  }
}

/** A map into a box's own array coordinates (origin at the box corner). */
function localMap(map: Zoom, box: Box): Zoom {
  return composeZoom({ s: 1, tx: -box.x0, ty: -box.y0 }, map);
}

function scaleBox(b: Box, sub: number): Box {
  return sub === 1 ? b : { x0: b.x0 / sub, y0: b.y0 / sub, x1: b.x1 / sub, y1: b.y1 / sub };
}

function blocksOf(b: Box): Box {
  return { x0: b.x0 / BLOCK, y0: b.y0 / BLOCK, x1: b.x1 / BLOCK, y1: b.y1 / BLOCK };
}

function blockAligned(b: Box): Box {
  return {
    x0: Math.floor(b.x0 / BLOCK) * BLOCK,
    y0: Math.floor(b.y0 / BLOCK) * BLOCK,
    x1: Math.ceil(b.x1 / BLOCK) * BLOCK,
    y1: Math.ceil(b.y1 / BLOCK) * BLOCK,
  };
}

function medianBin(hist: Uint32Array, count: number): number {
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]!;
    if (2 * seen >= count) return b + 0.5;
  }
  return hist.length;
}

export function union(a: Box, b: Box): Box {
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

export function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

/** The box `b` (frame coordinates) grown by `margin` and mapped into memory coordinates by `map`. */
export function mapBox(b: Box, margin: number, map: Zoom): Box {
  const x0 = map.s * (b.x0 - margin) + map.tx;
  const y0 = map.s * (b.y0 - margin) + map.ty;
  const x1 = map.s * (b.x1 + margin) + map.tx;
  const y1 = map.s * (b.y1 + margin) + map.ty;
  return { x0: Math.floor(x0), y0: Math.floor(y0), x1: Math.ceil(x1), y1: Math.ceil(y1) };
}
