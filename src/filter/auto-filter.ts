import { bt601ToRgb, yuv420pLayout, type Rect, type VideoFrame } from '../core/frame.js';
import { BackgroundMaps, DEFAULT_DEBLEND_PARAMS, PlaneMoments, deblendPixel, regionSlope, type DeblendParams } from './detect/deblend.js';
import { MotionReference } from './detect/motion-deblend.js';
import type { StaticDetectorOptions } from './detect/index.js';
import { DetectorThread, type LogoSnapshot } from './detect/detector-thread.js';
import { DEFAULT_SUBTITLE_PARAMS, SubtitleDetector, type SubtitleParams } from './detect/subtitles.js';
import { CaptionFinder } from './detect/caption-finder.js';
import { DEFAULT_LOGO_NET_PARAMS, isLogoNetRegion, LogoNetFinder, type LogoNetParams } from './detect/logo-net.js';
import { DEFAULT_TICKER_PARAMS, TickerDetector, type TickerParams } from './detect/ticker.js';
import { dilate } from './detect/mask-ops.js';
import type { DetectionMemory } from './detect/memory.js';
import { fillMask, fillRect, FillScratch, MaskFillScratch, planeRect, yuv420pPlanes, type PixelRect, type Plane } from './fill/index.js';
import type { Filter, FilterContext, FilterControls, FilterResult, FilterSettings, Region, RegionBlend } from './filter.js';
import { TemporalFill, type TemporalOptions, type TemporalTimings, type TimeKnowledge } from './temporal/index.js';
import { chromaZoom, type Zoom } from './temporal/zoom.js';
import { holeFromPixels, type Hole, type ModelInpainter, type ModelStats } from './inpaint/index.js';

/** Extra pixels filled around a detected mask: anti-aliased edges sit just outside what the statistics see. */
const MASK_GROW_PX = 1;
/** Clean ring between a mask and the rectangle the fill interpolates from. */
const FILL_MARGIN_PX = 2;
/** Frames a pixel must be seen uncovered before the temporal fill remembers it (see TemporalOptions.settleFrames). */
const AUTO_SETTLE_FRAMES = 6;

/** A region ready to fill on one frame size: its fill rectangles and its per-pixel luma mask. */
interface Target {
  /** The region's id: the model keeps its per-region state (residuals) under it. */
  readonly id: string;
  readonly rects: readonly [PixelRect, PixelRect, PixelRect];
  /** Luma mask over rects[0] (1 = replace), already grown. */
  readonly mask: Uint8Array;
  /** Detected overlays may be translucent and are worth de-blending; manual boxes are filled. */
  readonly deblend: boolean;
  /** A caption line: when its mask is a solid box (a boxed caption) it is filled as a box. */
  readonly caption: boolean;
}

/**
 * Mask-free removal: finds static overlays and captions itself (see detect/), inverts the blend of
 * translucent logos where it can and fills the rest, together with any manual regions. Only pixels
 * inside a region's mask change, so the picture between the strokes of a logo and around it stays
 * the original; user exclusion zones never change at all. When the stage is behind, detection is
 * skipped for that frame (reported as degraded) and what is known is still removed.
 */
/** What the mask-free filter finds besides static logos; each `false` turns that finder off. */
export interface AutoOverlayOptions {
  deblend?: Partial<DeblendParams> | false;
  /** Parameters of the classical caption detector (used when the caption model cannot run). */
  subtitles?: Partial<SubtitleParams> | false;
  /** The caption segmentation model (default models/subtitle-seg.onnx); false: the classical detector only. */
  subtitleModel?: string | false;
  /**
   * The logo segmentation model (default models/logo-seg.onnx), which finds logos by their look
   * where the statistics cannot (a still shot, a drifting bug); false: the statistics only.
   */
  logoModel?: string | false;
  logoNet?: Partial<LogoNetParams>;
  ticker?: Partial<TickerParams> | false;
  /** The temporal inpainting model refining the fill, when configured (pipeline.model). */
  model?: ModelInpainter;
}

/** Operator switches (control plane `settings.set`): detection keeps learning; only removal follows them. */
interface LiveSwitches {
  logos: boolean;
  subtitles: boolean;
  deblend: boolean;
}

/** Settings are free-form for the control plane; only booleans named here mean something to this filter. */
function liveSwitches(settings: FilterSettings): LiveSwitches {
  const on = (name: string): boolean => settings[name] !== false;
  return { logos: on('logos'), subtitles: on('subtitles'), deblend: on('deblend') };
}

/** What the filter has learned of a stream, parked across a publisher's reconnect. */
export interface LearnedState {
  /** The logo detector's worker, with the statistics it holds. */
  readonly detector: DetectorThread;
  readonly blend: { width: number; height: number; planes: PlaneMoments[] } | undefined;
  readonly ticker: TickerDetector | undefined;
  /** The logo net, its worker and the regions it tracks. */
  readonly logoNet: LogoNetFinder | undefined;
  /** Which of those regions lay over a caption (AutoFilter.overCaptions). */
  readonly overCaptions?: ReadonlySet<string>;
}

/** Ends the workers of a parked state nobody took back (DetectionMemory's drop). */
export function releaseLearned(state: LearnedState): Promise<void> {
  return Promise.all([state.detector.close(), state.logoNet?.close()]).then(() => undefined);
}

export type AutoFilterOptions = Partial<StaticDetectorOptions> & AutoOverlayOptions & {
  temporal?: boolean | Partial<TemporalOptions>;
  /** Where the stream `key`'s learned state is parked on close and found again on the next publish. */
  memory?: { readonly key: string; readonly store: DetectionMemory<LearnedState> };
};

export class AutoFilter implements Filter {
  readonly name = 'auto';
  private detector: DetectorThread;
  private readonly detectorOptions: Partial<StaticDetectorOptions>;
  /**
   * Captions found in the last frame looked at, kept here: the next frame's search, started early,
   * may finish while this frame still waits on the logo detector.
   */
  private captions: readonly Region[] = [];
  /**
   * The logo net's regions (ids) that lay over a caption at some point: a boxed caption's words on
   * their box look like a logo on its plate (bench video-translucent-logo-subs-0), and the region
   * outlives the cue. A look-alike over a caption is the caption's, then and later.
   */
  private readonly overCaptions: Set<string>;
  /** What the logo detector reported after the last frame it looked at. */
  private logos: LogoSnapshot;
  private readonly subtitles: CaptionFinder | undefined;
  private readonly logoNet: LogoNetFinder | undefined;
  private readonly ticker: TickerDetector | undefined;
  private manual: readonly Region[] = [];
  private disabled = new Set<string>();
  private exclusions: readonly Rect[] = [];
  /** De-blending configured at start; the operator can switch it off live (settings.deblend). */
  private readonly deblendConfigured: boolean;
  private switches: LiveSwitches = { logos: true, subtitles: true, deblend: true };
  private readonly scratch = new FillScratch();
  private readonly maskScratch = new MaskFillScratch();
  private blend: { width: number; height: number; planes: PlaneMoments[] } | undefined;
  private readonly maps = new BackgroundMaps();
  /** Frames in a row the pipeline has said it is behind. */
  private behindRun = 0;
  /** Scratch frame the spatial and temporal fills write into before the chosen pixels go to the output. */
  private work = Buffer.alloc(0);
  /** The caption search started on the frame queued after the last one (FilterContext.next). */
  private early: { frame: VideoFrame; done: Promise<void> } | undefined;
  /** The logo detector's look at that frame, posted to its worker while this thread fills the current one. */
  private earlyLogos: { frame: VideoFrame; done: Promise<LogoSnapshot> } | undefined;
  /**
   * Each target plane's (1-a), recomputed every SLOPE_EVERY frames: it is a median over a 120-frame
   * window and moves slowly, and working it out (ring interpolation, a sort of every pixel's slope)
   * was the filter's largest single cost at 720p. A refused slope (an opaque logo) also skips the
   * per-pixel work until the next look.
   */
  private readonly slopes = new Map<string, { slope: number | undefined; age: number }>();
  /**
   * Each de-blended target plane's snapshots and solved background (detect/motion-deblend.ts): under
   * a slow pan the ring-interpolated temporal mean still holds the scene's detail; the camera's
   * motion gives the exact level instead.
   */
  private readonly references = new Map<string, { ref: MotionReference; seq: number }>();
  /** Per de-blended target plane, what its blend says of the overlay: alpha and colour level (reported on the region). */
  private readonly blends = new Map<string, { alpha: number; level: number; source: RegionBlend['source'] }>();
  /** Per region, the last matte built from its luma reference (rebuilt when the solve or the rectangle changes). */
  private readonly mattes = new Map<string, { key: string; matte: Uint8Array }>();
  /**
   * Per region, the target last built from it and the plane pixels under it. A static logo's mask
   * and rectangle stay the same for many frames; growing the mask and listing its pixels again on
   * every frame cost as much as the de-blend slope did. Rebuilt when the rectangle, the mask's
   * content, the frame size or the exclusion zones change.
   */
  private readonly targets = new Map<string, { key: string; mask: Uint8Array | undefined; target: Target | undefined; exclusions: readonly Rect[]; pixels: (number[] | undefined)[] }>();
  /**
   * Per filled (not de-blended) target, the values its pixels got in the last frame that computed
   * them: while the stage is behind, an unchanged target takes them again instead of being filled
   * afresh, a few times and while they are recent (see keptFill).
   */
  private readonly fills = new Map<string, StoredFill>();
  private readonly deblendParams: DeblendParams;
  /** Copies back what other frames showed behind the targets before the spatial fill is used (temporal/). */
  private readonly temporal: TemporalFill | undefined;
  private known: readonly TimeKnowledge[] = [];

  /** The temporal inpainting model refining the fill, when configured (pipeline.model). */
  private readonly model: ModelInpainter | undefined;
  private readonly memory: AutoFilterOptions['memory'];

  constructor(opts: AutoFilterOptions = {}) {
    this.memory = opts.memory;
    this.model = opts.model;
    const learned = opts.memory?.store.take(opts.memory.key);
    this.detectorOptions = opts;
    this.detector = learned?.detector ?? new DetectorThread(opts);
    this.logos = this.detector.last;
    this.blend = learned?.blend;
    this.overCaptions = new Set(learned?.overCaptions);
    const classical = () => new SubtitleDetector({ ...DEFAULT_SUBTITLE_PARAMS, ...opts.subtitles });
    this.subtitles = opts.subtitles === false ? undefined : new CaptionFinder(opts.subtitleModel ?? undefined, classical);
    if (opts.logoModel === false) void learned?.logoNet?.close();
    this.logoNet = opts.logoModel === false ? undefined : learned?.logoNet ?? new LogoNetFinder(opts.logoModel, { ...DEFAULT_LOGO_NET_PARAMS, ...opts.logoNet });
    this.ticker = opts.ticker === false ? undefined : learned?.ticker ?? new TickerDetector({ ...DEFAULT_TICKER_PARAMS, ...opts.ticker });
    this.deblendParams = { ...DEFAULT_DEBLEND_PARAMS, ...(opts.deblend || {}) };
    this.deblendConfigured = opts.deblend !== false;
    this.exclusions = opts.exclusions ?? [];
    // Detected holes arrive late or blink out for a frame: pixels settle before they are remembered.
    this.temporal = opts.temporal ? new TemporalFill({ settleFrames: AUTO_SETTLE_FRAMES, ...(opts.temporal === true ? {} : opts.temporal) }) : undefined;
  }

  /** Per target filled in the last frame, which of its pixels were copied from earlier frames. */
  knownFromTime(): readonly TimeKnowledge[] {
    return this.known;
  }

  setRegions(regions: readonly Region[]): void {
    this.manual = [...regions];
  }


  setControls(controls: FilterControls): void {
    this.disabled = new Set(controls.disabledIds);
    this.exclusions = [...controls.exclusions];
    this.detector.setExclusions(this.exclusions);
    this.switches = liveSwitches(controls.settings);
  }

  /** Detected regions with their state; `enabled` reflects the operator's switches. */
  detectedRegions(): readonly Region[] {
    const tickers = this.ticker?.regions() ?? [];
    // A ticker's headlines look like captions to the caption finder, and its fixed plate (and the
    // gaps between headlines) like logos to the static detector: the bar is removed whole, as one
    // region the operator can switch. The static detector also draws the bar's long edges as thin
    // full-width strips that straddle them.
    // (A followed logo's box may hang over the frame's side: only what is on screen counts.)
    const inTicker = (r: Region) =>
      tickers.some((t) => {
        if (t.state !== 'active') return false;
        const x0 = Math.max(r.rect.x, t.rect.x), x1 = Math.min(r.rect.x + r.rect.width, t.rect.x + t.rect.width);
        if (x1 <= x0) return false;
        const shown = { ...r.rect, x: x0, width: x1 - x0 };
        return insideShare(shown, t.rect) > 0.5 || (shown.width > t.rect.width / 2 && insideShare(shown, grownRect(t.rect, t.rect.height / 2)) > 0.5);
      });
    const captions = this.captions.filter((c) => !inTicker(c));
    const logos = this.logos.regions.filter((l) => !inTicker(l)).map((l) => {
      const blend = this.regionBlend(l);
      return blend ? { ...l, blend } : l;
    });
    // The statistics' regions come first where both found a logo: they are followed as they move
    // and carry the de-blend. A look-alike over a caption is the caption's.
    const looks = (this.logoNet?.regions() ?? []).filter((n) => !inTicker(n) && !this.logos.regions.some((l) => overlapsActive(n, l)) && !this.overCaptions.has(n.id) && !captions.some((c) => overlapsActive(n, c)));
    const found = [...logos, ...looks, ...tickers, ...captions];
    return found.map((r) => ({ ...r, enabled: !this.disabled.has(r.id) && !this.excluded(r) }));
  }

  /** Which caption finder runs: the segmentation net, or the classical detector when the model cannot run (and why). */
  get subtitleEngine(): { engine: 'net' | 'classical' | 'none'; reason?: string } {
    return this.subtitles?.engine ?? { engine: 'none' };
  }

  /** Why the logo net stopped (its model did not load, or kept failing); undefined while it runs or is off. */
  get logoNetStopped(): string | undefined {
    return this.logoNet?.stopped;
  }

  /** True while the detector has not yet seen enough background change to trust anything. */
  get learning(): boolean {
    return this.logos.learning;
  }

  get windowFramesNeeded(): number | undefined {
    return this.model?.windowFrames;
  }

  modelStats(): ModelStats | undefined {
    return this.model?.stats();
  }

  /** Where the temporal fill's time went (see TemporalTimings); undefined without one. */
  get temporalTimings(): TemporalTimings | undefined {
    return this.temporal?.timings;
  }

  async process(frame: VideoFrame, ctx: FilterContext): Promise<FilterResult> {
    const { width, height } = frame;
    const { frameSize } = yuv420pLayout(width, height);
    if (frame.data.length < frameSize) throw new RangeError(`frame ${frame.seq}: yuv420p ${width}x${height} needs ${frameSize} bytes, got ${frame.data.length}`);
    // Detection is what can wait: a late pipeline keeps removing what is known (the last captions
    // too) and looks again on one frame in BEHIND_LOOK_EVERY, so a machine that stays behind still
    // finds a new caption within a fraction of a second and a new logo eventually. Captions change
    // from one frame to the next: with time to spare they are looked for on every frame. The net
    // runs in its worker while this thread does the rest of the detection.
    this.behindRun = ctx.behind ? this.behindRun + 1 : 0;
    if (this.detector.failed) this.restartDetector();
    const look = this.behindRun % BEHIND_LOOK_EVERY === 0;
    // With the next frame already queued its captions were started during the last frame's fill
    // (the net's worker then runs beside this thread instead of being waited for), and this
    // frame's fill overlaps the next frame's net in turn.
    const early = this.early?.frame === frame ? this.early.done : undefined;
    this.early = undefined;
    // The logo detector runs in its worker likewise, and with the next frame queued it looks at
    // that one while this thread fills this one.
    const earlyLogos = this.earlyLogos?.frame === frame ? this.earlyLogos.done : undefined;
    this.earlyLogos = undefined;
    const logoLook = earlyLogos ?? (look ? this.detector.observe(frame) : undefined);
    this.startEarlyLogos(ctx);
    const captions = early ?? (look ? this.subtitles?.observe(frame) : undefined);
    // The captions known so far (last frame's): what the net finds over them is theirs (see noteOverCaptions).
    const logoNetLook = look ? this.logoNet?.observe(frame, this.captions.filter((c) => c.state === 'active').map((c) => c.rect)) : undefined;
    this.ticker?.observe(frame);
    if (captions) {
      await captions;
      this.captions = this.subtitles!.regions();
      this.startEarly(ctx);
    }
    if (logoLook) this.logos = await logoLook;
    await logoNetLook;
    this.noteOverCaptions();
    const targets: Target[] = [];
    const add = (r: Region, deblend: boolean) => {
      const t = this.targetOf(r, width, height, deblend);
      if (t) targets.push(t);
    };
    for (const r of this.manual) if (r.enabled) add(r, false);
    const { logos, subtitles, deblend } = this.switches;
    for (const r of this.detectedRegions()) {
      if (!r.enabled || r.state !== 'active' || !(r.kind === 'subtitle' ? subtitles : logos)) continue;
      add(r, deblend && this.deblendConfigured && r.kind === 'logo');
    }
    if (targets.length === 0) {
      // Memories of targets that just went away (a caption between cues) keep watching the scene.
      this.known = ctx.behind ? [] : this.temporal?.apply(frame.data, frame.data, width, height, [], frame.seq) ?? [];
      return { data: frame.data, degraded: ctx.behind };
    }

    const out = Buffer.allocUnsafe(frameSize);
    frame.data.copy(out, 0, 0, frameSize);
    // The spatial fills' scratch frame is kept between frames: a fresh 1.4 MB buffer a frame at 720p
    // was a good part of what the garbage collector had to do.
    if (this.work.length !== frameSize) this.work = Buffer.allocUnsafe(frameSize);
    const work = this.work;
    out.copy(work);
    const outPlanes = yuv420pPlanes(out, width, height);
    const workPlanes = yuv420pPlanes(work, width, height);
    const inPlanes = yuv420pPlanes(frame.data, width, height);
    const keep = this.exclusionMask(width, height);
    const blend = this.blendStats(width, height);
    // Behind, reusing the last fill is the quality given up first (the spatial fill of a caption band
    // was the largest single cost of a degraded frame). Only a few frames in a row: under a pan a fill
    // held longer drifts off the scene around it. A look while behind gives a caption a slightly
    // different mask (the net's output moves with the scene under it), so a new target: its
    // region's last fill still holds where both masks agree, and only the rest is filled.
    const kept = targets.map((t) => (ctx.behind && !t.deblend ? this.keptFill(t, frame.seq, width) : undefined));
    const spatial = targets.map((t, k) => [0, 1, 2].map((p) => {
      const later = targets.slice(k + 1).map((l) => l.rects[p]!);
      const r = t.rects[p]!;
      const last = kept[k];
      if (last) {
        // Into the scratch frame, like a fill: later targets read it as the scene around them.
        const plane = workPlanes[p]!;
        const missing = writeKnown(plane, this.pixelsOf(t, p === 0 ? 1 : 2, keep, width, plane.width), last.pixels[p]!, last.values[p]!);
        return missing.length === 0 || fillMask(plane, r, fillDomain(r, missing, plane.width, later), MASK_FILL_SWEEPS, this.maskScratch);
      }
      const domain = fillDomain(r, this.pixelsOf(t, p === 0 ? 1 : 2, keep, width, workPlanes[p]!.width), workPlanes[p]!.width, later);
      // A boxed caption found a little smaller than its plate would be filled from the plate's own
      // edge: filled as a box, from the border of its grown rectangle, it is not (bench:
      // video-translucent-logo-subs-1, a boxed CJK caption, 20.65 dB filled as a mask, 23.57 as a
      // box). Logos and ticker bars, solid or not, measured better filled as masks (quick bench,
      // true masks: pan-opaque-logo 24.55 dB against 22.82; full bench tickers 24.48 against 24.25).
      if (t.caption && knownInside(domain, r.x1 - r.x0, r.y1 - r.y0, p === 0 ? FILL_MARGIN_PX : 1) < SOLID_KNOWN_SHARE * (r.x1 - r.x0) * (r.y1 - r.y0)) return fillRect(workPlanes[p]!, r, later, this.scratch);
      return fillMask(workPlanes[p]!, r, domain, MASK_FILL_SWEEPS, this.maskScratch);
    }));
    // What earlier frames showed replaces the spatial fill where known; de-blending still comes first.
    // The logo net's regions are filled spatially only. It finds a logo in the first second, while a
    // pan is still slow, and the memory started then pasted misregistered scene into the logo seconds
    // later (bench pan-opaque-logo-0: 19.29 dB inside overlays without the net, 18.22 with its regions
    // in the temporal fill, 19.61 without; with the temporal fill off the net changed nothing after
    // the first second). Where it is the only finder (a still shot, a drifting bug over a still
    // camera) the scene behind rarely shows anyway.
    const remembered = targets.filter((t) => !isLogoNetRegion(t.id));
    this.known = this.temporal && !ctx.behind ? this.temporal.apply(frame.data, work, width, height, remembered, frame.seq) : [];
    const holes: Hole[] = [];
    // This frame's camera step, for the de-blend's motion references (none while behind: the temporal fill did not run).
    const step = this.temporal && !ctx.behind ? this.temporal.cameraStep : undefined;
    targets.forEach((t, k) => {
      for (let p = 0; p < 3; p++) {
        if (!spatial[k]![p]) continue;
        const pixels = this.pixelsOf(t, p === 0 ? 1 : 2, keep, width, workPlanes[p]!.width);
        const filled = t.deblend ? this.writeDeblended(`${t.id}:${p}`, blend[p]!, t.rects[p]!, pixels, inPlanes[p]!, workPlanes[p]!, outPlanes[p]!, frame.seq, step && (p === 0 ? step : chromaZoom(step))) : pixels;
        if (!t.deblend) for (const i of pixels) outPlanes[p]!.data[outPlanes[p]!.offset + i] = workPlanes[p]!.data[workPlanes[p]!.offset + i]!;
        // Only what was interpolated is the model's to refine: de-blended pixels are recovered and
        // pixels an earlier frame showed are copied, not guessed.
        if (p === 0 && this.model) holes.push(holeFromPixels(t.id, t.rects[0]!, this.guessedOnly(t, filled, width), width));
      }
      const last = kept[k];
      if (last?.target === t) last.reuses++;
      // Carried over to a new mask, it is as old as the fill it came from, and counts as a use of it.
      else if (last) this.keepFill(t, outPlanes, keep, width, last.seq, last.reuses + 1);
      else if (!t.deblend && spatial[k]!.every(Boolean)) this.keepFill(t, outPlanes, keep, width, frame.seq, 0);
      else this.fills.delete(t.id);
    });
    // What was kept per target (id) or per target plane (`id:plane`) goes with the target.
    const planeOf = (key: string, deblendOnly: boolean) => targets.some((t) => (!deblendOnly || t.deblend) && key.startsWith(`${t.id}:`));
    const isTarget = (id: string) => targets.some((t) => t.id === id);
    dropStale(this.slopes, (key) => planeOf(key, false));
    dropStale(this.references, (key) => planeOf(key, true));
    dropStale(this.blends, (key) => planeOf(key, true));
    dropStale(this.mattes, isTarget);
    dropStale(this.targets, isTarget);
    dropStale(this.fills, isTarget);
    if (!this.model) return { data: out, degraded: ctx.behind };
    // Behind: the model (which may wait up to its deadline) is skipped like detection; its last residuals still apply.
    if (ctx.behind) {
      this.model.reuse(frame, holes, out);
      return { data: out, degraded: true };
    }
    return this.model.refine(frame, ctx.window, holes, out).then(() => ({ data: out, degraded: false }));
  }

  /**
   * The last fill of `t`'s region, if it may be used again for frame `seq`: same exclusions and
   * frame size, used again fewer than REUSE_FILL_FRAMES times, and made at most
   * MAX_REUSED_AGE_FRAMES frames before (a target that went away and came back gets a fresh fill).
   * The age allows for dropped frames in between: the stage drops only when far behind, where a
   * fresh fill is the last thing to spend on. `t` may be the fill's own target or a new one for
   * the same region (its mask changed).
   */
  private keptFill(t: Target, seq: number, width: number): StoredFill | undefined {
    const f = this.fills.get(t.id);
    return f && f.width === width && f.exclusions === this.exclusions && f.reuses < REUSE_FILL_FRAMES && seq > f.seq && seq - f.seq <= MAX_REUSED_AGE_FRAMES ? f : undefined;
  }

  /** Copies what `t`'s pixels got in `out`, reusing the arrays of its last fill where they fit. */
  private keepFill(t: Target, out: readonly Plane[], keep: Uint8Array | undefined, width: number, seq: number, reuses: number): void {
    const old = this.fills.get(t.id)?.values;
    const pixels = [0, 1, 2].map((p) => this.pixelsOf(t, p === 0 ? 1 : 2, keep, width, out[p]!.width)) as [readonly number[], readonly number[], readonly number[]];
    const values = pixels.map((list, p) => {
      const v = old?.[p]?.length === list.length ? old[p]! : new Uint8Array(list.length);
      const plane = out[p]!;
      for (let i = 0; i < list.length; i++) v[i] = plane.data[plane.offset + list[i]!]!;
      return v;
    }) as [Uint8Array, Uint8Array, Uint8Array];
    this.fills.set(t.id, { target: t, exclusions: this.exclusions, pixels, values, seq, reuses, width });
  }

  /** Remembers which of the logo net's regions lie over a caption now; forgets those the net no longer has. */
  private noteOverCaptions(): void {
    const looks = this.logoNet?.regions() ?? [];
    for (const n of looks) if (this.captions.some((c) => overlapsActive(n, c))) this.overCaptions.add(n.id);
    for (const id of this.overCaptions) if (!looks.some((n) => n.id === id)) this.overCaptions.delete(id);
  }

  /** Starts the caption search on the queued next frame (not while behind: then it looks at few frames). */
  private startEarly(ctx: FilterContext): void {
    if (!ctx.next || ctx.behind || !this.subtitles) return;
    const done = this.subtitles.observe(ctx.next);
    // Awaited when that frame comes; if the queue drops it instead, a failure must not go unhandled.
    done.catch(() => undefined);
    this.early = { frame: ctx.next, done };
  }

  /**
   * A logo detector whose worker died (its error went out with the frame it was looking at, which
   * passed unfiltered) is started afresh: what it had learned is lost, the stream is filtered again.
   */
  private restartDetector(): void {
    void this.detector.close();
    this.detector = new DetectorThread({ ...this.detectorOptions, exclusions: this.exclusions });
    this.logos = this.detector.last;
    this.earlyLogos = undefined;
  }

  /** Posts the queued next frame to the logo detector (not while behind: then it looks at few frames). */
  private startEarlyLogos(ctx: FilterContext): void {
    if (!ctx.next || ctx.behind) return;
    const done = this.detector.observe(ctx.next);
    done.catch(() => undefined);
    this.earlyLogos = { frame: ctx.next, done };
  }

  /** Of a target's filled luma pixels, those no earlier frame showed (the temporal fill did not copy). */
  private guessedOnly(t: Target, pixels: readonly number[], width: number): readonly number[] {
    const known = this.known.find((k) => k.id === t.id);
    if (!known) return pixels;
    const r = known.rect, w = r.x1 - r.x0;
    return pixels.filter((i) => {
      const y = Math.floor(i / width), x = i - y * width;
      return !(x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1 && known.known[(y - r.y0) * w + x - r.x0]);
    });
  }

  /**
   * Learns the blend from the region's temporal statistics, then writes the inverted blend where
   * the overlay is translucent enough and the fill elsewhere (opaque core, anti-aliased edge,
   * short evidence).
   */
  private writeDeblended(key: string, moments: PlaneMoments, rect: PixelRect, pixels: readonly number[], input: Plane, fill: Plane, out: Plane, seq: number, step: Zoom | undefined): readonly number[] {
    moments.addRect(input, rect);
    let held = this.references.get(key);
    const margin = key.endsWith(':0') ? MOTION_MARGIN_PX : MOTION_MARGIN_PX >> 1;
    if (!held || !held.ref.fits(rect, margin, input.width, input.height)) {
      held = { ref: new MotionReference(rect, input.width, input.height, margin), seq: seq - 1 };
      this.references.set(key, held);
    }
    // A frame it did not see (a gap in the target, a frame behind) breaks the chain of camera steps.
    held.ref.advance(input, held.seq === seq - 1 ? step : undefined);
    held.seq = seq;
    let cached = this.slopes.get(key);
    const fresh = !cached || cached.age >= SLOPE_EVERY;
    // The per-pixel test needs this rectangle's maps (a shared scratch); without a slope nothing reads them.
    const mapped = (fresh || cached!.slope !== undefined) && this.maps.build(moments, rect, this.scratch);
    if (fresh) {
      cached = { slope: mapped ? regionSlope(moments, this.maps, pixels, this.deblendParams) : undefined, age: 0 };
      this.slopes.set(key, cached);
    }
    cached!.age++;
    const slope = mapped ? cached!.slope : undefined;
    const ref = held.ref;
    // Chroma follows luma: its planes are solved only once luma (or the ring) says the overlay is translucent.
    const luma = key.endsWith(':0') ? undefined : this.references.get(`${key.slice(0, key.lastIndexOf(':'))}:0`)?.ref;
    if (ref.due && (!luma || luma.translucent || slope !== undefined)) ref.solve(input, pixels, slope);
    // The solved blend is used while something says the overlay is translucent now: its own
    // textured pixels, or the ring's slope (a pulsing logo's slope comes and goes; a blend fitted in
    // one of its translucent moments must not outlive it).
    const solved = ref.usable && (ref.translucent || slope !== undefined);
    const summary = solved ? ref.summary() : undefined;
    if (summary) this.blends.set(key, { ...summary, source: 'motion' });
    else this.blends.delete(key);
    if (slope === undefined && !solved) {
      // Nothing to invert (an opaque logo, or evidence still short): the fill, as for any target.
      for (const i of pixels) out.data[out.offset + i] = fill.data[fill.offset + i]!;
      return pixels;
    }
    // Per pixel: the blend solved from the camera's motion, else the ring-mean de-blend, else the fill.
    const filled: number[] = [];
    let ringLevel = 0, ringCount = 0;
    for (const i of pixels) {
      const observed = input.data[input.offset + i]!;
      const ring = slope === undefined ? undefined : deblendPixel(moments, this.maps, i, observed, slope, this.deblendParams);
      if (ring !== undefined) {
        // alpha * colour = mean observed - (1-alpha) * mean background
        ringLevel += moments.m1[i]! - slope! * this.maps.meanAt(i);
        ringCount++;
      }
      const clean = (solved ? ref.value(i, input.width, observed) : undefined) ?? ring;
      if (clean === undefined) filled.push(i);
      const v = clean ?? fill.data[fill.offset + i]!;
      out.data[out.offset + i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
    if (!summary && slope !== undefined && ringCount > 0) this.blends.set(key, { alpha: 1 - slope, level: ringLevel / ringCount / (1 - slope), source: 'ring' });
    return filled;
  }

  /** The blend reported on a logo region: luma's alpha and source, colour from all three planes, the matte from luma's solve. */
  private regionBlend(r: Region): RegionBlend | undefined {
    const luma = this.blends.get(`${r.id}:0`);
    if (!luma) return undefined;
    const level = (p: number) => this.blends.get(`${r.id}:${p}`)?.level ?? 128;
    const blend: RegionBlend = { alpha: luma.alpha, colour: yuvToHex(luma.level, level(1), level(2)), source: luma.source };
    const ref = this.references.get(`${r.id}:0`)?.ref;
    if (luma.source !== 'motion' || !ref) return blend;
    const key = `${ref.version} ${r.rect.x},${r.rect.y},${r.rect.width}x${r.rect.height}`;
    let memo = this.mattes.get(r.id);
    if (!memo || memo.key !== key) {
      const matte = new Uint8Array(r.rect.width * r.rect.height);
      for (let y = 0; y < r.rect.height; y++) {
        for (let x = 0; x < r.rect.width; x++) matte[y * r.rect.width + x] = Math.round(255 * (ref.alphaAt(r.rect.x + x, r.rect.y + y) ?? 0));
      }
      memo = { key, matte };
      this.mattes.set(r.id, memo);
    }
    return { ...blend, matte: memo.matte };
  }

  private blendStats(width: number, height: number): PlaneMoments[] {
    if (!this.blend || this.blend.width !== width || this.blend.height !== height) {
      const { cWidth, cHeight } = yuv420pLayout(width, height);
      const n = this.deblendParams.memorySamples;
      this.blend = { width, height, planes: [new PlaneMoments(width, height, n), new PlaneMoments(cWidth, cHeight, n), new PlaneMoments(cWidth, cHeight, n)] };
    }
    return this.blend.planes;
  }

  private targetOf(region: Region, width: number, height: number, deblend: boolean): Target | undefined {
    const { rect, mask } = region;
    const key = `${width}x${height} ${rect.x},${rect.y},${rect.width}x${rect.height} ${deblend}`;
    const memo = this.targets.get(region.id);
    if (memo && memo.key === key && (mask === undefined ? memo.mask === undefined : memo.mask !== undefined && Buffer.from(mask.buffer, mask.byteOffset, mask.length).equals(memo.mask))) return memo.target;
    const target = buildTarget(region, width, height, deblend);
    this.targets.set(region.id, { key, mask: mask && Uint8Array.from(mask), target, exclusions: this.exclusions, pixels: [] });
    return target;
  }

  private pixelsOf(t: Target, sub: 1 | 2, keep: Uint8Array | undefined, lumaWidth: number, planeWidth: number): readonly number[] {
    const memo = this.targets.get(t.id);
    if (!memo || memo.target !== t) return maskedPixels(t, sub, keep, lumaWidth, planeWidth);
    if (memo.exclusions !== this.exclusions) {
      memo.exclusions = this.exclusions;
      memo.pixels = [];
    }
    return (memo.pixels[sub] ??= maskedPixels(t, sub, keep, lumaWidth, planeWidth));
  }

  /**
   * Parks what was learned for the stream's next publish (see DetectionMemory), stops the caption
   * model and lets go of the inpainting model's session (its worker ends with the last holder).
   */
  async close(): Promise<void> {
    await Promise.all([this.early?.done.catch(() => undefined), this.earlyLogos?.done.catch(() => undefined)]);
    this.early = undefined;
    this.earlyLogos = undefined;
    // A detector whose worker failed has nothing to hand on: the next publish starts afresh.
    const park = this.memory && !this.detector.failed;
    if (park) this.memory!.store.park(this.memory!.key, { detector: this.detector, blend: this.blend, ticker: this.ticker, logoNet: this.logoNet, overCaptions: this.overCaptions });
    await Promise.all([this.subtitles?.close(), this.model?.close(), ...(park ? [] : [this.detector.close(), this.logoNet?.close()])]);
  }

  /**
   * A detected region lying wholly inside an exclusion zone is part of the scene (a sign, a
   * scoreboard, a channel's own graphic the operator keeps). The statistics never look inside one;
   * the caption, ticker and logo nets see the whole frame.
   */
  private excluded(r: Region): boolean {
    return r.kind !== 'manual' && this.exclusions.some((e) => r.rect.x >= e.x && r.rect.y >= e.y && r.rect.x + r.rect.width <= e.x + e.width && r.rect.y + r.rect.height <= e.y + e.height);
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

/** A target's last computed fill, kept for frames the stage is behind on (AutoFilter.fills). */
interface StoredFill {
  readonly target: Target;
  readonly exclusions: readonly Rect[];
  /** Per plane, the target's pixels (pixelsOf's list: plane indices, ascending) and their values. */
  readonly pixels: [readonly number[], readonly number[], readonly number[]];
  readonly values: [Uint8Array, Uint8Array, Uint8Array];
  /** Luma width of the frames it was made for (plane indices depend on it). */
  readonly width: number;
  /** The frame that computed them. */
  readonly seq: number;
  reuses: number;
}

/**
 * Smoothing sweeps after the pull-push start of the spatial fill (fill/mask-fill.ts). Few on
 * purpose: on the bench's true masks (quick set) 0, 2 and 5 sweeps gave 24.29-24.36 / 24.45-24.55 /
 * 19.03-19.08 dB inside the overlays, 10-20 a little less on static logos; a sweep over a 720p
 * caption band costs ~0.6 ms.
 */
const MASK_FILL_SWEEPS = 2;

/** Below this share of a rectangle's pixels known inside its margin, a target is a solid box (see process). */
const SOLID_KNOWN_SHARE = 0.05;

/** Pixels of a w x h domain that are not to be filled, more than `margin` pixels in from the rectangle's sides. */
function knownInside(domain: Uint8Array, w: number, h: number, margin: number): number {
  let n = 0;
  for (let y = margin; y < h - margin; y++) for (let x = margin, o = y * w + margin; x < w - margin; x++, o++) if (!domain[o]) n++;
  return n;
}

/**
 * What the spatial fill replaces in rectangle `r` of a plane: the target's pixels there (plane
 * indices, as pixelsOf lists them) and whatever later targets' rectangles cover, whose overlay is
 * still in the picture and must not be filled from. The rest of the rectangle is scene the fill
 * starts from.
 */
function fillDomain(r: PixelRect, pixels: readonly number[], planeWidth: number, later: readonly PixelRect[]): Uint8Array {
  const w = r.x1 - r.x0;
  const out = new Uint8Array(w * (r.y1 - r.y0));
  for (const i of pixels) {
    const y = (i / planeWidth) | 0;
    out[(y - r.y0) * w + i - y * planeWidth - r.x0] = 1;
  }
  for (const o of later) {
    const x0 = Math.max(r.x0, o.x0), x1 = Math.min(r.x1, o.x1);
    if (x1 > x0) for (let y = Math.max(r.y0, o.y0); y < Math.min(r.y1, o.y1); y++) out.fill(1, (y - r.y0) * w + x0 - r.x0, (y - r.y0) * w + x1 - r.x0);
  }
  return out;
}

/**
 * Writes into `plane` the kept values of the pixels of `pixels` that `keptPixels` has (both
 * ascending plane indices); returns the pixels it had no value for.
 */
function writeKnown(plane: Plane, pixels: readonly number[], keptPixels: readonly number[], keptValues: Uint8Array): number[] {
  const missing: number[] = [];
  let j = 0;
  for (const i of pixels) {
    while (j < keptPixels.length && keptPixels[j]! < i) j++;
    if (j < keptPixels.length && keptPixels[j] === i) plane.data[plane.offset + i] = keptValues[j]!;
    else missing.push(i);
  }
  return missing;
}

/** While behind, detection and captions run on one frame in this many. */
const BEHIND_LOOK_EVERY = 4;

/**
 * While behind, a target's last fill is used again for at most this many frames in a row, then
 * computed afresh (spatially: the temporal fill waits for a frame on time). A look while behind
 * gives a caption a new mask, and its fill is carried over to it (keptFill), counting as a use.
 * Under a pan a held fill drifts off the scene, ~0.7 dB a frame inside captions, yet for about 8
 * frames that is still better than a fresh spatial fill (~17 dB, against ~24 on time).
 * `node dist/bench/degraded-quality.js` (captions over 720p pans, one frame in n on time): n = 8
 * 19.20 dB with 3 uses, 20.62 with 7 (11 or 15: the same); n = 16 18.17 / 18.48 / 18.49 / 18.45.
 */
const REUSE_FILL_FRAMES = 2 * BEHIND_LOOK_EVERY - 1;

/** A fill older than this many frames is never used again, dropped frames in between or not. */
const MAX_REUSED_AGE_FRAMES = 2 * BEHIND_LOOK_EVERY;

/** Deletes the entries of `map` whose key `keep` refuses. */
function dropStale<V>(map: Map<string, V>, keep: (key: string) => boolean): void {
  for (const key of map.keys()) if (!keep(key)) map.delete(key);
}

/** `#rrggbb` of a Y'CbCr level (BT.601 limited range, what the decoder and the synthesiser use). */
function yuvToHex(y: number, u: number, v: number): string {
  const byte = (x: number) => Math.max(0, Math.min(255, Math.round(x))).toString(16).padStart(2, '0');
  return `#${bt601ToRgb(y, u, v).map(byte).join('')}`;
}

/** Background (luma pixels) around a de-blended target that its motion reference keeps: where the chains of equations end. */
const MOTION_MARGIN_PX = 16;

/** Frames between two estimates of a target plane's blend slope (see AutoFilter.slopes). */
const SLOPE_EVERY = 4;

/** `r` grown by `by` pixels above and below. */
function grownRect(r: Rect, by: number): Rect {
  return { x: r.x, y: r.y - by, width: r.width, height: r.height + 2 * by };
}

/** True when `a` touches `b` and `b` is active. */
function overlapsActive(a: Region, b: Region): boolean {
  return b.state === 'active' && insideShare(a.rect, b.rect) > 0;
}

/** Share of `a`'s area that lies inside `b`. */
function insideShare(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? (w * h) / (a.width * a.height) : 0;
}

function buildTarget(region: Region, width: number, height: number, deblend: boolean): Target | undefined {
  const { rect } = region;
  const mask = region.mask ?? new Uint8Array(rect.width * rect.height).fill(1);
  const grown = dilateInto(mask, rect, MASK_GROW_PX + FILL_MARGIN_PX, MASK_GROW_PX);
  const luma = planeRect(grown.rect, width, height);
  if (!luma) return undefined;
  const { cWidth, cHeight } = yuv420pLayout(width, height);
  const chroma = planeRect({ x: luma.x0, y: luma.y0, width: luma.x1 - luma.x0, height: luma.y1 - luma.y0 }, cWidth, cHeight, 2);
  if (!chroma) return undefined;
  // The mask is re-cut to the clipped luma rectangle so indices line up with the plane.
  const lw = luma.x1 - luma.x0;
  const cut = new Uint8Array(lw * (luma.y1 - luma.y0));
  for (let y = luma.y0; y < luma.y1; y++) {
    for (let x = luma.x0; x < luma.x1; x++) cut[(y - luma.y0) * lw + x - luma.x0] = grown.mask[(y - grown.rect.y) * grown.rect.width + x - grown.rect.x]!;
  }
  return { id: region.id, rects: [luma, chroma, chroma], mask: cut, deblend, caption: region.kind === 'subtitle' };
}

/** Pads the mask by `pad` on every side and dilates it by `grow` pixels inside that padding. */
function dilateInto(mask: Uint8Array, rect: Rect, pad: number, grow: number): { rect: Rect; mask: Uint8Array } {
  const w = rect.width + 2 * pad, h = rect.height + 2 * pad;
  const padded = new Uint8Array(w * h);
  for (let y = 0; y < rect.height; y++) padded.set(mask.subarray(y * rect.width, (y + 1) * rect.width), (y + pad) * w + pad);
  return { rect: { x: rect.x - pad, y: rect.y - pad, width: w, height: h }, mask: dilate(padded, w, h, grow) };
}

/** Plane indices under the target's mask (chroma: any of the 2x2 luma pixels), sparing kept pixels. */
function maskedPixels(t: Target, sub: 1 | 2, keep: Uint8Array | undefined, lumaWidth: number, planeWidth: number): number[] {
  const r = t.rects[sub === 1 ? 0 : 1]!;
  const luma = t.rects[0]!;
  const lw = luma.x1 - luma.x0, lh = luma.y1 - luma.y0;
  const out: number[] = [];
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
      if (hit && !kept) out.push(y * planeWidth + x);
    }
  }
  return out;
}
