import type { VideoFrame } from '../../core/frame.js';
import type { Region } from '../filter.js';
import { readBand, workingSize, type Band } from './subtitle-bands.js';

/**
 * A news ticker: a full-width bar near the bottom whose content scrolls sideways at a steady speed.
 * Two things no scene has together: a horizontal edge that runs across the whole width and stays
 * on the same row while the picture moves, and, between such an edge and the next (or the frame's
 * bottom), rows whose content is the previous frame's shifted sideways by a steady few pixels.
 * The whole bar is the region (opaque or translucent, it covers every pixel of its rows).
 */
export interface TickerParams {
  /** Share of the height, from the bottom, where a bar may start. */
  readonly band: number;
  /** Bar height between these shares of the frame height. */
  readonly minHeight: number;
  readonly maxHeight: number;
  /** Luma step (working resolution) a column must show across a row boundary to count for an edge. */
  readonly edgeStep: number;
  /** Share of recent frames in which a column must show the step: the bar's edge stays, text edges pass. */
  readonly edgeSteadiness: number;
  /** Weight of the newest frame in that share. */
  readonly edgeMemory: number;
  /** Share of the columns whose step is steady, for a row boundary to be a bar edge. */
  readonly edgeCoverage: number;
  /** Largest scroll per frame searched, working pixels. */
  readonly maxShift: number;
  /** A row scrolls when its best sideways shift leaves at most this share of its unshifted difference. */
  readonly shiftGain: number;
  /** Mean luma change (working levels) below which a row is too still to judge. */
  readonly minChange: number;
  /** Weight of the newest frame in each row's running share of scrolling frames. */
  readonly scrollMemory: number;
  /** Frames of steady scrolling before the bar is removed (active). */
  readonly confirmFrames: number;
}

export const DEFAULT_TICKER_PARAMS: TickerParams = {
  band: 0.2,
  minHeight: 0.035,
  maxHeight: 0.14,
  edgeStep: 6,
  edgeSteadiness: 0.8,
  edgeMemory: 0.1,
  edgeCoverage: 0.6,
  maxShift: 6,
  shiftGain: 0.6,
  minChange: 2,
  scrollMemory: 0.2,
  confirmFrames: 6,
};

/** Share of recent frames a row must have scrolled in (sub-pixel speeds make some frames look still). */
const SCROLLING = 0.3;

interface Bar {
  /** Working-resolution rows of the band, end exclusive. */
  readonly y0: number;
  readonly y1: number;
}

export class TickerDetector {
  /** Per band pixel: running share of frames with a step against the pixel above. */
  private steps = new Float32Array(0);
  private coverage = new Float32Array(0);
  /** Per band row: running share of frames in which the row scrolled (signed by direction). */
  private scroll = new Float32Array(0);
  private luma = new Float32Array(0);
  private prev = new Float32Array(0);
  private havePrev = false;
  /** Frames seen at this size: running averages start as plain means, so a bar shows within frames. */
  private seen = 0;
  private bar: Bar | undefined;
  private evidence = 0;
  private region: Region | undefined;
  private size = { width: 0, height: 0 };

  constructor(private readonly params: TickerParams = DEFAULT_TICKER_PARAMS) {}

  observe(frame: VideoFrame): void {
    const p = this.params;
    const ws = workingSize(frame.width, frame.height);
    const w = ws.width, h = ws.height;
    const band: Band = { name: 'bottom', y0: Math.floor(h * (1 - p.band)), y1: h };
    const bh = band.y1 - band.y0;
    if (this.size.width !== frame.width || this.size.height !== frame.height) this.reset(frame.width, frame.height, w, bh);
    [this.prev, this.luma] = [this.luma, this.prev];
    this.seen++;
    readBand(frame, ws.scale, w, band, this.luma, 0, w);
    this.updateCoverage(w, bh);
    if (this.havePrev) this.updateScroll(w, bh);
    this.havePrev = true;
    // The bar found so far is kept while its edges stay and its text still scrolls (once confirmed,
    // while either does: see stillThere), so a gap between headlines does not start the count again.
    const bar = this.bar && this.stillThere(this.bar, bh, this.evidence >= p.confirmFrames) ? this.bar : this.findBar(bh, h);
    const same = bar && this.bar && Math.abs(bar.y0 - this.bar.y0) <= 1 && Math.abs(bar.y1 - this.bar.y1) <= 1;
    this.evidence = bar ? Math.min(2 * p.confirmFrames, (same ? this.evidence : 0) + 1) : Math.max(0, this.evidence - 1);
    if (bar) this.bar = bar;
    if (this.evidence > 0 && this.bar) this.region = this.toRegion(this.bar, band.y0, ws.scale, frame.width, frame.height);
    else if (this.region) this.region = { ...this.region, state: 'lost', confidence: 0 };
  }

  regions(): readonly Region[] {
    return this.region ? [this.region] : [];
  }

  private reset(width: number, height: number, w: number, bh: number): void {
    this.size = { width, height };
    this.steps = new Float32Array(w * bh);
    this.coverage = new Float32Array(bh);
    this.scroll = new Float32Array(bh);
    this.luma = new Float32Array(w * bh);
    this.prev = new Float32Array(w * bh);
    this.havePrev = false;
    this.seen = 0;
    this.bar = undefined;
    this.evidence = 0;
    this.region = undefined;
  }

  /** Per row boundary (row y against y-1): the share of columns whose step has been there in most recent frames. */
  private updateCoverage(w: number, bh: number): void {
    const { edgeStep, edgeSteadiness } = this.params;
    const edgeMemory = Math.max(this.params.edgeMemory, 1 / this.seen);
    for (let y = 1; y < bh; y++) {
      let n = 0;
      for (let x = 0, i = y * w; x < w; x++, i++) {
        const step = Math.abs(this.luma[i]! - this.luma[i - w]!) >= edgeStep ? 1 : 0;
        const rate = (this.steps[i] = (1 - edgeMemory) * this.steps[i]! + edgeMemory * step);
        if (rate >= edgeSteadiness) n++;
      }
      this.coverage[y] = n / w;
    }
  }

  /** Per row: did it move sideways since the previous frame (+1 / -1 by direction, 0 not)? As a running average. */
  private updateScroll(w: number, bh: number): void {
    const { maxShift, shiftGain, minChange } = this.params;
    const scrollMemory = Math.max(this.params.scrollMemory, 1 / (this.seen - 1));
    const n = w - 2 * maxShift;
    for (let y = 0; y < bh; y++) {
      const o = y * w;
      const sad = (d: number): number => {
        let s = 0;
        for (let x = maxShift; x < w - maxShift; x++) s += Math.abs(this.luma[o + x]! - this.prev[o + x + d]!);
        return s;
      };
      const still = sad(0);
      let best = 0, bestSad = still;
      for (let d = -maxShift; d <= maxShift; d++) {
        if (d === 0) continue;
        const s = sad(d);
        if (s < bestSad) [best, bestSad] = [d, s];
      }
      const moved = still >= minChange * n && bestSad <= shiftGain * still ? Math.sign(best) : 0;
      this.scroll[y] = (1 - scrollMemory) * this.scroll[y]! + scrollMemory * moved;
    }
  }

  /**
   * The rows that keep scrolling one way (the ticker's text), widened to the full-width edges
   * around them: the bar's top edge above, its bottom edge or the frame's bottom below.
   */
  private findBar(bh: number, h: number): Bar | undefined {
    let best: { bar: Bar; rows: number } | undefined;
    for (const dir of [1, -1]) {
      for (let y = 0; y < bh; ) {
        if (dir * this.scroll[y]! < SCROLLING) {
          y++;
          continue;
        }
        let end = y;
        while (end < bh && dir * this.scroll[end]! >= SCROLLING) end++;
        // A panning camera moves whole stretches of scene sideways too; only a run framed by steady
        // full-width edges is a bar.
        const bar = this.framed(y, end, bh, h);
        if (bar && (!best || end - y > best.rows)) best = { bar, rows: end - y };
        y = end;
      }
    }
    return best?.bar;
  }

  /**
   * An unconfirmed bar must keep its edges and scroll; a confirmed one stays while either holds.
   * Between two headlines nothing scrolls for a second or more, and the pan can bring scene as
   * dark as the plate right above it, so that its top edge fades: a synthesised ticker pan lost its
   * bar from frame 180 on, and the static detector then took the plate for logos.
   */
  private stillThere(bar: Bar, bh: number, confirmed: boolean): boolean {
    const { edgeCoverage } = this.params;
    const edges = this.coverage[bar.y0]! >= edgeCoverage && (bar.y1 >= bh || this.coverage[bar.y1]! >= edgeCoverage);
    if (!edges && !confirmed) return false;
    if (edges && confirmed) return true;
    for (let y = bar.y0; y < bar.y1; y++) if (Math.abs(this.scroll[y]!) >= SCROLLING) return true;
    return false;
  }

  /** Rows [y0, y1) widened to the steady edges above and below (or the frame's bottom), if they are there. */
  private framed(y0: number, y1: number, bh: number, h: number): Bar | undefined {
    const { edgeCoverage, minHeight, maxHeight } = this.params;
    const reach = Math.ceil(maxHeight * h);
    let top = y0;
    while (top > 0 && y1 - top < reach && this.coverage[top]! < edgeCoverage) top--;
    let bottom = y1;
    while (bottom < bh && bottom - top < reach && this.coverage[bottom]! < edgeCoverage) bottom++;
    if (this.coverage[top]! < edgeCoverage || (bottom < bh && this.coverage[bottom]! < edgeCoverage)) return undefined;
    const height = bottom - top;
    return height >= minHeight * h && height <= maxHeight * h ? { y0: top, y1: bottom } : undefined;
  }

  private toRegion(bar: Bar, bandY: number, s: number, width: number, height: number): Region {
    const y = (bandY + bar.y0) * s;
    const rh = Math.min(height, (bandY + bar.y1) * s) - y;
    return {
      id: 'ticker-0',
      kind: 'ticker',
      rect: { x: 0, y, width, height: rh },
      enabled: true,
      mask: new Uint8Array(width * rh).fill(1),
      confidence: Math.min(1, this.evidence / this.params.confirmFrames),
      state: this.evidence >= this.params.confirmFrames ? 'active' : 'learning',
    };
  }
}
