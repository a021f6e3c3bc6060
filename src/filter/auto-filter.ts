import { yuv420pLayout, type Rect, type VideoFrame } from '../core/frame.js';
import { StaticOverlayDetector, type StaticDetectorOptions } from './detect/index.js';
import { dilate } from './detect/mask-ops.js';
import { fillRect, FillScratch, planeRect, yuv420pPlanes, type PixelRect, type Plane } from './fill/index.js';
import type { Filter, FilterContext, FilterControls, FilterResult, Region } from './filter.js';

/** Extra pixels filled around a detected mask: anti-aliased edges sit just outside what the statistics see. */
const MASK_GROW_PX = 1;
/** Clean ring between a mask and the rectangle the fill interpolates from. */
const FILL_MARGIN_PX = 2;

/** A region ready to fill on one frame size: its fill rectangles and its per-pixel luma mask. */
interface Target {
  readonly rects: readonly [PixelRect, PixelRect, PixelRect];
  /** Luma mask over rects[0] (1 = replace), already grown. */
  readonly mask: Uint8Array;
}

/**
 * Mask-free removal: finds static overlays itself (see detect/) and fills them, together with any
 * manual regions. Only pixels inside a region's mask change, so the picture between the strokes
 * of a logo and around it stays the original; user exclusion zones never change at all.
 */
export class AutoFilter implements Filter {
  readonly name = 'auto';
  private readonly detector: StaticOverlayDetector;
  private manual: readonly Region[] = [];
  private disabled = new Set<string>();
  private exclusions: readonly Rect[] = [];
  private readonly scratch = new FillScratch();

  constructor(opts: Partial<StaticDetectorOptions> = {}) {
    this.detector = new StaticOverlayDetector(opts);
    this.exclusions = opts.exclusions ?? [];
  }

  setRegions(regions: readonly Region[]): void {
    this.manual = [...regions];
  }

  setControls(controls: FilterControls): void {
    this.disabled = new Set(controls.disabledIds);
    this.exclusions = [...controls.exclusions];
    this.detector.setExclusions(this.exclusions);
  }

  /** Detected regions with their state; `enabled` reflects the operator's switches. */
  detectedRegions(): readonly Region[] {
    return this.detector.regions().map((r) => ({ ...r, enabled: !this.disabled.has(r.id) }));
  }

  /** True while the detector has not yet seen enough background change to trust anything. */
  get learning(): boolean {
    return this.detector.learning;
  }

  process(frame: VideoFrame, ctx: FilterContext): FilterResult {
    const { width, height } = frame;
    const { frameSize } = yuv420pLayout(width, height);
    if (frame.data.length < frameSize) throw new RangeError(`frame ${frame.seq}: yuv420p ${width}x${height} needs ${frameSize} bytes, got ${frame.data.length}`);
    // Detection is what can wait: a late pipeline keeps removing what is known.
    if (!ctx.behind) this.detector.observe(frame);
    const targets: Target[] = [];
    for (const r of this.manual) if (r.enabled) pushTarget(targets, r, width, height);
    for (const r of this.detectedRegions()) if (r.enabled && r.state === 'active') pushTarget(targets, r, width, height);
    if (targets.length === 0) return { data: frame.data, degraded: ctx.behind };

    const out = Buffer.allocUnsafe(frameSize);
    frame.data.copy(out, 0, 0, frameSize);
    const work = Buffer.from(out);
    const outPlanes = yuv420pPlanes(out, width, height);
    const workPlanes = yuv420pPlanes(work, width, height);
    const keep = this.exclusionMask(width, height);
    targets.forEach((t, k) => {
      for (let p = 0; p < 3; p++) {
        const pending = targets.slice(k + 1).map((later) => later.rects[p]!);
        if (fillRect(workPlanes[p]!, t.rects[p]!, pending, this.scratch)) copyMasked(workPlanes[p]!, outPlanes[p]!, t, p === 0 ? 1 : 2, keep, width);
      }
    });
    return { data: out, degraded: ctx.behind };
  }

  private exclusionMask(width: number, height: number): Uint8Array | undefined {
    if (this.exclusions.length === 0) return undefined;
    const m = new Uint8Array(width * height);
    for (const r of this.exclusions) {
      const pr = planeRect(r, width, height);
      if (pr) for (let y = pr.y0; y < pr.y1; y++) m.fill(1, y * width + pr.x0, y * width + pr.x1);
    }
    return m;
  }
}

function pushTarget(targets: Target[], region: Region, width: number, height: number): void {
  const { rect } = region;
  const mask = region.mask ?? new Uint8Array(rect.width * rect.height).fill(1);
  const grown = dilateInto(mask, rect, MASK_GROW_PX + FILL_MARGIN_PX, MASK_GROW_PX);
  const luma = planeRect(grown.rect, width, height);
  if (!luma) return;
  const { cWidth, cHeight } = yuv420pLayout(width, height);
  const chroma = planeRect({ x: luma.x0, y: luma.y0, width: luma.x1 - luma.x0, height: luma.y1 - luma.y0 }, cWidth, cHeight, 2);
  if (!chroma) return;
  // The mask is re-cut to the clipped luma rectangle so indices line up with the plane.
  const lw = luma.x1 - luma.x0;
  const cut = new Uint8Array(lw * (luma.y1 - luma.y0));
  for (let y = luma.y0; y < luma.y1; y++) {
    for (let x = luma.x0; x < luma.x1; x++) cut[(y - luma.y0) * lw + x - luma.x0] = grown.mask[(y - grown.rect.y) * grown.rect.width + x - grown.rect.x]!;
  }
  targets.push({ rects: [luma, chroma, chroma], mask: cut });
}

/** Pads the mask by `pad` on every side and dilates it by `grow` pixels inside that padding. */
function dilateInto(mask: Uint8Array, rect: Rect, pad: number, grow: number): { rect: Rect; mask: Uint8Array } {
  const w = rect.width + 2 * pad, h = rect.height + 2 * pad;
  const padded = new Uint8Array(w * h);
  for (let y = 0; y < rect.height; y++) padded.set(mask.subarray(y * rect.width, (y + 1) * rect.width), (y + pad) * w + pad);
  return { rect: { x: rect.x - pad, y: rect.y - pad, width: w, height: h }, mask: dilate(padded, w, h, grow) };
}

/** Copies filled pixels under the target's mask (chroma: any of the 2x2 luma pixels) from `src` to `dst`, sparing kept pixels. */
function copyMasked(src: Plane, dst: Plane, t: Target, sub: 1 | 2, keep: Uint8Array | undefined, lumaWidth: number): void {
  const r = t.rects[sub === 1 ? 0 : 1]!;
  const luma = t.rects[0]!;
  const lw = luma.x1 - luma.x0, lh = luma.y1 - luma.y0;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      let hit = false, kept = false;
      for (let dy = 0; dy < sub; dy++) {
        for (let dx = 0; dx < sub; dx++) {
          const ly = y * sub + dy - luma.y0, lx = x * sub + dx - luma.x0;
          if (lx < 0 || ly < 0 || lx >= lw || ly >= lh) continue;
          if (t.mask[ly * lw + lx]) hit = true;
          if (keep?.[(y * sub + dy) * lumaWidth + x * sub + dx]) kept = true;
        }
      }
      if (!hit || kept) continue;
      const o = y * src.width + x;
      dst.data[dst.offset + o] = src.data[src.offset + o]!;
    }
  }
}
