import type { Rect, VideoFrame } from '../core/frame.js';
import type { FrameWindow } from './frame-window.js';
import type { ModelStats } from './inpaint/model-inpainter.js';

/**
 * A region the filter removes. Manual regions come from config or the control plane; later,
 * detectors add regions of their own kinds.
 */
export interface Region {
  readonly id: string;
  readonly kind: 'manual' | 'logo' | 'subtitle' | 'ticker';
  readonly rect: Rect;
  readonly enabled: boolean;
  /** Detector confidence 0..1; absent for manual regions. */
  readonly confidence?: number;
  /**
   * Detected regions only: which pixels of `rect` are overlay (rect.width * rect.height bytes,
   * row-major, 1 = overlay). Without it the whole rectangle is the region.
   */
  readonly mask?: Uint8Array;
  /** Detected regions only: learning (seen, not yet trusted), active (removed), lost (remembered, not removed). */
  readonly state?: RegionState;
  /** Translucent logos: the blend the de-blend has learned (absent while it has none, and for opaque logos). */
  readonly blend?: RegionBlend;
}

/** What the de-blend has learned of a translucent overlay: `observed = alpha * colour + (1 - alpha) * clean`. */
export interface RegionBlend {
  /** The overlay's alpha, 0..1 (the median over its pixels). */
  readonly alpha: number;
  /** Its colour, `#rrggbb` (from the planes' levels, BT.601 limited range). */
  readonly colour: string;
  /**
   * 'motion': fitted pixel by pixel against the scene the camera showed beside the overlay
   * (detect/motion-deblend.ts); 'ring': from temporal statistics against the ring around it (detect/deblend.ts).
   */
  readonly source: 'motion' | 'ring';
  /** 'motion' only: per pixel of `rect` (row-major), alpha x 255 where solved, 0 elsewhere. */
  readonly matte?: Uint8Array;
}

export type RegionState = 'learning' | 'active' | 'lost';

/** Operator settings a filter may honour (detection sensitivity, model on/off, ...). */
export type FilterSettings = Readonly<Record<string, number | boolean | string>>;

/** What the control plane steers beyond manual regions: meaningful to detecting filters. */
export interface FilterControls {
  /** Ids of detected regions the operator turned off. */
  readonly disabledIds: readonly string[];
  /** Areas where nothing may be detected or filled (part of the scene). */
  readonly exclusions: readonly Rect[];
  readonly settings: FilterSettings;
}

export interface FilterContext {
  /** Recent input frames, newest included (already pushed before `process` is called). */
  readonly window: FrameWindow;
  /**
   * True when the stage is behind its budget: a filter should reuse its previous fill where it
   * can instead of computing a new one (quality degrades before frames are dropped).
   */
  readonly behind: boolean;
  /**
   * The frame queued after this one, when one is already waiting: a filter may start work on it
   * now (detection in a worker) so that it overlaps this frame's fill. It is processed next unless
   * the queue drops it; its buffer is only safe to read synchronously, during this call.
   */
  readonly next?: VideoFrame;
}

export interface FilterResult {
  /** The cleaned picture: same size and layout as the input. May be the input buffer itself. */
  readonly data: Buffer;
  /** True when the filter reused an earlier fill instead of computing this frame's (counted as degraded). */
  readonly degraded: boolean;
}

/**
 * One removal algorithm. Implementations must not keep references to `frame.data` beyond the call
 * unless they copy it: the pipeline may recycle input buffers.
 */
export interface Filter {
  readonly name: string;
  process(frame: VideoFrame, ctx: FilterContext): FilterResult | Promise<FilterResult>;
  /** Replaces the set of manual regions (config or control plane). */
  setRegions?(regions: readonly Region[]): void;
  /** Regions the filter found itself (detectors), with their state; manual ones are not repeated.
   * (Not `regions`: filters already use that name for their manual set.) */
  detectedRegions?(): readonly Region[];
  /** Operator controls; a filter without detection has nothing to apply them to. */
  setControls?(controls: FilterControls): void;
  /**
   * The stage stopped waiting for the call in progress (it missed pipeline.failOpen.deadlineMs) and
   * will not call again until that call settles. A filter working elsewhere (a worker thread) may
   * abort or restart that work here, settling the late call so the filter is back sooner.
   */
  cancel?(): void;
  close?(): void | Promise<void>;
  /** Frames of history the filter reads (the stage's window grows to it); absent: whatever is configured. */
  readonly windowFramesNeeded?: number;
  /** The inpainting model's counters, when the filter runs one. */
  modelStats?(): ModelStats | undefined;
}

/** Leaves every frame untouched: the baseline for latency and quality comparisons. */
export class PassThroughFilter implements Filter {
  readonly name = 'passthrough';
  process(frame: VideoFrame): FilterResult {
    return { data: frame.data, degraded: false };
  }
}
