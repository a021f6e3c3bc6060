import { describe, expect, it } from 'vitest';
import { yuv420pLayout, type VideoFrame } from '../src/core/frame.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { BackgroundMaps, DEFAULT_DEBLEND_PARAMS, PlaneMoments, deblendPixel, regionSlope } from '../src/filter/detect/deblend.js';
import { FillScratch } from '../src/filter/fill/index.js';
import { DEFAULT_CANDIDATE_PARAMS } from '../src/filter/detect/index.js';
import { FrameWindow } from '../src/filter/frame-window.js';

const W = 160;
const H = 120;
const ALPHA = 0.45;
const LOGO = { x: 100, y: 12, width: 40, height: 24 };

/** Smooth-ish moving texture: what a pan over a photo looks like at this scale. */
function background(x: number, y: number, f: number): number {
  const u = x + 2 * f, v = y + f;
  return 128 + 45 * Math.sin(u * 0.21) * Math.cos(v * 0.17) + 25 * Math.sin((u + 2 * v) * 0.09);
}

/** Overlay colour: a bright plate with a dark bar, so the logo has edges of its own. */
function colour(x: number, y: number): number | undefined {
  const lx = x - LOGO.x, ly = y - LOGO.y;
  if (lx < 0 || ly < 0 || lx >= LOGO.width || ly >= LOGO.height) return undefined;
  return ly >= 9 && ly < 15 && lx >= 6 && lx < 34 ? 20 : 235;
}

function frames(count: number): { input: VideoFrame[]; clean: Uint8Array[] } {
  const { frameSize, ySize } = yuv420pLayout(W, H);
  const input: VideoFrame[] = [];
  const clean: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    const data = Buffer.alloc(frameSize, 128);
    const c = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const b = Math.round(background(x, y, f));
        c[y * W + x] = b;
        const o = colour(x, y);
        data[y * W + x] = o === undefined ? b : Math.round(ALPHA * o + (1 - ALPHA) * b);
      }
    }
    data.fill(128, ySize);
    input.push({ seq: f, ptsMs: f * 40, width: W, height: H, data, arrivedAt: 0 });
    clean.push(c);
  }
  return { input, clean };
}

describe('translucent de-blend', () => {
  /** A 24x24 plane whose background shifts in brightness over time, with an overlay blended on its centre. */
  const blended = (alpha: number) => {
    const moments = new PlaneMoments(24, 24, 1000);
    const rect = { x0: 6, y0: 6, x1: 18, y1: 18 };
    const plane = { data: new Uint8Array(24 * 24), offset: 0, width: 24, height: 24 };
    const clean = (x: number, y: number, t: number) => 120 + 50 * Math.sin(t * 0.37 + x * 0.05) + 0.5 * y;
    const pixels: number[] = [];
    for (let y = rect.y0; y < rect.y1; y++) for (let x = rect.x0; x < rect.x1; x++) pixels.push(y * 24 + x);
    for (let t = 0; t < 100; t++) {
      for (let y = 0; y < 24; y++) {
        for (let x = 0; x < 24; x++) {
          const inside = x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1;
          plane.data[y * 24 + x] = Math.round(inside ? alpha * 210 + (1 - alpha) * clean(x, y, t) : clean(x, y, t));
        }
      }
      moments.addRect(plane, rect);
    }
    const maps = new BackgroundMaps();
    expect(maps.build(moments, rect, new FillScratch())).toBe(true);
    return { moments, maps, pixels, plane, clean: (i: number) => clean(i % 24, Math.floor(i / 24), 99) };
  };

  it('recovers alpha and the clean pixels of a translucent overlay from its statistics', () => {
    const { moments, maps, pixels, plane, clean } = blended(0.4);
    const slope = regionSlope(moments, maps, pixels, DEFAULT_DEBLEND_PARAMS);
    expect(slope).toBeDefined();
    expect(Math.abs(slope! - 0.6)).toBeLessThan(0.03);
    let worst = 0;
    for (const i of pixels) {
      const v = deblendPixel(moments, maps, i, plane.data[i]!, slope!, DEFAULT_DEBLEND_PARAMS);
      expect(v).toBeDefined();
      worst = Math.max(worst, Math.abs(v! - clean(i)));
    }
    // Observed pixels are rounded to integers: 1/(1-a) = 1.7x that rounding, plus the mean's own.
    expect(worst).toBeLessThan(2.5);
  });

  // The bar is alpha <= 0.6; the ring's estimate of a 0.6 plate came out at 0.60-0.76 (median
  // 0.68) on logo-eval's pan-translucent-3 at 640x360, so the guard sits above it.
  it('inverts an overlay a little more opaque than the bar\'s 0.6, as an estimate of a 0.6 plate can come out', () => {
    const { moments, maps, pixels } = blended(0.66);
    const slope = regionSlope(moments, maps, pixels, DEFAULT_DEBLEND_PARAMS);
    expect(slope).toBeDefined();
    expect(Math.abs(slope! - 0.34)).toBeLessThan(0.03);
  });

  it('refuses to invert an overlay more opaque than the guard allows', () => {
    const { moments, maps, pixels } = blended(0.8);
    expect(regionSlope(moments, maps, pixels, DEFAULT_DEBLEND_PARAMS)).toBeUndefined();
  });

  it('restores a detected translucent logo better than filling it', async () => {
    const { input, clean } = frames(200);
    const psnrInLogo = async (filter: AutoFilter) => {
      const window = new FrameWindow(2);
      let se = 0, n = 0;
      for (const [f, fr] of input.entries()) {
        window.push(fr);
        const out = (await filter.process(fr, { window, behind: false })).data;
        if (f < 150) continue;
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
          if (colour(x, y) === undefined) continue;
          const d = out[y * W + x]! - clean[f]![y * W + x]!;
          se += d * d;
          n++;
        }
      }
      return 10 * Math.log10((255 * 255) / (se / n));
    };
    // The default edge test rejects edges that change more than 15 % of their strength between
    // samples (static-camera scene structure); a translucent edge over this fast pan changes more,
    // so the scene here relaxes it. What is under test is the de-blend, not that guard.
    const candidates = { ...DEFAULT_CANDIDATE_PARAMS, strongActivityRatio: 0.6, weakActivityRatio: 0.8, maxRelativeActivity: 0.75 };
    const deblended = await psnrInLogo(new AutoFilter({ candidates }));
    const filled = await psnrInLogo(new AutoFilter({ candidates, deblend: false }));
    console.log(`translucent logo (alpha ${ALPHA}): fill ${filled.toFixed(2)} dB, de-blend ${deblended.toFixed(2)} dB`);
    expect(filled).toBeGreaterThan(15);
    expect(deblended).toBeGreaterThan(32);
    expect(deblended).toBeGreaterThan(filled + 10);
  });

  it('reports the blend it learned on the region: alpha, colour, and with camera motion a per-pixel matte', async () => {
    const { input } = frames(150);
    const candidates = { ...DEFAULT_CANDIDATE_PARAMS, strongActivityRatio: 0.6, weakActivityRatio: 0.8, maxRelativeActivity: 0.75 };
    const learned = async (filter: AutoFilter) => {
      const window = new FrameWindow(2);
      for (const fr of input) {
        window.push(fr);
        await filter.process(fr, { window, behind: false });
      }
      const logo = filter.detectedRegions().find((r) => r.kind === 'logo' && r.state === 'active');
      await filter.close();
      return logo;
    };
    // The plate is luma 235 with a bar of 20 over a sixth of it, chroma neutral: a light grey.
    const expectGrey = (colour: string) => {
      const [r, g, b] = [1, 3, 5].map((k) => parseInt(colour.slice(k, k + 2), 16));
      for (const c of [r!, g!, b!]) expect(Math.abs(c - 1.164 * (197 - 16))).toBeLessThan(30);
    };
    const ring = await learned(new AutoFilter({ candidates }));
    expect(ring?.blend?.source).toBe('ring');
    expect(Math.abs(ring!.blend!.alpha - ALPHA)).toBeLessThan(0.06);
    expectGrey(ring!.blend!.colour);
    expect(ring!.blend!.matte).toBeUndefined();

    const motion = await learned(new AutoFilter({ candidates, temporal: true }));
    expect(motion?.blend?.source).toBe('motion');
    expect(Math.abs(motion!.blend!.alpha - ALPHA)).toBeLessThan(0.06);
    expectGrey(motion!.blend!.colour);
    const { rect, blend } = motion!;
    expect(blend!.matte).toHaveLength(rect.width * rect.height);
    // Inside the plate (away from its edges and the bar) the matte reads the plate's alpha.
    const inside: number[] = [];
    for (let y = LOGO.y + 2; y < LOGO.y + 8; y++) for (let x = LOGO.x + 3; x < LOGO.x + LOGO.width - 3; x++) {
      const lx = x - rect.x, ly = y - rect.y;
      if (lx >= 0 && ly >= 0 && lx < rect.width && ly < rect.height) inside.push(blend!.matte![ly * rect.width + lx]!);
    }
    inside.sort((a, b) => a - b);
    expect(inside.length).toBeGreaterThan(50);
    expect(Math.abs(inside[inside.length >> 1]! - 255 * ALPHA)).toBeLessThan(20);
  });
});
