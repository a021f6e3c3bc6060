import { join } from 'node:path';
import type { VideoFrame } from '../src/core/frame.js';
import { PassThroughFilter, type Filter, type FilterContext, type FilterResult, type Region } from '../src/filter/filter.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { createModel } from '../src/filter/factory.js';
import { defaultsWith } from '../src/config/load.js';
import { ManualRegionFilter } from '../src/filter/manual-region-filter.js';
import { processFile } from '../src/process/offline.js';
import { type ClipData, type LayerRect, trueMask } from '../src/synth/clip.js';
import { encodeYuv } from '../src/synth/ffmpeg-io.js';
import { METHOD_OUTPUT_ARGS, runDelogo, runRemovelogo } from './ffmpeg-baselines.js';
import { teleaInpaintFrame } from './inpaint-telea.js';
import { MASK_DILATE_PX } from './evaluate.js';
import { dilate, percentile, psnrFromMse } from './metrics.js';

export interface MethodRun {
  /** The video to score (the input itself for the unmodified row). */
  readonly output: string;
  /** Frames per second of the whole run, decode and encode included; NaN where nothing runs. */
  readonly fps: number;
  /** Per-frame processing time; NaN where the method is one opaque ffmpeg process. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

export interface Method {
  readonly id: string;
  readonly label: string;
  /** What the method is told: nothing, the true boxes, or the true per-pixel mask. */
  readonly given: 'nothing' | 'true rects' | 'true mask';
  run(clip: ClipData, inputPath: string, workDir: string): Promise<MethodRun>;
}

const fpsOf = (frames: number, ms: number) => (frames * 1000) / ms;
const noLatency = { latencyP50Ms: NaN, latencyP99Ms: NaN };

const REGION_KIND: Record<LayerRect['kind'], Region['kind']> = { logo: 'logo', 'dynamic-logo': 'logo', subtitles: 'subtitle', ticker: 'ticker' };

/**
 * Gives the wrapped filter each frame's true boxes before it sees the frame: "manual regions"
 * as an operator who knew every box would set them. Ids follow layers, so a filter that keeps
 * per-region state keeps it across frames.
 */
class TrueRectsFilter implements Filter {
  readonly name: string;
  constructor(private readonly inner: Filter, private readonly rects: readonly (readonly LayerRect[])[]) {
    this.name = `${inner.name}+true-rects`;
  }
  process(frame: VideoFrame, ctx: FilterContext): FilterResult | Promise<FilterResult> {
    const regions = (this.rects[frame.seq] ?? []).map((r) => ({ id: `layer${r.layer}`, kind: REGION_KIND[r.kind], rect: r.rect, enabled: true }));
    this.inner.setRegions?.(regions);
    return this.inner.process(frame, ctx);
  }
  close(): void | Promise<void> {
    return this.inner.close?.();
  }
}

/**
 * The true per-pixel mask of every layer, as manual regions with masks, before each frame: the
 * fill given exactly what to replace (separates fill quality from detection). The auto filter's
 * detectors are switched off so only these regions are filled.
 */
class TrueMaskFilter implements Filter {
  readonly name: string;
  constructor(private readonly inner: AutoFilter, private readonly clip: ClipData) {
    this.name = `${inner.name}+true-mask`;
    inner.setControls({ disabledIds: [], exclusions: [], settings: { logos: false, subtitles: false } });
  }
  get windowFramesNeeded(): number | undefined {
    return this.inner.windowFramesNeeded;
  }
  process(frame: VideoFrame, ctx: FilterContext): FilterResult | Promise<FilterResult> {
    const { width } = this.clip.truth;
    const truth = trueMask(this.clip.alpha[frame.seq]!);
    const regions: Region[] = (this.clip.truth.rects[frame.seq] ?? []).map((r) => {
      const mask = new Uint8Array(r.rect.width * r.rect.height);
      for (let y = 0; y < r.rect.height; y++) for (let x = 0; x < r.rect.width; x++) mask[y * r.rect.width + x] = truth[(r.rect.y + y) * width + r.rect.x + x]!;
      return { id: `layer${r.layer}`, kind: REGION_KIND[r.kind], rect: r.rect, enabled: true, mask };
    });
    this.inner.setRegions(regions);
    return this.inner.process(frame, ctx);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The committed inpainting model (models/sttn-inpaint.onnx) with the default pipeline.model
 * settings, waiting for every frame as offline runs do. CLEARCAST_BENCH_MODEL (JSON) overrides
 * settings for experiments, e.g. '{"residualOver":"classical"}'; `sensing` turns the mask head on.
 */
function benchModel(sensing = false) {
  const over = JSON.parse(process.env.CLEARCAST_BENCH_MODEL ?? '{}') as Record<string, unknown>;
  const model = createModel(defaultsWith({ pipeline: { model: { enabled: true, ...(sensing ? { senseThreshold: 0.5 } : {}), ...over } } }), { offline: true });
  if (!model) throw new Error('the inpainting model could not be created (models/sttn-inpaint.onnx and its .json)');
  return model;
}

/** Pixel counts of a detected mask against a true one. */
interface Overlap {
  inter: number;
  found: number;
  truth: number;
}

const ratio = (a: number, b: number) => (b ? (a / b).toFixed(3) : 'n/a');

/** The union of the masks of the active regions `pick` selects, as a frame-sized 0/1 map. */
function regionMask(regions: readonly Region[], pick: (r: Region) => boolean, width: number, height: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const r of regions) {
    if (r.state !== 'active' || !r.mask || !pick(r)) continue;
    for (let y = 0; y < r.rect.height; y++) for (let x = 0; x < r.rect.width; x++) if (r.mask[y * r.rect.width + x]) m[(r.rect.y + y) * width + r.rect.x + x] = 1;
  }
  return m;
}

/** The true mask inside the boxes of the layers `pick` selects. */
function layerTruth(truth: Uint8Array, rects: readonly LayerRect[], pick: (k: LayerRect['kind']) => boolean, width: number, height: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const { kind, rect } of rects) {
    if (!pick(kind)) continue;
    for (let y = Math.max(0, rect.y); y < Math.min(height, rect.y + rect.height); y++) {
      for (let x = Math.max(0, rect.x); x < Math.min(width, rect.x + rect.width); x++) m[y * width + x] = truth[y * width + x]!;
    }
  }
  return m;
}

function addOverlap(o: Overlap, found: Uint8Array, truth: Uint8Array): void {
  for (let i = 0; i < found.length; i++) {
    if (found[i]) o.found++;
    if (truth[i]) o.truth++;
    if (found[i] && truth[i]) o.inter++;
  }
}

/**
 * Scores the detectors themselves, not the fill, printed to stderr beside the table's rows:
 * logo mask IoU against the logo layers' true mask from 3 s into the clip (every clip's logos
 * start at frame 0, so this is "within 3 s of appearance"), the PSNR inside the dilated true mask
 * over the same frames (the table pools frames before detection too), subtitle pixel recall and
 * precision over every frame, ticker IoU and recall (the bar's true mask against the ticker
 * regions, every frame, on clips with a ticker), and the detected area outside any true mask (all
 * detections, and captions alone).
 */
class DetectionScore implements Filter {
  readonly name: string;
  private readonly logo: Overlap = { inter: 0, found: 0, truth: 0 };
  private readonly subs: Overlap = { inter: 0, found: 0, truth: 0 };
  private readonly ticker: Overlap = { inter: 0, found: 0, truth: 0 };
  private falsePx = 0;
  private falseCaptionPx = 0;
  private frames = 0;
  private sqIn = 0;
  private nIn = 0;
  constructor(private readonly inner: AutoFilter, private readonly clip: ClipData) {
    this.name = inner.name;
  }
  get windowFramesNeeded(): number | undefined {
    return this.inner.windowFramesNeeded;
  }
  async process(frame: VideoFrame, ctx: FilterContext): Promise<FilterResult> {
    const result = await this.inner.process(frame, ctx);
    const { width, height, fps } = this.clip.truth;
    const truth = trueMask(this.clip.alpha[frame.seq]!);
    const rects = this.clip.truth.rects[frame.seq] ?? [];
    const regions = this.inner.detectedRegions();
    addOverlap(this.subs, regionMask(regions, (r) => r.kind === 'subtitle', width, height), layerTruth(truth, rects, (k) => k === 'subtitles', width, height));
    addOverlap(this.ticker, regionMask(regions, (r) => r.kind === 'ticker', width, height), layerTruth(truth, rects, (k) => k === 'ticker', width, height));
    const all = regionMask(regions, () => true, width, height);
    for (let i = 0; i < all.length; i++) if (all[i] && !truth[i]) this.falsePx++;
    const captions = regionMask(regions, (r) => r.kind === 'subtitle', width, height);
    for (let i = 0; i < captions.length; i++) if (captions[i] && !truth[i]) this.falseCaptionPx++;
    this.frames++;
    if (frame.seq < 3 * fps) return result;
    addOverlap(this.logo, regionMask(regions, (r) => r.kind === 'logo', width, height), layerTruth(truth, rects, (k) => k === 'logo' || k === 'dynamic-logo', width, height));
    const region = dilate(truth, width, height, MASK_DILATE_PX);
    const clean = this.clip.clean[frame.seq]!;
    for (let i = 0; i < region.length; i++) {
      if (!region[i]) continue;
      const d = result.data[i]! - clean[i]!;
      this.sqIn += d * d;
      this.nIn++;
    }
    return result;
  }
  async close(): Promise<void> {
    await this.inner.close();
    const { id, width, height } = this.clip.truth;
    const l = this.logo, s = this.subs, t = this.ticker;
    const pct = (px: number) => ((100 * px) / Math.max(1, this.frames * width * height)).toFixed(3);
    const tickerScore = this.clip.truth.layers.some((k) => k.kind === 'ticker') ? `ticker IoU ${ratio(t.inter, t.found + t.truth - t.inter)} recall ${ratio(t.inter, t.truth)}, ` : '';
    const psnrIn = this.nIn ? psnrFromMse(this.sqIn / this.nIn).toFixed(2) : 'n/a';
    console.error(
      `    detector on ${id}: logo IoU from 3 s ${ratio(l.inter, l.found + l.truth - l.inter)}, PSNR in from 3 s ${psnrIn} dB, ` +
        `subtitle recall ${ratio(s.inter, s.truth)} precision ${ratio(s.inter, s.found)}, ${tickerScore}` +
        `detected area outside overlays ${pct(this.falsePx)} % (captions ${pct(this.falseCaptionPx)} %), learning at end ${this.inner.learning}`,
    );
  }
}

type Speed = Omit<MethodRun, 'output'>;

/** A method that writes `<workDir>/<id>.mkv` from the clip's input. */
function writing(id: string, label: string, given: Method['given'], produce: (clip: ClipData, input: string, output: string, workDir: string) => Promise<Speed>): Method {
  return {
    id,
    label,
    given,
    async run(clip, inputPath, workDir) {
      const output = join(workDir, `${id}.mkv`);
      return { output, ...(await produce(clip, inputPath, output, workDir)) };
    },
  };
}

/** Clearcast through the real offline path (`processFile`), as `clearcast process --lossless` runs it. */
function clearcast(id: string, label: string, given: Method['given'], make: (clip: ClipData) => Filter): Method {
  return writing(id, label, given, async (clip, input, output) => {
    const r = await processFile({ input, output, filter: make(clip), lossless: true });
    if (r.frames !== clip.truth.frames) throw new Error(`${id}: processFile wrote ${r.frames} frames of ${clip.truth.frames}`);
    return { fps: r.fps, latencyP50Ms: r.filterMsP50, latencyP99Ms: r.filterMsP99 };
  });
}

/** An ffmpeg filter run as one process: fps is end to end, per-frame latency is not observable. */
function ffmpegFilter(id: string, label: string, given: Method['given'], runner: typeof runDelogo): Method {
  return writing(id, label, given, async (clip, input, output, workDir) => ({
    fps: fpsOf(clip.truth.frames, await runner(clip, input, output, workDir)),
    ...noLatency,
  }));
}

async function telea(clip: ClipData, _input: string, output: string): Promise<Speed> {
  const { width, height, fps, frames } = clip.truth;
  const times: number[] = [];
  const t0 = performance.now();
  const out = clip.input.map((frame, f) => {
    const t = performance.now();
    const filled = teleaInpaintFrame(frame, width, height, trueMask(clip.alpha[f]!));
    times.push(performance.now() - t);
    return filled;
  });
  await encodeYuv(output, width, height, fps, out, METHOD_OUTPUT_ARGS);
  // Decoding is free here (frames are in memory), so whole-run fps slightly flatters this row.
  return { fps: fpsOf(frames, performance.now() - t0), latencyP50Ms: percentile(times, 50), latencyP99Ms: percentile(times, 99) };
}

/** Clearcast rows run as shipped (config/default.yaml); the "spatial only" rows switch the temporal fill off. */
const TEMPORAL = defaultsWith({}).pipeline.temporalFill;

export const METHODS: readonly Method[] = [
  {
    id: 'input',
    label: 'unmodified input',
    given: 'nothing',
    run: async (_clip, inputPath) => ({ output: inputPath, fps: NaN, ...noLatency }),
  },
  ffmpegFilter('delogo', 'ffmpeg delogo', 'true rects', runDelogo),
  ffmpegFilter('removelogo', 'ffmpeg removelogo', 'true mask', runRemovelogo),
  writing('telea', 'Telea inpainting (TS)', 'true mask', telea),
  clearcast('clearcast-passthrough', 'Clearcast pass-through', 'nothing', () => new PassThroughFilter()),
  clearcast('clearcast-manual-spatial', 'Clearcast manual-region, spatial fill only', 'true rects', (clip) => new TrueRectsFilter(new ManualRegionFilter([]), clip.truth.rects)),
  clearcast('clearcast-manual', 'Clearcast manual-region', 'true rects', (clip) => new TrueRectsFilter(new ManualRegionFilter([], { temporal: TEMPORAL }), clip.truth.rects)),
  clearcast('clearcast-auto-spatial', 'Clearcast mask-free, spatial fill only', 'nothing', (clip) => new DetectionScore(new AutoFilter(), clip)),
  clearcast('clearcast-auto', 'Clearcast mask-free (detectors)', 'nothing', (clip) => new DetectionScore(new AutoFilter({ temporal: TEMPORAL }), clip)),
  clearcast('clearcast-truemask', 'Clearcast classical fill', 'true mask', (clip) => new TrueMaskFilter(new AutoFilter({ subtitles: false, ticker: false, temporal: TEMPORAL }), clip)),
  clearcast('clearcast-truemask-model', 'Clearcast true mask + model', 'true mask', (clip) => new TrueMaskFilter(new AutoFilter({ subtitles: false, ticker: false, temporal: TEMPORAL, model: benchModel() }), clip)),
  clearcast('clearcast-auto-model', 'Clearcast mask-free + model', 'nothing', (clip) => new DetectionScore(new AutoFilter({ temporal: TEMPORAL, model: benchModel() }), clip)),
  clearcast('clearcast-auto-model-sense', 'Clearcast mask-free + model (mask head 0.5)', 'nothing', (clip) => new DetectionScore(new AutoFilter({ temporal: TEMPORAL, model: benchModel(true) }), clip)),
];

/** Rows the table shows but cannot fill yet. */
export const PENDING_METHODS: readonly { label: string; reason: string }[] = [];
