import { join } from 'node:path';
import type { Rect, VideoFrame } from '../../core/frame.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import type { Region, RegionState } from '../filter.js';
import { downscaleChroma, downscaleLuma, workingScale } from './downscale.js';
import { boxOverlap, components, hysteresis, roundUp4, upscaleMask, type Box } from './mask-ops.js';
import { WorkerOnnxSession, type InferenceRunner } from './onnx-session.js';
import { withPlate, type MaskedRect } from './plate.js';

/**
 * Logos found by their look, frame by frame: a small segmentation net (training/logos: trained on
 * the synthesiser's logos, drawn and icon, opaque and translucent, static and dynamic, over photos
 * the benchmark never shows; captions and ticker bars as negatives) gives each working pixel the
 * probability that it is part of a logo. What it finds at the same place run after run becomes a
 * region.
 *
 * It is what the statistics cannot be: the static detector needs the picture under a logo to
 * change, and waits ("learning") in a still shot or over a flat sky; a bug that drifts is never
 * fixed long enough for it. The net needs neither, and claims no background either: only what
 * looks like a graphic.
 */
export const DEFAULT_LOGO_MODEL = join(PROJECT_ROOT, 'models', 'logo-seg.onnx');

/** Widest working resolution of the logo net, in columns (a 720p frame is read at 1/4). */
export const LOGO_NET_COLUMNS = 320;

export interface LogoNetParams {
  /** Run the net on one frame in this many: a logo stays for seconds, and each run costs ~15 ms at 320 x 180. */
  readonly every: number;
  /** Probability from which a pixel is logo. */
  readonly threshold: number;
  /** Lower probability that still counts for a pixel connected to logo pixels (the faint rim). */
  readonly weakThreshold: number;
  /** Mean probability over a component's sure pixels below which it is a doubtful blob of scene. */
  readonly minConfidence: number;
  /**
   * The floor instead for a component with evidence besides the net's number, on that run or an
   * earlier one of its region: its own content stood still, against an earlier run's picture,
   * while the scene around it clearly moved (see staysPutInMovingScene: what an overlay over a
   * moving camera does and scene does not), or it sits on a flat plate (see plate.ts). Bench
   * pan-opaque-logo-1 (a word on a 25 x 23 opaque disc over a creeping pan) is found at 0.56-0.62,
   * the no-overlay clips' strongest scene blobs reach 0.55-0.64: the net's number alone cannot
   * tell them apart.
   */
  readonly anchoredConfidence: number;
  /**
   * How far back (runs) the stay-put test looks for a picture to compare with: a slow pan moves
   * the scene by less than a working pixel between two runs.
   */
  readonly anchorRuns: number;
  /** Smallest and largest component, working pixels and share of the working frame. */
  readonly minArea: number;
  readonly maxAreaShare: number;
  /** Runs in a row a component must be found at the same place before it is removed. */
  readonly confirmRuns: number;
  /**
   * Runs a confirmed region may go unseen and still be removed: the net's confidence in a logo
   * wavers from run to run (a 720p bug found at 0.76 mean probability, missed at the next run).
   */
  readonly holdRuns: number;
  /** Runs a confirmed region may go unseen (a blink's off-phase) before it is forgotten. */
  readonly forgetRuns: number;
  /**
   * How far (working pixels) the scene around a region and the region itself are searched for the
   * step they took since the last run: a region whose content took the scene's step is scene.
   */
  readonly searchRadius: number;
  /** Ring of scene around a region's box that tells the camera's step there, working pixels. */
  readonly ringWidth: number;
  /** Least overlap (intersection over the smaller box) for a component to be the same region as last run's. */
  readonly minOverlap: number;
}

export const DEFAULT_LOGO_NET_PARAMS: LogoNetParams = {
  every: 6,
  threshold: 0.5,
  weakThreshold: 0.3,
  minConfidence: 0.75,
  anchoredConfidence: 0.5,
  anchorRuns: 8,
  minArea: 12,
  maxAreaShare: 0.05,
  confirmRuns: 3,
  holdRuns: 1,
  forgetRuns: 8,
  searchRadius: 8,
  ringWidth: 6,
  minOverlap: 0.5,
};

const PAD = 128;
const ID_PREFIX = 'logo-net-';

/** True for the ids of regions this net found. */
export function isLogoNetRegion(id: string): boolean {
  return id.startsWith(ID_PREFIX);
}

interface Track {
  readonly id: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Working-resolution mask over the box. */
  mask: Uint8Array;
  confidence: number;
  hits: number;
  misses: number;
  /** Seen once with evidence (stayed put while the scene moved, or on a plate): from then on anchoredConfidence is its floor. */
  anchored: boolean;
  /** The region grown by the flat plate it sits on (full resolution), as last seen; see plate.ts. */
  plate?: MaskedRect | undefined;
  /** When the plate was last looked for (run), and for which region box (full resolution). */
  plateRun?: number;
  plateFor?: Rect;
}

/** A component of one run, before it is matched to a track. */
type Found = Omit<Track, 'id' | 'hits' | 'misses' | 'anchored' | 'plate' | 'plateRun' | 'plateFor'>;

export class LogoNetDetector {
  private tracks: Track[] = [];
  private current: Region[] = [];
  private frames = 0;
  /** Runs of the net so far (frames it looked at). */
  private runs = 0;
  private nextId = 1;
  private size: { width: number; height: number; scale: number; w: number; h: number; cols: number; rows: number } | undefined;
  private planes: [Float32Array, Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0), new Float32Array(0)];
  private input = new Float32Array(0);
  /**
   * Working luma of the last anchorRuns runs (at least the last one), oldest first: the last is
   * what the scene test measures the camera's step since against, all are the stay-put test's.
   */
  private earlierLumas: Float32Array[] = [];
  /** This run's camera step from each of those, found when first needed. */
  private cameraSteps = new Map<Float32Array, Step>();

  constructor(private readonly runner: InferenceRunner, private readonly params: LogoNetParams = DEFAULT_LOGO_NET_PARAMS) {}

  static async open(modelPath = DEFAULT_LOGO_MODEL, params: LogoNetParams = DEFAULT_LOGO_NET_PARAMS): Promise<LogoNetDetector> {
    return new LogoNetDetector(await WorkerOnnxSession.open(modelPath), params);
  }

  /** True on the frames the net looks at (one in `every`). */
  due(): boolean {
    return this.frames % this.params.every === 0;
  }

  /**
   * Counts the frame and, on one in `every`, reads it and hands it to the net's worker before
   * returning the promise (no await in between): the caller's own work overlaps the inference.
   * One run at a time: the caller awaits it before the next frame (the planes are reused).
   * `captions`: boxes of the captions on screen (full resolution). What the net finds over one is
   * the caption's (the auto filter leaves it out), so no plate is looked for under it: a boxed
   * caption's box is as flat as a plate, and flooding it at full resolution took up to 80 ms a run.
   */
  observe(frame: VideoFrame, captions: readonly Rect[] = []): Promise<void> {
    const due = this.due();
    this.frames++;
    if (!due) return Promise.resolve();
    const g = this.geometry(frame.width, frame.height);
    const [y, u, v] = this.planes;
    downscaleLuma(frame.data, frame.width, frame.height, g.scale, y);
    downscaleChroma(frame.data, frame.width, frame.height, g.scale, u, v);
    const plane = g.cols * g.rows;
    this.input.fill(PAD);
    for (let c = 0; c < 3; c++) {
      const src = this.planes[c]!;
      for (let j = 0; j < g.h; j++) this.input.set(src.subarray(j * g.w, (j + 1) * g.w), c * plane + j * g.cols);
    }
    return this.runner.run({ yuv: { data: this.input, dims: [1, 3, g.rows, g.cols] } }).then((out) => {
      const prob = out.logo;
      if (!prob || prob.data.length !== plane) throw new Error(`logo model returned ${prob?.dims.join('x') ?? 'nothing'}, expected 1x1x${g.rows}x${g.cols}`);
      const found = this.found(prob.data, g.w, g.h, g.cols);
      const prev = this.earlierLumas.at(-1);
      this.cameraSteps.clear();
      // A component that stood still while the camera moved is no scene, whatever its best step
      // (bench pan-opaque-logo-0: an icon whose mask takes in scene at its rim matched the camera's
      // step best, and its region was dropped for a second).
      const scene = prev ? found.filter((f) => movesWithScene(f, prev, y, g.w, g.h, this.params) && !this.staysPut(f, y, g.w, g.h)) : [];
      const unsure = (f: Found) => f.confidence < this.params.minConfidence;
      // A doubtful blob that moved with the scene is left out, but does not undo a region as a sure one does.
      // What else speaks for a doubtful component: it stood still while the scene moved, or it sits on a plate.
      const evidence = (f: Found, track: Track | undefined) => this.staysPut(f, y, g.w, g.h) || this.plateOf(f, track, frame, g.scale, captions) !== undefined;
      this.update(found.filter((f) => !scene.includes(f)), scene.filter((f) => !unsure(f)), evidence);
      this.runs++;
      this.earlierLumas.push(Float32Array.from(y));
      if (this.earlierLumas.length > Math.max(1, this.params.anchorRuns)) this.earlierLumas.shift();
      this.current = this.tracks.map((t) => this.regionOf(t, frame, g.scale, captions));
    });
  }

  regions(): readonly Region[] {
    return this.current;
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  /** The track as a region, with its plate: looked for in this picture when the net saw it now, else as it was when last seen. */
  private regionOf(t: Track, frame: VideoFrame, scale: number, captions: readonly Rect[]): Region {
    const region = toRegion(t, scale, frame.width, frame.height, this.params);
    if (t.misses === 0) t.plate = this.plateOf({ rect: region.rect, mask: region.mask! }, t, frame, scale, captions);
    return t.plate ? { ...region, rect: t.plate.rect, mask: t.plate.mask } : region;
  }

  /**
   * The plate under a component (a track's region, or a new one matched to `track`). A track's
   * plate is looked for again every PLATE_EVERY_RUNS runs or when its box changed: in between
   * the last answer stands, moved as far as the box moved. A plate is part of a logo and does
   * not change; the search does not come cheap (a box up to three times the region's size, at
   * full resolution, flooded and opened).
   */
  private plateOf(c: Found | MaskedRect, track: Track | undefined, frame: VideoFrame, scale: number, captions: readonly Rect[]): MaskedRect | undefined {
    const at = 'rect' in c ? c : fullResolution(c, scale, frame.width, frame.height);
    if (captions.some((r) => rectsTouch(r, at.rect))) return undefined;
    const last = track?.plateFor;
    if (track && last && track.plateRun !== undefined && this.runs - track.plateRun < PLATE_EVERY_RUNS && sameBox(last, at.rect)) {
      const plate = track.plate;
      return plate && { rect: { ...plate.rect, x: plate.rect.x + at.rect.x - last.x, y: plate.rect.y + at.rect.y - last.y }, mask: plate.mask };
    }
    const plate = withPlate(at, frame.data, frame.width, frame.height);
    if (track && 'rect' in c) Object.assign(track, { plateRun: this.runs, plateFor: at.rect });
    return plate;
  }

  private geometry(width: number, height: number): NonNullable<LogoNetDetector['size']> {
    if (this.size && this.size.width === width && this.size.height === height) return this.size;
    const scale = workingScale(width, LOGO_NET_COLUMNS);
    const w = Math.floor(width / scale), h = Math.floor(height / scale);
    this.size = { width, height, scale, w, h, cols: roundUp4(w), rows: roundUp4(h) };
    this.planes = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
    this.input = new Float32Array(3 * this.size.cols * this.size.rows);
    // A new resolution: last run's boxes mean nothing on the new grid.
    this.tracks = [];
    this.current = [];
    this.earlierLumas = [];
    return this.size;
  }

  /** This run's components that look like logos. */
  private found(prob: Float32Array, w: number, h: number, cols: number): Found[] {
    const p = this.params;
    const strong = new Uint8Array(w * h), weak = new Uint8Array(w * h);
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const v = prob[j * cols + i]!;
        strong[j * w + i] = v >= p.threshold ? 1 : 0;
        weak[j * w + i] = v >= p.weakThreshold ? 1 : 0;
      }
    }
    const out: Found[] = [];
    for (const c of components(hysteresis(strong, weak, w, h), w, h)) {
      if (c.pixels.length < p.minArea || c.pixels.length > p.maxAreaShare * w * h) continue;
      let sum = 0, n = 0;
      for (const i of c.pixels) {
        if (!strong[i]) continue;
        sum += prob[Math.floor(i / w) * cols + (i % w)]!;
        n++;
      }
      const confidence = n ? sum / n : 0;
      if (confidence < Math.min(p.minConfidence, p.anchoredConfidence)) continue;
      const bw = c.x1 - c.x0;
      const mask = new Uint8Array(bw * (c.y1 - c.y0));
      for (const i of c.pixels) mask[(Math.floor(i / w) - c.y0) * bw + (i % w) - c.x0] = 1;
      out.push({ x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1, mask, confidence });
    }
    return out;
  }

  /**
   * Whether the component stood still while the scene moved, against the pictures 1, 2, 4, ...
   * runs back (up to anchorRuns): the nearest that shows a clear step within the search radius
   * says so, whether the camera pans fast or creeps. A camera search per picture, so not all eight.
   */
  private staysPut(f: Found, y: Float32Array, w: number, h: number): boolean {
    const n = this.earlierLumas.length;
    for (let back = 1; back <= n; back *= 2) {
      const old = this.earlierLumas[n - back]!;
      let step = this.cameraSteps.get(old);
      if (!step) this.cameraSteps.set(old, (step = cameraStep(old, y, w, h, this.params.searchRadius)));
      if (staysPutInMovingScene(f, old, y, w, h, step, this.params)) return true;
    }
    return false;
  }

  /** Matches this run's components to the regions of earlier runs by place. */
  private update(found: Found[], scene: readonly Box[], evidence: (f: Found, track: Track | undefined) => boolean): void {
    const matched = new Set<Track>();
    for (const f of found) {
      let best: Track | undefined, bestOverlap = this.params.minOverlap;
      for (const t of this.tracks) {
        const o = boxOverlap(t, f);
        if (!matched.has(t) && o >= bestOverlap) [best, bestOverlap] = [t, o];
      }
      // Below the usual floor a component counts only with other evidence for it (asked only then).
      const unsure = f.confidence < this.params.minConfidence;
      const anchoredNow = unsure && !best?.anchored && evidence(f, best);
      if (unsure && !anchoredNow && !best?.anchored) continue;
      if (best) {
        Object.assign(best, f, { hits: best.hits + 1, misses: 0, anchored: best.anchored || anchoredNow });
        matched.add(best);
      } else {
        const t: Track = { ...f, id: `${ID_PREFIX}${this.nextId++}`, hits: 1, misses: 0, anchored: anchoredNow };
        this.tracks.push(t);
        matched.add(t);
      }
    }
    for (const t of this.tracks) if (!matched.has(t)) t.misses++;
    // What moved with the scene this run was scene all along (see movesWithScene), confirmed or not.
    this.tracks = this.tracks.filter((t) => !scene.some((f) => boxOverlap(t, f) >= this.params.minOverlap));
    // Unconfirmed ones go at their first miss: scene the net doubted once is not a logo.
    this.tracks = this.tracks.filter((t) => (t.hits >= this.params.confirmRuns ? t.misses <= this.params.forgetRuns : t.misses === 0));
  }
}

function state(t: Track, p: LogoNetParams): RegionState {
  if (t.hits < p.confirmRuns) return 'learning';
  return t.misses <= p.holdRuns ? 'active' : 'lost';
}

/**
 * True when the component's content took the same step since the last run as the scene around it,
 * and that step is not nought: a look-alike in a moving scene (a sign, a flat painted shape) moves
 * with the camera, while a logo stays put or drifts on its own. In a still shot this says nothing
 * (the scene took no step), and the net's word stands.
 */
export function movesWithScene(c: Box & { mask: Uint8Array }, prev: Float32Array, cur: Float32Array, w: number, h: number, p: LogoNetParams): boolean {
  const { ring, inside } = ringAndInside(c, w, h, p.ringWidth);
  const scene = bestStep(ring, prev, cur, w, h, p.searchRadius);
  if (!scene || Math.max(Math.abs(scene.dx), Math.abs(scene.dy)) < 1) return false;
  const own = bestStep(inside, prev, cur, w, h, p.searchRadius);
  return !!own && Math.max(Math.abs(own.dx - scene.dx), Math.abs(own.dy - scene.dy)) <= 1;
}

/**
 * True when, between `prev` and `cur`, the camera took `step` (see cameraStep) and the scene
 * around the component took it too while the component's own content did not: the step explains
 * the ring much better than standing still, and standing still explains the content much better
 * than the step (an overlay, fixed or drifting slowly on its own). A still shot (no step), flat
 * content (every step fits it) and a ring that stood still too (a caption's plate around its
 * words) say nothing.
 */
export function staysPutInMovingScene(c: Box & { mask: Uint8Array }, prev: Float32Array, cur: Float32Array, w: number, h: number, step: Step, p: LogoNetParams): boolean {
  if (Math.max(Math.abs(step.dx), Math.abs(step.dy)) < 1) return false;
  const { ring, inside } = ringAndInside(c, w, h, p.ringWidth);
  const clearly = (better: number | undefined, worse: number | undefined) => better !== undefined && worse !== undefined && better < STEP_CLEARLY_BETTER * worse;
  return clearly(meanDifference(ring, prev, cur, w, h, step.dx, step.dy), meanDifference(ring, prev, cur, w, h, 0, 0)) && clearly(meanDifference(inside, prev, cur, w, h, 0, 0), meanDifference(inside, prev, cur, w, h, step.dx, step.dy));
}

/**
 * The camera's integer step between two working pictures, searched within `radius` over one
 * pixel in CAMERA_GRID each way: one block search a picture pair rather than one per component
 * (per component, on bench video-cjk-moving-logo-1's five or so doubtful components a run, the
 * searches took 18 ms a run).
 */
export function cameraStep(prev: Float32Array, cur: Float32Array, w: number, h: number, radius: number): Step {
  const grid: number[] = [];
  for (let y = radius; y < h - radius; y += CAMERA_GRID) for (let x = radius; x < w - radius; x += CAMERA_GRID) grid.push(y * w + x);
  return bestStep(grid, prev, cur, w, h, radius) ?? { dx: 0, dy: 0 };
}

/** An integer step in working pixels. */
export interface Step {
  readonly dx: number;
  readonly dy: number;
}

/** The component's pixels, and a ring `g` working pixels wide around its box (a pixel's gap left between). */
function ringAndInside(c: Box & { mask: Uint8Array }, w: number, h: number, g: number): { ring: number[]; inside: number[] } {
  const outer = { x0: Math.max(0, c.x0 - g), y0: Math.max(0, c.y0 - g), x1: Math.min(w, c.x1 + g), y1: Math.min(h, c.y1 + g) };
  const ring: number[] = [];
  for (let y = outer.y0; y < outer.y1; y++) for (let x = outer.x0; x < outer.x1; x++) if (x < c.x0 - 1 || x > c.x1 || y < c.y0 - 1 || y > c.y1) ring.push(y * w + x);
  const inside: number[] = [];
  const bw = c.x1 - c.x0;
  for (let i = 0; i < c.mask.length; i++) if (c.mask[i]) inside.push((c.y0 + Math.floor(i / bw)) * w + c.x0 + (i % bw));
  return { ring, inside };
}

/**
 * Mean absolute difference between the pixels' values now and their previous values (dx, dy)
 * away; undefined when fewer than half of them have a previous pixel inside the frame.
 */
function meanDifference(pixels: readonly number[], prev: Float32Array, cur: Float32Array, w: number, h: number, dx: number, dy: number): number | undefined {
  let sum = 0, n = 0;
  for (const i of pixels) {
    const x = (i % w) - dx, y = Math.floor(i / w) - dy;
    if (x < 0 || y < 0 || x >= w || y >= h) continue;
    sum += Math.abs(cur[i]! - prev[y * w + x]!);
    n++;
  }
  return n < pixels.length / 2 || n === 0 ? undefined : sum / n;
}

/**
 * The integer step (dx, dy) within `radius` that best maps the pixels' previous values onto their
 * values now (least mean absolute difference); no step (0, 0) when none explains them clearly
 * better than standing still (flat content: every step fits); undefined for no pixels.
 */
function bestStep(pixels: readonly number[], prev: Float32Array, cur: Float32Array, w: number, h: number, radius: number): Step | undefined {
  if (pixels.length === 0) return undefined;
  let best = Infinity, still = Infinity, bx = 0, by = 0;
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const mean = meanDifference(pixels, prev, cur, w, h, dx, dy);
      if (mean === undefined) continue;
      if (dx === 0 && dy === 0) still = mean;
      if (mean < best) [best, bx, by] = [mean, dx, dy];
    }
  }
  return best < STEP_CLEARLY_BETTER * still ? { dx: bx, dy: by } : { dx: 0, dy: 0 };
}

/** A step explains the pixels when it leaves at most this share of standing still's difference. */
const STEP_CLEARLY_BETTER = 0.7;

/** Spacing (working pixels) of the samples the camera's step is searched with. */
const CAMERA_GRID = 12;

function toRegion(t: Track, s: number, width: number, height: number, p: LogoNetParams): Region {
  const { rect, mask } = fullResolution(t, s, width, height);
  return { id: t.id, kind: 'logo', rect, enabled: true, mask, confidence: t.confidence, state: state(t, p) };
}

/** A working-resolution box and mask on the frame's own grid (scale `s`, clipped to the frame). */
function fullResolution(c: Box & { mask: Uint8Array }, s: number, width: number, height: number): MaskedRect {
  const x = c.x0 * s, y = c.y0 * s;
  const rw = Math.min(width, c.x1 * s) - x, rh = Math.min(height, c.y1 * s) - y;
  return { rect: { x, y, width: rw, height: rh }, mask: upscaleMask(c.mask, c.x1 - c.x0, c.y1 - c.y0, s, rw, rh) };
}

const MAX_FAILURES_IN_ROW = 3;

/** Runs between two searches for a track's plate (see LogoNetDetector.plateOf): 24 frames, under a second at 30 fps. */
const PLATE_EVERY_RUNS = 4;

/** True when the boxes overlap or share an edge. */
function rectsTouch(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

/** The same box give or take its outline's jitter from run to run (a working pixel is a few full-resolution ones): same size within a tenth. */
function sameBox(a: Rect, b: Rect): boolean {
  const near = (u: number, v: number) => Math.abs(u - v) <= Math.max(4, 0.1 * Math.max(u, v));
  return near(a.width, b.width) && near(a.height, b.height);
}

/**
 * The logo net for the auto filter, failing open: a model that does not load or keeps failing is
 * dropped with its reason, and the statistics go on finding logos alone.
 */
export class LogoNetFinder {
  private net: Promise<LogoNetDetector | undefined> | undefined;
  private loaded: LogoNetDetector | undefined;
  private reason: string | undefined;
  private failuresInRow = 0;
  private current: readonly Region[] = [];

  /** `model`: path of the ONNX model (default the shipped one). */
  constructor(private readonly model: string | undefined, private readonly params: LogoNetParams = DEFAULT_LOGO_NET_PARAMS) {}

  /** Why the net is not running, once it has stopped. */
  get stopped(): string | undefined {
    return this.reason;
  }

  /** Hands the frame to the net when it is one the net looks at; resolves once its regions are in. `captions`: see LogoNetDetector.observe. */
  observe(frame: VideoFrame, captions: readonly Rect[] = []): Promise<void> {
    if (this.reason) return Promise.resolve();
    if (this.loaded) return this.run(this.loaded, frame, captions);
    this.net ??= LogoNetDetector.open(this.model ?? DEFAULT_LOGO_MODEL, this.params).then(
      (net) => (this.loaded = net),
      (err: unknown) => {
        this.reason = `logo model did not load: ${String((err as Error).message ?? err)}`;
        return undefined;
      },
    );
    return this.net.then((net) => (net ? this.run(net, frame, captions) : undefined));
  }

  private async run(net: LogoNetDetector, frame: VideoFrame, captions: readonly Rect[]): Promise<void> {
    try {
      await net.observe(frame, captions);
      this.current = net.regions();
      this.failuresInRow = 0;
    } catch (err) {
      if (++this.failuresInRow < MAX_FAILURES_IN_ROW) return;
      this.reason = `logo model failed ${MAX_FAILURES_IN_ROW} times in a row: ${String((err as Error).message ?? err)}`;
      this.current = [];
      this.loaded = undefined;
      void net.close().catch(() => undefined);
    }
  }

  regions(): readonly Region[] {
    return this.current;
  }

  async close(): Promise<void> {
    const net = await this.net;
    await net?.close();
  }
}
