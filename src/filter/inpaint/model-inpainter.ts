import type { Rect, VideoFrame } from '../../core/frame.js';
import type { Logger } from '../../core/log.js';
import { acquireSession, SessionBusyError, type OnnxWorkerSession, type SessionLease, type ExecutionProvider, type NamedTensors, type OnnxSessionStats } from '../../ml/onnx-session.js';
import type { FrameWindow } from '../frame-window.js';
import { bilinear, planTiles, sampleCrop, sampleMask, tileBox, type Box, type CropShape, type Tile } from './crop.js';
import { readModelInfo, type InpaintModelInfo } from './model-info.js';

/** A region the classical fill has just filled: what the model may refine. */
export interface Hole {
  /** Stable across frames (the region's id): residuals are smoothed per hole and tile. */
  readonly id: string;
  /** Luma rectangle in frame pixels. */
  readonly rect: Rect;
  /** rect.width x rect.height, 1 = pixel filled by the classical fill (and so open to the model). */
  readonly mask: Uint8Array;
}

export interface ModelInpainterOptions {
  readonly modelPath: string;
  readonly executionProvider: ExecutionProvider;
  readonly threads: number;
  readonly maxInFlight: number;
  /** How long a frame may wait for its own model result; later, the last residual is reused. */
  readonly deadlineMs: number;
  /** Weight of a new residual against the previous one of the same tile (1 = no smoothing). */
  readonly smoothing: number;
  /** Above this overlay probability the model also replaces pixels the detector left (0 = off). */
  readonly senseThreshold: number;
  /**
   * What the model's correction is measured against inside the holes: 'model-base' adds
   * (fill - the model's own in-graph base fill) to our classical fill, so an untrained or unsure
   * model leaves the classical fill as it is; 'classical' replaces the classical fill by the
   * model's fill (fill - classical fill). Default 'model-base'.
   */
  readonly residualOver?: 'model-base' | 'classical';
  readonly log?: Logger;
}

export interface ModelStats {
  readonly state: 'loading' | 'ready' | 'failed';
  /** The worker session's figures: shared by every stream that runs the same model. */
  readonly session?: OnnxSessionStats;
  /** Frames with holes offered to the model. */
  readonly frames: number;
  /** ...whose own result arrived within the deadline. */
  readonly fresh: number;
  /** ...whose result was late: the previous residual was applied instead. */
  readonly late: number;
  /** ...not run because the worker was still busy with an earlier frame (previous residual applied). */
  readonly skipped: number;
  /** ...before the model had loaded, or after it failed to (classical fill only). */
  readonly notReady: number;
  readonly errors: number;
  /** Model results received (fresh or late): each updates the stored residuals. */
  readonly results: number;
}

interface TileResult {
  readonly tile: Tile;
  /** The correction added inside holes (see residualOver), 3 planes at crop resolution. */
  readonly residual: Float32Array;
  /** Model fill minus the classical fill: what turns an unfilled (sensed) pixel into the model's fill. */
  readonly toFill: Float32Array;
  readonly overlay: Float32Array;
  /** The frame it was computed on: residuals of regions long gone are dropped. */
  readonly seq: number;
}

/** A hole's residual at frame resolution, valid for the tile results it was made from. */
interface ResidualMaps {
  readonly tiles: readonly TileResult[];
  readonly rect: Rect;
  readonly y: Float32Array;
  readonly u: Float32Array;
  readonly v: Float32Array;
  /** Chroma footprint of the rect: origin and size in chroma samples. */
  readonly cx0: number;
  readonly cy0: number;
  readonly cw: number;
  readonly ch: number;
}

interface CachedCrop {
  readonly seq: number;
  readonly pixels: Float32Array;
  readonly mask: Float32Array;
}

/** Frames after which the residual of a region no longer seen is forgotten. */
const FORGET_AFTER_FRAMES = 300;

/** Tiles of one job, keyed by hole id and tile index. */
type Results = Map<string, TileResult>;

interface Job {
  readonly seq: number;
  readonly keys: string[];
  readonly tiles: Tile[];
  /** The classical fill's crops, to turn the model's fill into a residual. */
  readonly classical: Float32Array;
}

const sameTile = (a: Tile, b: Tile) => Math.abs(a.x0 - b.x0) < 0.5 && Math.abs(a.y0 - b.y0) < 0.5 && Math.abs(a.scale - b.scale) < 1e-3;
const clampByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/**
 * Refines the classical fill of each hole with the temporal inpainting model (models/README.md):
 * crops around the holes (tiled, scaled to the model's shape) of the current frame and of past
 * frames from the FrameWindow go to an onnxruntime session in a worker thread; what comes back is
 * turned into a correction of the classical fill (residualOver) and composited with a feathered mask. The frame
 * never waits longer than `deadlineMs`: a late or skipped result leaves the previous residual of
 * the same tile in place (counted), and residuals are smoothed between frames against flicker.
 */
export class ModelInpainter {
  readonly info: InpaintModelInfo;
  private session: OnnxWorkerSession | undefined;
  private lease: SessionLease | undefined;
  private state: ModelStats['state'] = 'loading';
  private readonly shape: CropShape;
  private readonly stored: Results = new Map();
  private readonly crops = new Map<string, CachedCrop>();
  private readonly maps = new Map<string, ResidualMaps>();
  /** Holes of recent frames by seq, so reference frames are masked where they had overlays. */
  private readonly history = new Map<number, readonly Hole[]>();
  private counters = { frames: 0, fresh: 0, late: 0, skipped: 0, notReady: 0, errors: 0, results: 0 };
  private closed = false;
  private readonly opening: Promise<void>;

  constructor(private readonly opts: ModelInpainterOptions) {
    this.info = readModelInfo(opts.modelPath);
    this.shape = { width: this.info.cropWidth, height: this.info.cropHeight };
    this.opening = acquireSession({ modelPath: opts.modelPath, executionProvider: opts.executionProvider, threads: opts.threads, maxInFlight: opts.maxInFlight, log: opts.log }).then(
      (lease) => {
        if (this.closed) return void lease.release();
        this.lease = lease;
        this.session = lease.session;
        this.state = 'ready';
      },
      (err: unknown) => {
        this.state = 'failed';
        // Fail open: the classical fill goes on alone.
        opts.log?.error({ err: (err as Error).message, model: opts.modelPath }, 'model: cannot load, classical fill only');
      },
    );
  }

  /** Frames of history the model reads: the current one and its oldest reference's age. */
  get windowFrames(): number {
    return Math.max(...this.info.refAges) + 1;
  }

  /** Resolves once the model has loaded or failed to (tests and offline runs that want every frame refined). */
  ready(): Promise<void> {
    return this.opening;
  }

  stats(): ModelStats {
    return { state: this.state, ...(this.session ? { session: this.session.stats() } : {}), ...this.counters };
  }

  /**
   * Adds the model's residual to the classically filled frame `out` (yuv420p, same size as the
   * frame) inside `holes`. Never rejects: a failed run leaves the classical fill (counted).
   */
  async refine(frame: VideoFrame, window: FrameWindow, holes: readonly Hole[], out: Buffer): Promise<void> {
    this.remember(frame.seq, holes);
    if (holes.length === 0) return;
    this.counters.frames++;
    // While the weights load, a frame waits no longer than for a result.
    if (this.state === 'loading') await this.withinDeadline(this.opening);
    const session = this.session;
    if (!session) {
      this.counters.notReady++;
      return;
    }
    const tiles: { key: string; hole: Hole; tile: Tile }[] = [];
    for (const hole of holes) planTiles(hole.rect, frame.width, frame.height, this.shape).forEach((tile, k) => tiles.push({ key: `${hole.id}#${k}`, hole, tile }));
    if (session.busy) {
      this.counters.skipped++;
      this.composite(out, frame.width, frame.height, holes, this.stored);
      return;
    }
    const { inputs, job } = this.buildInputs(frame, window, holes, tiles, out);
    const run = session.run(inputs).then(
      (outputs) => this.absorb(job, outputs),
      (err: unknown) => {
        if (!(err instanceof SessionBusyError)) {
          this.counters.errors++;
          this.opts.log?.warn({ err: (err as Error).message }, 'model: run failed, classical fill kept');
        }
        return false as const;
      },
    );
    const first = await this.withinDeadline(run);
    if (first === 'late') this.counters.late++;
    else if (first) this.counters.fresh++;
    this.composite(out, frame.width, frame.height, holes, this.stored);
  }

  /** Applies the last residuals without running the model (the pipeline is behind). */
  reuse(frame: VideoFrame, holes: readonly Hole[], out: Buffer): void {
    this.remember(frame.seq, holes);
    this.composite(out, frame.width, frame.height, holes, this.stored);
  }

  /** The promise's value, or 'late' once deadlineMs has passed (the promise keeps running). */
  private async withinDeadline<T>(p: Promise<T>): Promise<T | 'late'> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.opts.deadlineMs);
    });
    try {
      return await Promise.race([p, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.session = undefined;
    await this.lease?.release();
  }

  private remember(seq: number, holes: readonly Hole[]): void {
    this.history.set(seq, holes);
    const oldest = seq - Math.max(...this.info.refAges) - 1;
    for (const k of this.history.keys()) if (k < oldest || k > seq) this.history.delete(k);
  }

  private buildInputs(frame: VideoFrame, window: FrameWindow, holes: readonly Hole[], tiles: { key: string; tile: Tile }[], classicalFrame: Buffer): { inputs: NamedTensors; job: Job } {
    const { width, height } = frame;
    const T = this.info.refAges.length;
    const n = this.shape.width * this.shape.height;
    const frames = new Float32Array(tiles.length * T * 3 * n);
    const masks = new Float32Array(tiles.length * T * n);
    // The classical fill's crops are only needed to replace it (residualOver 'classical') or to fill sensed pixels.
    const needClassical = this.opts.residualOver === 'classical' || this.opts.senseThreshold > 0;
    const classical = new Float32Array(needClassical ? tiles.length * 3 * n : 0);
    // Past frames: the oldest the window holds stands in for ages it does not reach (stream start).
    const refs = this.info.refAges.map((age) => {
      const f = age === 0 ? frame : window.at(Math.min(age, window.size - 1));
      const usable = f && f.width === width && f.height === height ? f : frame;
      return { frame: usable, holes: usable === frame ? holes : this.history.get(usable.seq) ?? holes };
    });
    tiles.forEach(({ tile }, b) => {
      const box = tileBox(tile, this.shape, width, height);
      refs.forEach((ref, t) => {
        const c = this.cropOf(ref.frame, ref.holes, tile, box);
        frames.set(c.pixels, (b * T + t) * 3 * n);
        masks.set(c.mask, (b * T + t) * n);
      });
      if (needClassical) sampleCrop(classicalFrame, width, height, tile, this.shape, classical, b * 3 * n);
    });
    // Crops of frames that dropped out of reach are not needed again.
    const oldest = frame.seq - this.windowFrames;
    for (const [key, c] of this.crops) if (c.seq < oldest || c.seq > frame.seq) this.crops.delete(key);
    const dims = [tiles.length, T];
    return {
      inputs: {
        frames: { data: frames, dims: [...dims, 3, this.shape.height, this.shape.width] },
        masks: { data: masks, dims: [...dims, 1, this.shape.height, this.shape.width] },
      },
      job: { seq: frame.seq, keys: tiles.map((t) => t.key), tiles: tiles.map((t) => t.tile), classical },
    };
  }

  /**
   * A frame's crop and hole mask for a tile, sampled once: a region that stays put is cut from the
   * same frames at the same place for the next windowFrames frames.
   */
  private cropOf(frame: VideoFrame, holes: readonly Hole[], tile: Tile, box: Box): CachedCrop {
    const key = `${frame.seq}|${tile.x0.toFixed(3)}|${tile.y0.toFixed(3)}|${tile.scale.toFixed(5)}`;
    let c = this.crops.get(key);
    if (!c) {
      const n = this.shape.width * this.shape.height;
      c = { seq: frame.seq, pixels: new Float32Array(3 * n), mask: new Float32Array(n) };
      sampleCrop(frame.data, frame.width, frame.height, tile, this.shape, c.pixels, 0);
      sampleMask(rasterise(holes, box), box, tile, this.shape, c.mask, 0);
      this.crops.set(key, c);
    }
    return c;
  }

  /** Stores each tile's residual, blended with the previous one of the same tile where it did not move. */
  private absorb(job: Job, outputs: NamedTensors): true {
    const fill = outputs.fill!.data;
    const overlay = outputs.overlay!.data;
    const base = this.opts.residualOver === 'classical' ? job.classical : outputs.base!.data;
    this.counters.results++;
    const n = this.shape.width * this.shape.height;
    const a = this.opts.smoothing;
    job.keys.forEach((key, b) => {
      const residual = new Float32Array(3 * n);
      const toFill = new Float32Array(job.classical.length ? 3 * n : 0);
      for (let i = 0; i < 3 * n; i++) residual[i] = fill[b * 3 * n + i]! - base[b * 3 * n + i]!;
      for (let i = 0; i < toFill.length; i++) toFill[i] = fill[b * 3 * n + i]! - job.classical[b * 3 * n + i]!;
      const prev = this.stored.get(key);
      if (prev && sameTile(prev.tile, job.tiles[b]!) && a < 1) {
        for (let i = 0; i < 3 * n; i++) residual[i] = a * residual[i]! + (1 - a) * prev.residual[i]!;
      }
      this.stored.set(key, { tile: job.tiles[b]!, residual, toFill, overlay: overlay.slice(b * n, (b + 1) * n), seq: job.seq });
    });
    for (const [key, r] of this.stored) if (r.seq < job.seq - FORGET_AFTER_FRAMES || r.seq > job.seq) this.stored.delete(key);
    return true;
  }

  /** Adds the stored residuals of each hole's tiles to `out` under the hole, feathered at its edge. */
  private composite(out: Buffer, width: number, height: number, holes: readonly Hole[], results: Results): void {
    for (const hole of holes) {
      const tiles: TileResult[] = [];
      for (let k = 0; ; k++) {
        const r = results.get(`${hole.id}#${k}`);
        if (!r) break;
        tiles.push(r);
      }
      if (tiles.length === 0) continue;
      const planned = planTiles(hole.rect, width, height, this.shape);
      // A residual is only meaningful where it was computed: the hole must still be tiled the same way.
      if (planned.length !== tiles.length || !planned.every((t, k) => sameTile(t, tiles[k]!.tile))) continue;
      const maps = this.mapsFor(hole, tiles, width, height);
      compositeHole(out, width, height, hole, maps, tiles, this.shape, this.opts.senseThreshold);
    }
    for (const id of this.maps.keys()) if (!this.stored.has(`${id}#0`)) this.maps.delete(id);
  }

  /**
   * The residual of a hole upsampled to frame resolution (luma over the rect, chroma over its
   * footprint), blended across tile seams: computed once per model result, then each frame only
   * adds it under the feathered mask.
   */
  private mapsFor(hole: Hole, tiles: readonly TileResult[], width: number, height: number): ResidualMaps {
    const cached = this.maps.get(hole.id);
    const r = hole.rect;
    if (cached && cached.tiles.length === tiles.length && cached.tiles.every((t, k) => t === tiles[k]) && cached.rect.x === r.x && cached.rect.y === r.y && cached.rect.width === r.width && cached.rect.height === r.height) return cached;
    const y = new Float32Array(r.width * r.height);
    for (let j = 0; j < r.height; j++) for (let i = 0; i < r.width; i++) y[j * r.width + i] = residualAt(tiles, this.shape, 0, r.x + i + 0.5, r.y + j + 0.5);
    const cx0 = r.x >> 1, cy0 = r.y >> 1;
    const cw = Math.min(width >> 1, (r.x + r.width + 1) >> 1) - cx0, ch = Math.min(height >> 1, (r.y + r.height + 1) >> 1) - cy0;
    const u = new Float32Array(Math.max(0, cw * ch)), v = new Float32Array(Math.max(0, cw * ch));
    for (let j = 0; j < ch; j++) {
      for (let i = 0; i < cw; i++) {
        const fx = 2 * (cx0 + i) + 1, fy = 2 * (cy0 + j) + 1;
        u[j * cw + i] = residualAt(tiles, this.shape, 1, fx, fy);
        v[j * cw + i] = residualAt(tiles, this.shape, 2, fx, fy);
      }
    }
    const maps: ResidualMaps = { tiles: [...tiles], rect: r, y, u, v, cx0, cy0, cw, ch };
    this.maps.set(hole.id, maps);
    return maps;
  }
}

/** 0/1 raster of the holes over `box`. */
function rasterise(holes: readonly Hole[], box: Box): Uint8Array {
  const m = new Uint8Array(box.width * box.height);
  for (const { rect, mask } of holes) {
    const x0 = Math.max(box.x, rect.x), x1 = Math.min(box.x + box.width, rect.x + rect.width);
    const y0 = Math.max(box.y, rect.y), y1 = Math.min(box.y + box.height, rect.y + rect.height);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) if (mask[(y - rect.y) * rect.width + x - rect.x]) m[(y - box.y) * box.width + x - box.x] = 1;
    }
  }
  return m;
}

/** Residual of plane `c` at frame position (u, v), blended over the tiles that cover it (tent weights at tile seams). */
function residualAt(tiles: readonly TileResult[], shape: CropShape, c: number, u: number, v: number, field: 'residual' | 'toFill' | 'overlay' = 'residual'): number {
  let sum = 0, wsum = 0;
  const n = shape.width * shape.height;
  for (const t of tiles) {
    const mx = (u - t.tile.x0) * t.tile.scale;
    const my = (v - t.tile.y0) * t.tile.scale;
    if (mx < 0 || my < 0 || mx > shape.width || my > shape.height) continue;
    const w = Math.max(0.05, Math.min(1, mx / 8, (shape.width - mx) / 8));
    sum += w * bilinear(t[field], c * n, shape.width, shape.height, mx, my);
    wsum += w;
  }
  return wsum ? sum / wsum : 0;
}

/**
 * Feathering: a pixel of the hole takes the full residual when its 3x3 neighbourhood is all hole,
 * about half on a straight edge, little in a corner, so the seam with untouched pixels stays soft.
 */
function featherWeights(hole: Hole): Float32Array {
  const { width: w, height: h } = hole.rect;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!hole.mask[y * w + x]) continue;
      let k = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy >= 0 && xx >= 0 && yy < h && xx < w && hole.mask[yy * w + xx]) k++;
        }
      }
      out[y * w + x] = Math.min(1, Math.max(0, (k / 9 - 1 / 3) * 1.5));
    }
  }
  return out;
}

function compositeHole(out: Buffer, width: number, height: number, hole: Hole, maps: ResidualMaps, tiles: readonly TileResult[], shape: CropShape, senseThreshold: number): void {
  const { x: rx, y: ry, width: rw, height: rh } = hole.rect;
  const feather = featherWeights(hole);
  const cw = width >> 1;
  const uOff = width * height, vOff = uOff + cw * (height >> 1);
  // Pixels the mask head is sure about but the detector left out are replaced by the model's fill
  // outright (weight -1 marks them, field toFill); the hole's own pixels get the feathered correction.
  const weight = (x: number, y: number): number => {
    const f = feather[(y - ry) * rw + x - rx]!;
    if (f > 0 || senseThreshold <= 0) return f;
    return residualAt(tiles, shape, 0, x + 0.5, y + 0.5, 'overlay') > senseThreshold ? -1 : 0;
  };
  const weights = senseThreshold > 0 ? new Float32Array(rw * rh) : feather;
  for (let y = Math.max(0, ry); y < Math.min(height, ry + rh); y++) {
    for (let x = Math.max(0, rx); x < Math.min(width, rx + rw); x++) {
      const k = (y - ry) * rw + x - rx;
      const w = senseThreshold > 0 ? (weights[k] = weight(x, y)) : feather[k]!;
      if (w === 0) continue;
      const i = y * width + x;
      out[i] = clampByte(out[i]! + (w > 0 ? w * maps.y[k]! : residualAt(tiles, shape, 0, x + 0.5, y + 0.5, 'toFill')));
    }
  }
  for (let j = 0; j < maps.ch; j++) {
    const cy = maps.cy0 + j;
    for (let i = 0; i < maps.cw; i++) {
      const cx = maps.cx0 + i;
      let w = 0, sensed = 0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const x = 2 * cx + dx, y = 2 * cy + dy;
          if (x < rx || y < ry || x >= rx + rw || y >= ry + rh || x >= width || y >= height) continue;
          const lw = weights[(y - ry) * rw + x - rx]!;
          if (lw > 0) w += lw / 4;
          else if (lw < 0) sensed++;
        }
      }
      if (w <= 0 && sensed === 0) continue;
      const ci = cy * cw + cx;
      if (w > 0) {
        out[uOff + ci] = clampByte(out[uOff + ci]! + w * maps.u[j * maps.cw + i]!);
        out[vOff + ci] = clampByte(out[vOff + ci]! + w * maps.v[j * maps.cw + i]!);
      } else {
        out[uOff + ci] = clampByte(out[uOff + ci]! + residualAt(tiles, shape, 1, 2 * cx + 1, 2 * cy + 1, 'toFill'));
        out[vOff + ci] = clampByte(out[vOff + ci]! + residualAt(tiles, shape, 2, 2 * cx + 1, 2 * cy + 1, 'toFill'));
      }
    }
  }
}
