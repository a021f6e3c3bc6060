import { yuv420pLayout, type VideoFrame } from '../core/frame.js';
import { copyRectIn, copyRectOut } from './fill/patch.js';
import { chooseAxisWeight, fillRect } from './fill/fill-rect.js';
import { yuv420pPlanes } from './fill/plane.js';
import { planeRect, sameRect, type PixelRect } from './fill/rect.js';
import { FillScratch } from './fill/scratch.js';
import type { Filter, FilterContext, FilterResult, Region } from './filter.js';
import type { Hole, ModelInpainter, ModelStats } from './inpaint/index.js';
import { TemporalFill, type TemporalOptions, type TimeKnowledge } from './temporal/index.js';

/** A region resolved against one frame size: its rectangle in Y, U and V. */
interface Placed {
  readonly id: string;
  readonly rects: readonly [PixelRect, PixelRect, PixelRect];
}

/** The last fill of a region, kept so a late pipeline can paste it instead of recomputing. */
interface StoredFill {
  width: number;
  height: number;
  rects: readonly [PixelRect, PixelRect, PixelRect];
  patches: [Uint8Array, Uint8Array, Uint8Array];
}

/** How often each plane's choice of interpolation is re-scored for a region that has not moved (1 s at 30 fps). */
const RECHOOSE_FRAMES = 30;

function place(region: Region, width: number, height: number): Placed | null {
  const luma = planeRect(region.rect, width, height);
  if (!luma) return null;
  const { cWidth, cHeight } = yuv420pLayout(width, height);
  // A chroma sample is refilled when any pixel of its 2x2 luma footprint is: hence outward rounding.
  const lumaRect = { x: luma.x0, y: luma.y0, width: luma.x1 - luma.x0, height: luma.y1 - luma.y0 };
  const u = planeRect(lumaRect, cWidth, cHeight, 2);
  return u ? { id: region.id, rects: [luma, u, u] } : null;
}

function unchanged(prev: StoredFill | undefined, width: number, height: number, rects: Placed['rects']): prev is StoredFill {
  return prev !== undefined && prev.width === width && prev.height === height && rects.every((r, p) => sameRect(r, prev.rects[p]!));
}

export interface ManualRegionOptions {
  /** Copy back what other frames showed behind the rectangles before interpolating the rest (temporal/). */
  readonly temporal?: boolean | Partial<TemporalOptions>;
  /** The temporal inpainting model refining the fill, when configured (pipeline.model). */
  readonly model?: ModelInpainter;
}

/**
 * Removes fixed, operator-given rectangles (logos, bugs, burned-in captions at a known spot) by
 * interpolating each from the pixels around it, in all three planes; with `temporal`, what other
 * frames have shown of the background replaces the interpolation where it can.
 */
export class ManualRegionFilter implements Filter {
  readonly name = 'manual';
  private regions: readonly Region[] = [];
  private readonly temporal: TemporalFill | undefined;
  private known: readonly TimeKnowledge[] = [];
  private readonly scratch = new FillScratch();
  private readonly stored = new Map<string, StoredFill>();
  /** Per region, the axis-interpolation weight chosen for each plane, and for which rectangles. */
  private readonly choices = new Map<string, { rects: Placed['rects']; weights: number[]; age: number }>();

  private readonly model: ModelInpainter | undefined;

  constructor(regions: readonly Region[], opts: ManualRegionOptions = {}) {
    this.model = opts.model;
    this.setRegions(regions);
    this.temporal = opts.temporal ? new TemporalFill(opts.temporal === true ? {} : opts.temporal) : undefined;
  }

  /** Per region filled in the last frame, which of its pixels were copied from earlier frames. */
  knownFromTime(): readonly TimeKnowledge[] {
    return this.known;
  }

  get windowFramesNeeded(): number | undefined {
    return this.model?.windowFrames;
  }

  modelStats(): ModelStats | undefined {
    return this.model?.stats();
  }

  async close(): Promise<void> {
    // What the stream's frames taught is of no use to the next publish (the camera may have moved).
    this.temporal?.reset();
    this.stored.clear();
    this.choices.clear();
    await this.model?.close();
  }

  setRegions(regions: readonly Region[]): void {
    this.regions = [...regions];
    const live = new Set(regions.map((r) => r.id));
    for (const id of this.stored.keys()) if (!live.has(id)) this.stored.delete(id);
    for (const id of this.choices.keys()) if (!live.has(id)) this.choices.delete(id);
  }

  process(frame: VideoFrame, ctx: FilterContext): FilterResult | Promise<FilterResult> {
    const { width, height } = frame;
    const placed: Placed[] = [];
    for (const region of this.regions) {
      const p = region.enabled ? place(region, width, height) : null;
      if (p) placed.push(p);
    }
    const { frameSize } = yuv420pLayout(width, height);
    if (frame.data.length < frameSize) {
      throw new RangeError(`frame ${frame.seq}: yuv420p ${width}x${height} needs ${frameSize} bytes, got ${frame.data.length}`);
    }
    if (placed.length === 0) {
      // Memories of regions that just went away (a caption between cues) keep watching the scene.
      this.known = this.temporal?.apply(frame.data, frame.data, width, height, [], frame.seq) ?? [];
      return { data: frame.data, degraded: false };
    }

    // A fresh buffer per frame: the caller owns the result (an encoder may still be reading the
    // previous one), and the input may be recycled by the pipeline as soon as we return.
    const out = Buffer.allocUnsafe(frameSize);
    frame.data.copy(out, 0, 0, frameSize);
    const planes = yuv420pPlanes(out, width, height);

    let reused = false;
    const filled: Placed[] = [];
    for (let k = 0; k < placed.length; k++) {
      const { id, rects } = placed[k]!;
      const prev = this.stored.get(id);
      if (ctx.behind && unchanged(prev, width, height, rects)) {
        for (let p = 0; p < 3; p++) copyRectIn(planes[p]!, rects[p]!, prev.patches[p]!);
        reused = true;
        continue;
      }
      // Regions after this one still show their logos: their pixels must not serve as border.
      const pending = [0, 1, 2].map((p) => placed.slice(k + 1).map((later) => later.rects[p]!));
      const weights = this.axisWeights(id, rects, planes, pending);
      for (let p = 0; p < 3; p++) fillRect(planes[p]!, rects[p]!, pending[p]!, this.scratch, weights[p]);
      filled.push(placed[k]!);
    }
    // Behind: no time for the memories; they catch up with the camera on the next frame they see.
    if (this.temporal && !ctx.behind) this.known = this.temporal.apply(frame.data, out, width, height, placed, frame.seq);
    for (const { id, rects } of filled) this.store(id, width, height, rects, planes);
    if (!this.model) return { data: out, degraded: reused };
    // The model refines what was interpolated; what an earlier frame showed is exact and stays.
    const holes: Hole[] = placed.map(({ id, rects: [y] }) => {
      const rect = { x: y.x0, y: y.y0, width: y.x1 - y.x0, height: y.y1 - y.y0 };
      const known = this.known.find((k) => k.id === id);
      const mask = new Uint8Array(rect.width * rect.height).fill(1);
      if (known) for (let i = 0; i < mask.length; i++) if (known.known[i]) mask[i] = 0;
      return { id, rect, mask };
    });
    if (ctx.behind) {
      this.model.reuse(frame, holes, out);
      return { data: out, degraded: reused };
    }
    return this.model.refine(frame, ctx.window, holes, out).then(() => ({ data: out, degraded: reused }));
  }

  /**
   * Which interpolation suits the picture around a region is scored on real pixels next to it
   * (chooseAxisWeight: five trial fills of a slightly larger rectangle). That is too costly for
   * every frame, so a region that has not moved re-scores one plane per frame, each plane every
   * RECHOOSE_FRAMES frames; a new or moved region scores all three at once.
   */
  private axisWeights(id: string, rects: Placed['rects'], planes: ReturnType<typeof yuv420pPlanes>, pending: PixelRect[][]): number[] {
    const prev = this.choices.get(id);
    if (prev && rects.every((r, p) => sameRect(r, prev.rects[p]!))) {
      prev.age++;
      const due = prev.age % RECHOOSE_FRAMES;
      if (due < 3) prev.weights[due] = chooseAxisWeight(planes[due]!, rects[due]!, pending[due]!, this.scratch);
      return prev.weights;
    }
    const weights = planes.map((plane, p) => chooseAxisWeight(plane, rects[p]!, pending[p]!, this.scratch));
    this.choices.set(id, { rects, weights, age: 0 });
    return weights;
  }

  /** Copies (never references) the filled pixels, reusing the previous patch arrays when they fit. */
  private store(id: string, width: number, height: number, rects: Placed['rects'], planes: ReturnType<typeof yuv420pPlanes>): void {
    const old = this.stored.get(id)?.patches;
    const patches = planes.map((plane, p) => copyRectOut(plane, rects[p]!, old?.[p])) as StoredFill['patches'];
    this.stored.set(id, { width, height, rects, patches });
  }
}
