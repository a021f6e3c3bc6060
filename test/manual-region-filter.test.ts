import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { yuv420pLayout, type Rect, type VideoFrame } from '../src/core/frame.js';
import type { FilterContext, Region } from '../src/filter/filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { ManualRegionFilter } from '../src/filter/manual-region-filter.js';

const W = 640;
const H = 360;

/** Deterministic PRNG (mulberry32) so the images, and therefore the PSNR numbers, never change. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp8 = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

/**
 * A natural-looking picture without external media. Natural images have a power spectrum close to
 * 1/f^2, i.e. equal energy per octave; so this sums many oriented waves of equal amplitude whose
 * wavelengths are spread evenly over log scale (4 px to 1500 px), plus mild sensor-like noise.
 */
const images = new Map<string, Buffer>();
function synthImage(seed: number, width = W, height = H): Buffer {
  const key = `${seed}:${width}x${height}`;
  if (!images.has(key)) images.set(key, renderImage(seed, width, height));
  return Buffer.from(images.get(key)!);
}

function renderImage(seed: number, width: number, height: number, noise = 2): Buffer {
  const rnd = prng(seed);
  const waves = Array.from({ length: 80 }, () => {
    const wavelength = Math.exp(Math.log(4) + rnd() * Math.log(1500 / 4));
    const angle = rnd() * 2 * Math.PI;
    const k = (2 * Math.PI) / wavelength;
    return { a: k * Math.cos(angle), b: k * Math.sin(angle), phase: rnd() * 2 * Math.PI };
  });
  // sin(ax + by + p) = sin(ax)cos(by + p) + cos(ax)sin(by + p): per-axis tables instead of a sine per pixel and wave.
  const field = (w: number, h: number, plane: number, step: number): Float64Array => {
    const out = new Float64Array(w * h);
    for (const wave of waves) {
      const a = wave.a * (1 + 0.3 * plane) * step;
      const b = wave.b * step;
      const sx = Float64Array.from({ length: w }, (_, x) => Math.sin(a * x));
      const cx = Float64Array.from({ length: w }, (_, x) => Math.cos(a * x));
      for (let y = 0; y < h; y++) {
        const sy = 6 * Math.sin(b * y + wave.phase + plane);
        const cy = 6 * Math.cos(b * y + wave.phase + plane);
        for (let x = 0; x < w; x++) out[y * w + x] = out[y * w + x]! + sx[x]! * cy + cx[x]! * sy;
      }
    }
    return out;
  };
  const l = yuv420pLayout(width, height);
  const buf = Buffer.alloc(l.frameSize);
  const grain = (): number => (rnd() + rnd() + rnd() - 1.5) * 2 * noise;
  const luma = field(width, height, 0, 1);
  for (let i = 0; i < l.ySize; i++) buf[i] = clamp8(128 + luma[i]! + grain());
  for (const [p, off] of [l.uOffset, l.vOffset].entries()) {
    const chroma = field(l.cWidth, l.cHeight, p + 1, 2);
    for (let i = 0; i < l.cSize; i++) buf[off + i] = clamp8(128 + 0.4 * chroma[i]! + grain() / 2);
  }
  return buf;
}

interface PlaneBox {
  offset: number;
  stride: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The luma rectangle and its outward-rounded chroma rectangles, clipped to the frame. */
function boxes(r: Rect, width = W, height = H): PlaneBox[] {
  const l = yuv420pLayout(width, height);
  const x0 = Math.max(0, r.x);
  const y0 = Math.max(0, r.y);
  const x1 = Math.min(width, r.x + r.width);
  const y1 = Math.min(height, r.y + r.height);
  const c = { x0: Math.floor(x0 / 2), y0: Math.floor(y0 / 2), x1: Math.ceil(x1 / 2), y1: Math.ceil(y1 / 2) };
  return [
    { offset: 0, stride: width, x0, y0, x1, y1 },
    { offset: l.uOffset, stride: l.cWidth, ...c },
    { offset: l.vOffset, stride: l.cWidth, ...c },
  ];
}

function* boxPixels(b: PlaneBox): Generator<number> {
  for (let y = b.y0; y < b.y1; y++) for (let x = b.x0; x < b.x1; x++) yield b.offset + y * b.stride + x;
}

/** Burns a logo into the frame: a hard two-level pattern, like text or a station bug. */
function burnLogo(buf: Buffer, r: Rect, width = W, height = H): Buffer {
  const out = Buffer.from(buf);
  for (const [p, b] of boxes(r, width, height).entries()) for (const i of boxPixels(b)) out[i] = p > 0 ? 230 : (i >> 2) % 3 === 0 ? 250 : 20;
  return out;
}

/** Byte offsets covered by any of the rectangles in any plane. */
function covered(rects: readonly Rect[], width = W, height = H): Set<number> {
  const s = new Set<number>();
  for (const r of rects) for (const b of boxes(r, width, height)) for (const i of boxPixels(b)) s.add(i);
  return s;
}

function diffsOutside(a: Buffer, b: Buffer, rects: readonly Rect[], width = W, height = H): number {
  const inside = covered(rects, width, height);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !inside.has(i)) n++;
  return n;
}

/** How many of the given byte offsets differ between two buffers (one expect instead of thousands). */
function mismatches(a: Buffer, b: Buffer, offsets: Iterable<number>): number {
  let n = 0;
  for (const i of offsets) if (a[i] !== b[i]) n++;
  return n;
}

function psnr(a: Buffer, truth: Buffer, b: PlaneBox): number {
  let se = 0;
  let n = 0;
  for (const i of boxPixels(b)) {
    se += (a[i]! - truth[i]!) ** 2;
    n++;
  }
  return 10 * Math.log10((255 * 255 * n) / se);
}

/**
 * No fill can recreate this picture's fine texture, so a removed logo lands around 18-28 dB; the
 * burned-in logo itself sits below 10 dB. The floor separates the two with a margin.
 */
const REMOVED_DB = 15;

function expectLogoRemoved(out: Buffer, truth: Buffer, input: Buffer, r: Rect, width = W, height = H): void {
  for (const b of boxes(r, width, height)) {
    expect(psnr(input, truth, b), 'the logo was burned in').toBeLessThan(12);
    expect(psnr(out, truth, b)).toBeGreaterThan(REMOVED_DB);
  }
}

let seq = 0;
function frameOf(data: Buffer, width = W, height = H): VideoFrame {
  return { seq: seq++, ptsMs: seq * 33, width, height, data, arrivedAt: 0 };
}

function ctx(frame: VideoFrame, behind = false): FilterContext {
  const window = new FrameWindow(2);
  window.push(frame);
  return { window, behind };
}

const region = (id: string, rect: Rect, enabled = true): Region => ({ id, kind: 'manual', rect, enabled });

function run(filter: ManualRegionFilter, data: Buffer, behind = false, width = W, height = H): { data: Buffer; degraded: boolean } {
  const frame = frameOf(data, width, height);
  const res = filter.process(frame, ctx(frame, behind));
  if (res instanceof Promise) throw new Error('ManualRegionFilter is synchronous');
  return res;
}

const work = mkdtempSync(join(tmpdir(), 'clearcast-delogo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function ffmpegDelogo(input: Buffer, r: Rect): Buffer {
  const inPath = join(work, 'in.yuv');
  const outPath = join(work, 'out.yuv');
  writeFileSync(inPath, input);
  const vf = `delogo=x=${r.x}:y=${r.y}:w=${r.width}:h=${r.height}:show=0`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-i', inPath, '-vf', vf, '-f', 'rawvideo', outPath]);
  return readFileSync(outPath);
}

describe('ManualRegionFilter', () => {
  const clean = synthImage(7);
  const logoRect: Rect = { x: 401, y: 37, width: 200, height: 80 };

  it('is named manual and passes frames without enabled regions through untouched', () => {
    const filter = new ManualRegionFilter([region('off', logoRect, false)]);
    expect(filter.name).toBe('manual');
    const input = burnLogo(clean, logoRect);
    expect(run(filter, input).data.equals(input)).toBe(true);
  });

  it('removes the logo into a new buffer, leaving the input and every outside pixel bit-identical', () => {
    const input = burnLogo(clean, logoRect);
    const before = Buffer.from(input);
    const res = run(new ManualRegionFilter([region('bug', logoRect)]), input);
    expect(res.degraded).toBe(false);
    expect(res.data).not.toBe(input);
    expect(input.equals(before)).toBe(true);
    expect(diffsOutside(res.data, input, [logoRect])).toBe(0);
    expectLogoRemoved(res.data, clean, input, logoRect);
  });

  it('beats ffmpeg delogo inside the rectangle on every plane', () => {
    const results: string[] = [];
    // One rectangle at odd coordinates (as logos land), two aligned to the chroma grid.
    const rects: Rect[] = [logoRect, { x: 32, y: 250, width: 300, height: 80 }, { x: 280, y: 150, width: 60, height: 60 }];
    for (const [k, r] of rects.entries()) {
      const truth = synthImage(100 + k);
      const input = burnLogo(truth, r);
      const ours = run(new ManualRegionFilter([region('bug', r)]), input).data;
      const theirs = ffmpegDelogo(input, r);
      // delogo (ffmpeg 5.1) interpolates from the ring just outside x,y,w,h: the same rectangle is a like-for-like comparison.
      expect(diffsOutside(theirs, input, [r])).toBe(0);
      for (const [p, b] of boxes(r).entries()) {
        const o = psnr(ours, truth, b);
        const d = psnr(theirs, truth, b);
        results.push(`${r.width}x${r.height}@${r.x},${r.y} plane ${'YUV'[p]}: ours ${o.toFixed(2)} dB, delogo ${d.toFixed(2)} dB`);
        expect(o, results.at(-1)).toBeGreaterThanOrEqual(d);
      }
    }
    console.info(results.join('\n'));
  });

  it('reconstructs a smooth gradient above 40 dB', () => {
    const l = yuv420pLayout(W, H);
    const truth = Buffer.alloc(l.frameSize);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) truth[y * W + x] = clamp8(40 + 0.25 * x + 0.2 * y + 20 * Math.sin(x / 90));
    truth.fill(128, l.uOffset);
    const r: Rect = { x: 201, y: 101, width: 200, height: 80 };
    const out = run(new ManualRegionFilter([region('g', r)]), burnLogo(truth, r)).data;
    for (const b of boxes(r)) expect(psnr(out, truth, b)).toBeGreaterThan(40);
  });

  it('clips rectangles that touch or exceed the frame edge', () => {
    const rects: Rect[] = [
      { x: -20, y: -10, width: 120, height: 50 },
      { x: 560, y: 300, width: 100, height: 100 },
      { x: 0, y: 150, width: 640, height: 30 },
    ];
    const input = rects.reduce((buf, r) => burnLogo(buf, r), clean);
    const res = run(new ManualRegionFilter(rects.map((r, k) => region(`e${k}`, r))), input);
    expect(diffsOutside(res.data, input, rects)).toBe(0);
    for (const r of rects) expectLogoRemoved(res.data, clean, burnLogo(clean, r), r);
  });

  it('removes overlapping logos without smearing one into the other', () => {
    const a: Rect = { x: 101, y: 101, width: 120, height: 40 };
    const b: Rect = { x: 181, y: 121, width: 90, height: 60 };
    const input = burnLogo(burnLogo(clean, a), b);
    const res = run(new ManualRegionFilter([region('a', a), region('b', b)]), input);
    expect(diffsOutside(res.data, input, [a, b])).toBe(0);
    for (const r of [a, b]) expectLogoRemoved(res.data, clean, input, r);
  });

  it('handles odd frame sizes, odd coordinates and zero-size regions', () => {
    const w = 321;
    const h = 181;
    const truth = synthImage(3, w, h);
    const r: Rect = { x: 75, y: 33, width: 41, height: 17 };
    const input = burnLogo(truth, r, w, h);
    const filter = new ManualRegionFilter([region('odd', r), region('empty', { x: 10, y: 10, width: 0, height: 5 })]);
    const out = run(filter, input, false, w, h).data;
    expect(out.length).toBe(yuv420pLayout(w, h).frameSize);
    expect(diffsOutside(out, input, [r], w, h)).toBe(0);
    expectLogoRemoved(out, truth, input, r, w, h);
  });

  it('rejects a buffer too short for the frame size', () => {
    const filter = new ManualRegionFilter([region('bug', logoRect)]);
    expect(() => run(filter, clean.subarray(0, 1000))).toThrow(RangeError);
  });

  describe('when the pipeline is behind', () => {
    it('pastes the previous fill for an unchanged rectangle and reports degraded', () => {
      const filter = new ManualRegionFilter([region('bug', logoRect)]);
      const first = burnLogo(synthImage(11), logoRect);
      const filled = Buffer.from(run(filter, first).data);
      // The filter must have copied its patch: recycling the input buffer cannot change what it pastes.
      first.fill(0);
      const second = burnLogo(synthImage(12), logoRect);
      const res = run(filter, second, true);
      expect(res.degraded).toBe(true);
      expect(diffsOutside(res.data, second, [logoRect])).toBe(0);
      expect(mismatches(res.data, filled, covered([logoRect]))).toBe(0);
      // A fill computed from this frame's own border would differ: the patch really is the old one.
      const recomputed = run(new ManualRegionFilter([region('bug', logoRect)]), second).data;
      expect(mismatches(res.data, recomputed, covered([logoRect]))).toBeGreaterThan(1000);
    });

    it('forgets the fill of a region that setRegions removed', () => {
      const filter = new ManualRegionFilter([region('bug', logoRect)]);
      run(filter, burnLogo(clean, logoRect));
      filter.setRegions([]);
      filter.setRegions([region('bug', logoRect)]);
      expect(run(filter, burnLogo(clean, logoRect), true).degraded).toBe(false);
    });

    it('computes a fresh fill, not degraded, when the rectangle changed or was never filled', () => {
      const moved: Rect = { ...logoRect, x: logoRect.x - 30 };
      const filter = new ManualRegionFilter([region('bug', logoRect)]);
      run(filter, burnLogo(clean, logoRect));
      filter.setRegions([region('bug', moved)]);
      const input = burnLogo(clean, moved);
      const res = run(filter, input, true);
      expect(res.degraded).toBe(false);
      expect(res.data.equals(run(new ManualRegionFilter([region('bug', moved)]), input).data)).toBe(true);

      const fresh = run(new ManualRegionFilter([region('new', logoRect)]), burnLogo(clean, logoRect), true);
      expect(fresh.degraded).toBe(false);
    });

    it('reuses some regions and recomputes the others in the same frame', () => {
      const other: Rect = { x: 41, y: 201, width: 80, height: 40 };
      const moved: Rect = { ...other, y: other.y + 10 };
      const filter = new ManualRegionFilter([region('bug', logoRect), region('other', other)]);
      const filled = Buffer.from(run(filter, burnLogo(burnLogo(synthImage(21), logoRect), other)).data);
      filter.setRegions([region('bug', logoRect), region('other', moved)]);
      const input = burnLogo(burnLogo(synthImage(22), logoRect), moved);
      const res = run(filter, input, true);
      expect(res.degraded).toBe(true);
      expect(mismatches(res.data, filled, covered([logoRect]))).toBe(0);
      const fresh = run(new ManualRegionFilter([region('other', moved)]), input).data;
      expect(mismatches(res.data, fresh, covered([moved]))).toBe(0);
      expectLogoRemoved(res.data, synthImage(22), burnLogo(synthImage(22), moved), moved);
    });
  });
});
