import { join } from 'node:path';
import type { VideoFrame } from '../../core/frame.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import type { Region, RegionState } from '../filter.js';
import { downscaleChroma, downscaleLuma, workingScale } from './downscale.js';
import { boxOverlap, components, hysteresis, roundUp4, upscaleMask, type Box } from './mask-ops.js';
import { WorkerOnnxSession, type InferenceRunner } from './onnx-session.js';

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
}

/** A component of one run, before it is matched to a track. */
type Found = Omit<Track, 'id' | 'hits' | 'misses'>;

export class LogoNetDetector {
  private tracks: Track[] = [];
  private current: Region[] = [];
  private frames = 0;
  private nextId = 1;
  private size: { width: number; height: number; scale: number; w: number; h: number; cols: number; rows: number } | undefined;
  private planes: [Float32Array, Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0), new Float32Array(0)];
  private input = new Float32Array(0);
  /** Working luma of the last run: what the camera's step since then is measured against. */
  private previousLuma: Float32Array | undefined;

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
   */
  observe(frame: VideoFrame): Promise<void> {
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
      const prev = this.previousLuma;
      const scene = prev ? found.filter((f) => movesWithScene(f, prev, y, g.w, g.h, this.params)) : [];
      this.update(found.filter((f) => !scene.includes(f)), scene);
      this.previousLuma = Float32Array.from(y);
      this.current = this.tracks.map((t) => toRegion(t, g.scale, frame.width, frame.height, this.params));
    });
  }

  regions(): readonly Region[] {
    return this.current;
  }

  close(): Promise<void> {
    return this.runner.close();
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
    this.previousLuma = undefined;
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
      if (confidence < p.minConfidence) continue;
      const bw = c.x1 - c.x0;
      const mask = new Uint8Array(bw * (c.y1 - c.y0));
      for (const i of c.pixels) mask[(Math.floor(i / w) - c.y0) * bw + (i % w) - c.x0] = 1;
      out.push({ x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1, mask, confidence });
    }
    return out;
  }

  /** Matches this run's components to the regions of earlier runs by place. */
  private update(found: Found[], scene: readonly Box[]): void {
    const matched = new Set<Track>();
    for (const f of found) {
      let best: Track | undefined, bestOverlap = this.params.minOverlap;
      for (const t of this.tracks) {
        const o = boxOverlap(t, f);
        if (!matched.has(t) && o >= bestOverlap) [best, bestOverlap] = [t, o];
      }
      if (best) {
        Object.assign(best, f, { hits: best.hits + 1, misses: 0 });
        matched.add(best);
      } else {
        const t: Track = { ...f, id: `${ID_PREFIX}${this.nextId++}`, hits: 1, misses: 0 };
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
  const g = p.ringWidth;
  const outer = { x0: Math.max(0, c.x0 - g), y0: Math.max(0, c.y0 - g), x1: Math.min(w, c.x1 + g), y1: Math.min(h, c.y1 + g) };
  const ring: number[] = [];
  for (let y = outer.y0; y < outer.y1; y++) for (let x = outer.x0; x < outer.x1; x++) if (x < c.x0 - 1 || x > c.x1 || y < c.y0 - 1 || y > c.y1) ring.push(y * w + x);
  const inside: number[] = [];
  const bw = c.x1 - c.x0;
  for (let i = 0; i < c.mask.length; i++) if (c.mask[i]) inside.push((c.y0 + Math.floor(i / bw)) * w + c.x0 + (i % bw));
  const scene = bestStep(ring, prev, cur, w, h, p.searchRadius);
  if (!scene || Math.max(Math.abs(scene.dx), Math.abs(scene.dy)) < 1) return false;
  const own = bestStep(inside, prev, cur, w, h, p.searchRadius);
  return !!own && Math.max(Math.abs(own.dx - scene.dx), Math.abs(own.dy - scene.dy)) <= 1;
}

/**
 * The integer step (dx, dy) within `radius` that best maps the pixels' previous values onto their
 * values now (least mean absolute difference); no step (0, 0) when none explains them clearly
 * better than standing still (flat content: every step fits); undefined for no pixels.
 */
function bestStep(pixels: readonly number[], prev: Float32Array, cur: Float32Array, w: number, h: number, radius: number): { dx: number; dy: number } | undefined {
  if (pixels.length === 0) return undefined;
  let best = Infinity, still = Infinity, bx = 0, by = 0;
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      let sum = 0, n = 0;
      for (const i of pixels) {
        const x = (i % w) - dx, y = Math.floor(i / w) - dy;
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        sum += Math.abs(cur[i]! - prev[y * w + x]!);
        n++;
      }
      if (n < pixels.length / 2) continue;
      const mean = sum / n;
      if (dx === 0 && dy === 0) still = mean;
      if (mean < best) [best, bx, by] = [mean, dx, dy];
    }
  }
  return best < STEP_CLEARLY_BETTER * still ? { dx: bx, dy: by } : { dx: 0, dy: 0 };
}

/** A step explains the pixels when it leaves at most this share of standing still's difference. */
const STEP_CLEARLY_BETTER = 0.7;

function toRegion(t: Track, s: number, width: number, height: number, p: LogoNetParams): Region {
  const x = t.x0 * s, y = t.y0 * s;
  const rw = Math.min(width, t.x1 * s) - x, rh = Math.min(height, t.y1 * s) - y;
  const mask = upscaleMask(t.mask, t.x1 - t.x0, t.y1 - t.y0, s, rw, rh);
  return { id: t.id, kind: 'logo', rect: { x, y, width: rw, height: rh }, enabled: true, mask, confidence: t.confidence, state: state(t, p) };
}

const MAX_FAILURES_IN_ROW = 3;

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

  /** Hands the frame to the net when it is one the net looks at; resolves once its regions are in. */
  observe(frame: VideoFrame): Promise<void> {
    if (this.reason) return Promise.resolve();
    if (this.loaded) return this.run(this.loaded, frame);
    this.net ??= LogoNetDetector.open(this.model ?? DEFAULT_LOGO_MODEL, this.params).then(
      (net) => (this.loaded = net),
      (err: unknown) => {
        this.reason = `logo model did not load: ${String((err as Error).message ?? err)}`;
        return undefined;
      },
    );
    return this.net.then((net) => (net ? this.run(net, frame) : undefined));
  }

  private async run(net: LogoNetDetector, frame: VideoFrame): Promise<void> {
    try {
      await net.observe(frame);
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
