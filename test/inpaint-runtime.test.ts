import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { VideoFrame } from '../src/core/frame.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { MIN_SCALE, planTiles, sampleCrop } from '../src/filter/inpaint/crop.js';
import { ModelInpainter, type ModelInpainterOptions } from '../src/filter/inpaint/index.js';
import { ManualRegionFilter } from '../src/filter/manual-region-filter.js';
import type { Region } from '../src/filter/filter.js';
import { synthesizeClip } from '../src/synth/index.js';

/** The committed model: the runtime is tested with the real weights and onnxruntime-node. */
const MODEL = join(PROJECT_ROOT, 'models', 'sttn-inpaint.onnx');
const MEDIA = join(import.meta.dirname, 'fixtures', 'media');
const SHAPE = { width: 128, height: 64 };

const inpainters: ModelInpainter[] = [];
afterAll(async () => {
  for (const m of inpainters) await m.close();
});

function inpainter(over: Partial<ModelInpainterOptions> = {}): ModelInpainter {
  const m = new ModelInpainter({ modelPath: MODEL, executionProvider: 'cpu', threads: 1, maxInFlight: 1, deadlineMs: 30_000, smoothing: 1, senseThreshold: 0, ...over });
  inpainters.push(m);
  return m;
}

describe('model crops', () => {
  it('tiles a 720p subtitle band at one scale within the trained range, covering the band, inside the frame', () => {
    const hole = { x: 128, y: 600, width: 1024, height: 90 };
    const tiles = planTiles(hole, 1280, 720, SHAPE);
    expect(tiles.length).toBeGreaterThan(1);
    const scale = tiles[0]!.scale;
    expect(scale).toBeLessThanOrEqual(1);
    expect(scale).toBeGreaterThanOrEqual(MIN_SCALE);
    for (const t of tiles) {
      expect(t.scale).toBe(scale);
      expect(t.x0).toBeGreaterThanOrEqual(0);
      expect(t.x0 + SHAPE.width / scale).toBeLessThanOrEqual(1280 + 1e-9);
      expect(t.y0).toBeLessThanOrEqual(hole.y);
      expect(t.y0 + SHAPE.height / scale).toBeGreaterThanOrEqual(hole.y + hole.height);
    }
    expect(Math.min(...tiles.map((t) => t.x0))).toBeLessThanOrEqual(hole.x);
    expect(Math.max(...tiles.map((t) => t.x0 + SHAPE.width / scale))).toBeGreaterThanOrEqual(hole.x + hole.width);
  });

  it('keeps a small logo at full resolution in one tile', () => {
    const tiles = planTiles({ x: 250, y: 10, width: 40, height: 20 }, 320, 240, SHAPE);
    expect(tiles).toHaveLength(1);
    expect(tiles[0]!.scale).toBe(1);
  });

  it('samples at pixel centres like training (grid_sample, align_corners=False): exact on a linear ramp', () => {
    const w = 320, h = 240;
    const lin = new Uint8Array((w * h * 3) / 2).fill(100);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) lin[y * w + x] = (x + 2 * y) % 256;
    const out = new Float32Array(3 * SHAPE.width * SHAPE.height);
    // Scale 0.5: model pixel j reads frame position x0 + (j + 0.5) * 2, i.e. pixel-index x0 + 2j + 0.5.
    sampleCrop(lin, w, h, { x0: 10, y0: 4, scale: 0.5 }, SHAPE, out, 0);
    const expected = (j: number, i: number) => 10 + 2 * j + 0.5 + 2 * (4 + 2 * i + 0.5);
    for (const [j, i] of [[0, 0], [5, 3], [40, 20]] as const) {
      if (expected(j, i) < 255) expect(out[i * SHAPE.width + j]).toBeCloseTo(expected(j, i), 4);
    }
    // Chroma: a flat plane stays flat.
    expect(out[SHAPE.width * SHAPE.height + 77]).toBe(100);
  });
});

/** A short pan with an opaque logo, and the filter set up with the logo's true box. */
async function logoClip() {
  const clip = await synthesizeClip({
    id: 'model', seed: 11, width: 192, height: 128, fps: 25, frames: 20,
    source: { kind: 'pan', photo: join(MEDIA, 'skimage-coffee.jpg') },
    overlays: [{ kind: 'logo', opacity: 1, widthFrac: 0.15, graphic: 'drawn', placement: 'corner' }],
  });
  const rect = clip.truth.rects[0]![0]!.rect;
  const region: Region = { id: 'logo', kind: 'manual', rect, enabled: true };
  return { clip, region };
}

function frameOf(data: Buffer, seq: number, width: number, height: number): VideoFrame {
  return { seq, ptsMs: seq * 40, width, height, data, arrivedAt: 0 };
}

function lumaSqErr(a: Uint8Array, b: Uint8Array, rect: { x: number; y: number; width: number; height: number }, width: number): number {
  let s = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) for (let x = rect.x; x < rect.x + rect.width; x++) s += (a[y * width + x]! - b[y * width + x]!) ** 2;
  return s / (rect.width * rect.height);
}

function outsideEqual(a: Uint8Array, b: Uint8Array, rect: { x: number; y: number; width: number; height: number }, width: number, height: number): boolean {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height) continue;
      if (a[y * width + x] !== b[y * width + x]) return false;
    }
  }
  return true;
}

describe('ModelInpainter with the committed model', () => {
  it('refines the manual fill inside the region only, closer to the clean frames than the input', async () => {
    const { clip, region } = await logoClip();
    const { width, height } = clip.truth;
    const classical = new ManualRegionFilter([region]);
    const model = inpainter();
    const refined = new ManualRegionFilter([region], { model });
    expect(refined.windowFramesNeeded).toBe(16);
    const window = new FrameWindow(16);
    let errModel = 0, errInput = 0;
    for (let f = 0; f < clip.input.length; f++) {
      const frame = frameOf(clip.input[f]!, f, width, height);
      window.push(frame);
      const a = await classical.process(frame, { window, behind: false });
      const b = await refined.process(frame, { window, behind: false });
      // Outside the region the model never touches a pixel: identical to the classical filter (and so to the input).
      expect(outsideEqual(a.data, b.data, region.rect, width, height)).toBe(true);
      errModel += lumaSqErr(b.data, clip.clean[f]!, region.rect, width);
      errInput += lumaSqErr(clip.input[f]!, clip.clean[f]!, region.rect, width);
    }
    expect(errModel).toBeLessThan(errInput / 4);
    const stats = model.stats();
    expect(stats.state).toBe('ready');
    expect(stats.fresh).toBe(clip.input.length);
    expect(stats.late + stats.skipped + stats.notReady + stats.errors).toBe(0);
  });

  it('never holds a frame past its deadline: a late result leaves the classical fill, and later frames reuse it', async () => {
    const { clip, region } = await logoClip();
    const { width, height } = clip.truth;
    // Residuals measured against the classical fill itself, so the reused one visibly changes pixels.
    const model = inpainter({ deadlineMs: 0, residualOver: 'classical' });
    await model.ready();
    const classical = new ManualRegionFilter([region]);
    const refined = new ManualRegionFilter([region], { model });
    const window = new FrameWindow(16);
    const step = async (f: number) => {
      const frame = frameOf(clip.input[f]!, f, width, height);
      window.push(frame);
      const a = await classical.process(frame, { window, behind: false });
      const b = await refined.process(frame, { window, behind: false });
      return { a: a.data, b: b.data };
    };
    const first = await step(0);
    // Not waited for: either its run missed the (zero) deadline or the shared worker was still busy.
    expect(model.stats().late + model.stats().skipped).toBe(1);
    expect(model.stats().fresh).toBe(0);
    expect(Buffer.compare(first.a, first.b)).toBe(0);
    // Let the late run land, then the next frame applies that residual without waiting.
    for (let i = 0; i < 400 && model.stats().results < 1; i++) await new Promise((r) => setTimeout(r, 25));
    const second = await step(1);
    expect(Buffer.compare(second.a, second.b)).not.toBe(0);
    expect(outsideEqual(second.a, second.b, region.rect, width, height)).toBe(true);
  });

  it('falls back to CPU when the configured provider cannot load, with one log line', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
    const model = inpainter({ executionProvider: 'cuda', log });
    await model.ready();
    const s = model.stats().session!;
    expect(s.requestedProvider).toBe('cuda');
    expect(s.provider).toBe('cpu');
    expect(s.fallbackReason).toBeTruthy();
    expect(lines.filter((l) => l.includes('could not load'))).toHaveLength(1);
  });
});
