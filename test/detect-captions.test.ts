import { join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rect, VideoFrame } from '../src/core/frame.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { CaptionNetThread, liveCaptionWorkers } from '../src/filter/detect/caption-thread.js';
import { SubtitleNetDetector } from '../src/filter/detect/subtitle-net.js';
import { TickerDetector } from '../src/filter/detect/ticker.js';
import { WorkerOnnxSession } from '../src/filter/detect/onnx-session.js';
import type { Region } from '../src/filter/filter.js';
import { synthesizeClip, type ClipData } from '../src/synth/index.js';
import { scoreCaptions } from '../bench/caption-score.js';
import { frameOf, paint } from './helpers/clip-frames.js';
import type { SubtitleLook, SubtitleStyle } from '../src/synth/subtitles.js';

// Backgrounds and fonts the caption net never saw in training: the committed fixture photos, and
// two fonts outside the synthesiser's list (Debian fonts-wqy-zenhei, fonts-freefont-ttf).
const MEDIA = join(import.meta.dirname, 'fixtures', 'media');
const CHELSEA = join(MEDIA, 'skimage-chelsea.jpg');
const COFFEE = join(MEDIA, 'skimage-coffee.jpg');
const HELD_OUT: readonly Partial<SubtitleLook>[] = [
  { script: 'cjk', font: 'WenQuanYi Zen Hei' },
  { script: 'latin', font: 'FreeSans' },
];

/** Pixel recall and precision of the caption net against alpha >= 3, every frame (the bench's scoring). */
async function captionScore(det: CaptionNetThread | SubtitleNetDetector, c: ClipData): Promise<{ recall: number; precision: number; found: number }> {
  const s = await scoreCaptions(det, c);
  return { recall: s.tp / s.truth, precision: s.tp / s.found, found: s.found };
}

// The net as the live path runs it: in its own thread, with its pre- and post-processing.
describe('caption net', () => {
  let det: CaptionNetThread;
  beforeAll(async () => {
    det = await CaptionNetThread.open();
  });
  afterAll(() => det.close());

  it('has the held-out fonts to test with', () => {
    const families = new Set(GlobalFonts.families.map((f) => f.family));
    for (const look of HELD_OUT) expect(families.has(look.font!), `${look.font} missing: apt-get install fonts-wqy-zenhei fonts-freefont-ttf`).toBe(true);
  });

  for (const look of HELD_OUT) {
    for (const style of ['outline', 'shadow', 'box'] as SubtitleStyle[]) {
      it(`meets the bar on ${look.font} (never trained on), ${style}`, async () => {
        const clip = await synthesizeClip({ id: 't', seed: 5, width: 640, height: 360, fps: 25, frames: 30, source: { kind: 'pan', photo: CHELSEA }, overlays: [{ kind: 'subtitles', look: { ...look, style } }] });
        const s = await captionScore(det, clip);
        expect(s.recall).toBeGreaterThanOrEqual(0.95);
        expect(s.precision).toBeGreaterThanOrEqual(0.85);
      });
    }
  }

  it('reads a 1280x720 frame at 640x360 and scales its masks back', async () => {
    const clip = await synthesizeClip({ id: 'hd', seed: 7, width: 1280, height: 720, fps: 25, frames: 12, source: { kind: 'pan', photo: COFFEE }, overlays: [{ kind: 'subtitles', look: { ...HELD_OUT[1], style: 'outline' } }] });
    const s = await captionScore(det, clip);
    console.log(`1280x720 outlined FreeSans: recall ${s.recall.toFixed(3)}, precision ${s.precision.toFixed(3)}`);
    // Each working pixel becomes a 2x2 block, so the rim is coarser than at the working size.
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
    expect(s.precision).toBeGreaterThanOrEqual(0.75);
  });

  it('keeps a caption to its centred extent when scene strokes beside it merge into the line', async () => {
    const clip = await synthesizeClip({ id: 'side', seed: 9, width: 640, height: 360, fps: 25, frames: 12, source: { kind: 'pan', photo: COFFEE }, overlays: [{ kind: 'subtitles', look: { ...HELD_OUT[1], style: 'outline' } }] });
    const { width: w, height: h } = clip.truth;
    // Captions are centred; 4 % of the height (14 px here) is what a line may reach past the mirror of its nearer end.
    const slack = Math.round(0.04 * h);
    let lines = 0, truth = 0, hit = 0;
    for (let f = 0; f < clip.truth.frames; f++) {
      const cap = clip.truth.rects[f]?.find((r) => r.kind === 'subtitles')?.rect;
      const data = Buffer.from(clip.input[f]!);
      // Scene that looks like more caption: the line's last 40 columns again, 4 px after its end.
      if (cap) for (let y = cap.y; y < cap.y + cap.height; y++) for (let x = 0; x < 40 && cap.x + cap.width + 4 + x < w; x++) data[y * w + cap.x + cap.width + 4 + x] = data[y * w + cap.x + cap.width - 40 + x]!;
      await det.observe({ ...frameOf(clip, f), data });
      for (const r of det.regions()) {
        lines++;
        expect(r.rect.x + r.rect.width - w / 2).toBeLessThanOrEqual(w / 2 - r.rect.x + slack + 1);
      }
      if (!cap) continue;
      const found = paint(det.regions(), 'subtitle', w, h);
      const alpha = clip.alpha[f]!;
      for (let y = cap.y; y < cap.y + cap.height; y++) {
        for (let x = cap.x; x < cap.x + cap.width; x++) {
          if (alpha[y * w + x]! < 3) continue;
          truth++;
          hit += found[y * w + x]!;
        }
      }
    }
    expect(lines).toBeGreaterThan(0);
    expect(hit / truth).toBeGreaterThanOrEqual(0.95);
  });

  it('finds nothing on caption-free pictures', async () => {
    for (const [seed, photo] of [[1, CHELSEA], [2, COFFEE]] as const) {
      const clip = await synthesizeClip({ id: 'c', seed, width: 640, height: 360, fps: 25, frames: 20, source: { kind: 'pan', photo }, overlays: [] });
      expect((await captionScore(det, clip)).found).toBe(0);
    }
    const video = await synthesizeClip({ id: 'v', seed: 3, width: 320, height: 240, fps: 25, frames: 20, source: { kind: 'video', path: join(MEDIA, 'tree-160x120.mp4') }, overlays: [] });
    expect((await captionScore(det, video)).found).toBe(0);
  });
});

describe('caption thread', () => {
  it('finds, frame by frame, exactly the regions the detector finds in this thread', async () => {
    const clip = await synthesizeClip({ id: 'same', seed: 11, width: 1280, height: 720, fps: 25, frames: 10, source: { kind: 'pan', photo: COFFEE }, overlays: [{ kind: 'subtitles', look: { ...HELD_OUT[1], style: 'shadow' } }] });
    const here = await SubtitleNetDetector.open();
    const thread = await CaptionNetThread.open();
    let masks = 0;
    // Two frames posted at a time, as the filter does when it starts the next frame's look early:
    // each answer is its own frame's.
    for (let f = 0; f + 1 < clip.truth.frames; f += 2) {
      const both = [thread.observe(frameOf(clip, f)), thread.observe(frameOf(clip, f + 1))];
      for (const [k, answer] of both.entries()) {
        await here.observe(frameOf(clip, f + k));
        // Region for region: id, box, confidence and every mask pixel.
        expect(await answer).toEqual(here.regions());
        masks += here.regions().length;
      }
      expect(thread.regions()).toEqual(here.regions());
    }
    expect(masks).toBeGreaterThan(0);
    await here.close();
    await thread.close();
  });

  it('fails a frame answered too late, refuses frames beyond its bound, and leaves no thread behind', async () => {
    const before = liveCaptionWorkers();
    const clip = await synthesizeClip({ id: 'late', seed: 3, width: 640, height: 360, fps: 25, frames: 3, source: { kind: 'pan', photo: CHELSEA }, overlays: [] });
    const late = await CaptionNetThread.open(undefined, undefined, { timeoutMs: 0 });
    expect(liveCaptionWorkers()).toBe(before + 1);
    await expect(late.observe(frameOf(clip, 0))).rejects.toThrow(/longer than 0 ms/);
    await late.close();
    const bounded = await CaptionNetThread.open(undefined, undefined, { maxInFlight: 1 });
    const first = bounded.observe(frameOf(clip, 1));
    await expect(bounded.observe(frameOf(clip, 2))).rejects.toThrow(/busy/);
    await first;
    await bounded.close();
    expect(liveCaptionWorkers()).toBe(before);
  });

  it('rejects a model that does not exist, with the path in the reason', async () => {
    await expect(CaptionNetThread.open('/nonexistent/caption.onnx')).rejects.toThrow(/nonexistent\/caption\.onnx/);
  });
});

describe('onnx worker session', () => {
  it('rejects a model that does not exist, with the path in the reason', async () => {
    await expect(WorkerOnnxSession.open('/nonexistent/model.onnx')).rejects.toThrow(/nonexistent\/model\.onnx/);
  });

  it('falls back to the classical caption detector when the model cannot load, and says why', async () => {
    const filter = new AutoFilter({ subtitleModel: '/nonexistent/model.onnx' });
    const clip = await synthesizeClip({ id: 'f', seed: 2, width: 320, height: 240, fps: 25, frames: 2, source: { kind: 'static', photo: CHELSEA }, overlays: [] });
    const window = new FrameWindow(2);
    window.push(frameOf(clip, 0));
    await filter.process(frameOf(clip, 0), { window, behind: false });
    expect(filter.subtitleEngine.engine).toBe('classical');
    expect(filter.subtitleEngine.reason).toMatch(/did not load/);
    await filter.close();
  });
});

/** Ticker layer's true box on frame f. */
const tickerRect = (c: ClipData, f: number): Rect => c.truth.rects[f]!.find((r) => r.kind === 'ticker')!.rect;

describe('ticker', () => {
  it('finds a scrolling bar within half a second and reports it as a ticker region', async () => {
    for (const [seed, width, height] of [[1, 320, 240], [4, 640, 360]] as const) {
      const clip = await synthesizeClip({ id: 'k', seed, width, height, fps: 25, frames: 25, source: { kind: 'pan', photo: CHELSEA }, overlays: [{ kind: 'ticker' }] });
      const det = new TickerDetector();
      let firstActive = -1;
      for (let f = 0; f < 25; f++) {
        det.observe(frameOf(clip, f));
        if (firstActive < 0 && det.regions().some((r) => r.state === 'active')) firstActive = f;
      }
      expect(firstActive).toBeGreaterThanOrEqual(0);
      expect(firstActive).toBeLessThan(12);
      const [r] = det.regions();
      const truth = tickerRect(clip, 24);
      expect(r).toMatchObject({ kind: 'ticker', state: 'active', rect: { x: 0, width } });
      // The bar's rows, within a row.
      expect(Math.abs(r!.rect.y - truth.y)).toBeLessThanOrEqual(1);
      expect(Math.abs(r!.rect.y + r!.rect.height - truth.y - truth.height)).toBeLessThanOrEqual(1);
      expect(r!.confidence).toBeGreaterThan(0.9);
    }
  });

  /**
   * A 320x240 frame: a dark plate on rows 210-234 with bright "headlines" scrolling 3 px a frame
   * until `quietFrom` (then a gap between headlines: the plate alone), over a textured pan whose
   * rows just above the plate turn as dark as the plate from `blendFrom` on (its top edge fades).
   */
  function tickerFrame(f: number, quietFrom: number, blendFrom: number): VideoFrame {
    const W = 320, H = 240;
    const data = Buffer.alloc(W * H * 1.5, 128);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let v: number;
        if (y >= 210 && y < 235) {
          const headline = f < quietFrom && y >= 216 && y < 228 && ((x + 3 * f) % 40) < 24 && ((x + 3 * f) % 6) < 4;
          v = headline ? 220 : 40;
        } else if (f >= blendFrom && y >= 190) {
          v = 40 + ((x * 7 + y * 3 + f) % 5);
        } else {
          v = 120 + 60 * Math.sin((x + 2 * f) * 0.21) * Math.cos((y + f) * 0.17);
        }
        data[y * W + x] = v;
      }
    }
    return { seq: f, ptsMs: f * 40, width: W, height: H, data, arrivedAt: 0 };
  }

  it('keeps a confirmed bar through a gap between headlines, and while the scene above matches its plate', () => {
    for (const [quietFrom, blendFrom] of [[30, 1000], [1000, 30]] as const) {
      const det = new TickerDetector();
      const states: string[] = [];
      for (let f = 0; f < 90; f++) {
        det.observe(tickerFrame(f, quietFrom, blendFrom));
        states.push(det.regions()[0]?.state ?? 'none');
      }
      expect(states[29]).toBe('active');
      expect(states.slice(30)).toEqual(Array(60).fill('active'));
    }
  });

  it('finds no ticker in a boxed caption or a caption-free pan', async () => {
    for (const overlays of [[{ kind: 'subtitles', look: { style: 'box' } }], []] as const) {
      const clip = await synthesizeClip({ id: 'n', seed: 6, width: 320, height: 240, fps: 25, frames: 40, source: { kind: 'pan', photo: COFFEE }, overlays });
      const det = new TickerDetector();
      for (let f = 0; f < 40; f++) {
        det.observe(frameOf(clip, f));
        expect(det.regions()).toHaveLength(0);
      }
    }
  });
});

describe('AutoFilter with captions and tickers', () => {
  const runAll = async (filter: AutoFilter, clip: ClipData) => {
    const window = new FrameWindow(4);
    const outs: Buffer[] = [];
    for (let f = 0; f < clip.input.length; f++) {
      const fr = frameOf(clip, f);
      window.push(fr);
      outs.push((await filter.process(fr, { window, behind: false })).data);
    }
    return outs;
  };

  it('removes the ticker bar and the captions, and reports both with id, kind, mask, box, confidence and state', async () => {
    const clip = await synthesizeClip({
      id: 'a', seed: 8, width: 320, height: 240, fps: 25, frames: 20, source: { kind: 'pan', photo: CHELSEA },
      overlays: [{ kind: 'ticker', opacity: 1 }, { kind: 'subtitles', look: { position: 'top', style: 'outline', script: 'latin' } }],
    });
    const filter = new AutoFilter();
    const outs = await runAll(filter, clip);
    const last = clip.input.length - 1;
    const regions = filter.detectedRegions();
    const ticker = regions.find((r) => r.kind === 'ticker')!;
    expect(ticker).toMatchObject({ id: 'ticker-0', state: 'active', enabled: true });
    expect(ticker.mask).toHaveLength(ticker.rect.width * ticker.rect.height);
    expect(regions.some((r) => r.kind === 'subtitle' && r.state === 'active' && r.confidence! > 0.5)).toBe(true);
    // Inside the bar the output is no longer the input.
    const bar = tickerRect(clip, last);
    let changed = 0;
    for (let y = bar.y; y < bar.y + bar.height; y++) for (let x = 0; x < 320; x++) if (outs[last]![y * 320 + x] !== clip.input[last]![y * 320 + x]) changed++;
    expect(changed / (bar.height * 320)).toBeGreaterThan(0.5);
    await filter.close();
  });

  it('gives the same output when each frame\'s captions are started early, during the previous frame (FilterContext.next)', async () => {
    const clip = await synthesizeClip({
      id: 'e', seed: 12, width: 320, height: 240, fps: 25, frames: 30, source: { kind: 'pan', photo: CHELSEA },
      overlays: [{ kind: 'subtitles', look: { position: 'bottom', style: 'outline', script: 'latin' } }],
    });
    const plain = new AutoFilter({ temporal: true });
    const expected = await runAll(plain, clip);
    await plain.close();
    const early = new AutoFilter({ temporal: true });
    const window = new FrameWindow(4);
    const frames = clip.input.map((_, f) => frameOf(clip, f));
    let captioned = 0;
    for (const [f, fr] of frames.entries()) {
      window.push(fr);
      const next = frames[f + 1];
      const out = (await early.process(fr, { window, behind: false, ...(next ? { next } : {}) })).data;
      expect(out.equals(expected[f]!)).toBe(true);
      if (early.detectedRegions().some((r) => r.kind === 'subtitle' && r.state === 'active')) captioned++;
    }
    expect(captioned).toBeGreaterThan(10);
    await early.close();
  });

  it('reports a ticker bar once, as the ticker: no logo regions inside it', async () => {
    const clip = await synthesizeClip({ id: 't', seed: 31, width: 320, height: 240, fps: 25, frames: 125, source: { kind: 'pan', photo: CHELSEA }, overlays: [{ kind: 'ticker', opacity: 1 }] });
    const filter = new AutoFilter({ subtitles: false });
    await runAll(filter, clip);
    const regions = filter.detectedRegions();
    const ticker = regions.find((r) => r.kind === 'ticker' && r.state === 'active')!;
    expect(ticker).toBeDefined();
    const inside = (r: Region) => r.rect.y >= ticker.rect.y - 2 && r.rect.y + r.rect.height <= ticker.rect.y + ticker.rect.height + 2;
    expect(regions.filter((r) => r.kind === 'logo' && inside(r))).toEqual([]);
    await filter.close();
  });

  it('never touches an exclusion zone, and a ticker or caption wholly inside one is disabled', async () => {
    const clip = await synthesizeClip({
      id: 'x', seed: 8, width: 320, height: 240, fps: 25, frames: 20, source: { kind: 'pan', photo: CHELSEA },
      overlays: [{ kind: 'ticker', opacity: 1 }, { kind: 'subtitles', look: { position: 'top', style: 'outline', script: 'latin' } }],
    });
    const zones: Rect[] = [{ x: 0, y: 0, width: 320, height: 70 }, { x: 0, y: 170, width: 320, height: 70 }];
    const filter = new AutoFilter();
    filter.setControls({ disabledIds: [], exclusions: zones, settings: {} });
    const outs = await runAll(filter, clip);
    let touched = 0;
    for (const [f, out] of outs.entries()) {
      for (const z of zones) for (let y = z.y; y < z.y + z.height; y++) for (let x = z.x; x < z.x + z.width; x++) if (out[y * 320 + x] !== clip.input[f]![y * 320 + x]) touched++;
    }
    expect(touched).toBe(0);
    const found = filter.detectedRegions().filter((r) => r.kind === 'ticker' || r.kind === 'subtitle');
    expect(found.length).toBeGreaterThan(0);
    for (const r of found) expect(r.enabled).toBe(false);
    await filter.close();
  });
});
