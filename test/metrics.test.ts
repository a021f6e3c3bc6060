import { describe, expect, it } from 'vitest';
import { yuv420pLayout } from '../src/core/frame.js';
import { ClipEvaluator, MASK_DILATE_PX } from '../bench/evaluate.js';
import { addMaskCounts, changedMask, detectionScores, dilate, percentile, psnr, psnrFromMse, ssim } from '../bench/metrics.js';

const W = 64;
const H = 48;

/** Deterministic textured picture (mulberry32), so SSIM has structure to compare. */
function texture(seed: number, n = W * H): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = 40 + (((t ^ (t >>> 14)) >>> 0) % 160);
  }
  return out;
}

function square(x0: number, y0: number, size: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) m[y * W + x] = 1;
  return m;
}

describe('PSNR', () => {
  it('is Infinity for identical pictures', () => {
    const a = texture(1);
    expect(psnr(a, a.slice())).toBe(Infinity);
  });

  it('matches 10*log10(255^2/d^2) for a +-d error on every pixel', () => {
    const a = texture(2);
    const b = a.map((v, i) => v + (i % 2 ? 5 : -5));
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10((255 * 255) / 25), 10);
    expect(psnrFromMse(1)).toBeCloseTo(48.1308, 4);
  });
});

describe('SSIM', () => {
  it('is 1 for identical pictures and drops with noise, more with more noise', () => {
    const a = texture(3);
    expect(ssim(a, a, W, H)).toBeCloseTo(1, 12);
    const noisy = (amp: number) => a.map((v, i) => v + (((i * 7919) % 3) - 1) * amp);
    const s4 = ssim(a, noisy(4), W, H);
    const s30 = ssim(a, noisy(30), W, H);
    expect(s4).toBeLessThan(1);
    expect(s30).toBeLessThan(s4);
  });

  it('scores an unrelated texture near 0', () => {
    expect(Math.abs(ssim(texture(4), texture(5), W, H))).toBeLessThan(0.1);
  });
});

describe('masks', () => {
  it('dilates a pixel into a (2r+1)^2 square, clipped at the frame edge', () => {
    const m = new Uint8Array(W * H);
    m[20 * W + 30] = 1;
    expect(dilate(m, W, H, 2).reduce((a, b) => a + b, 0)).toBe(25);
    const corner = new Uint8Array(W * H);
    corner[0] = 1;
    expect(dilate(corner, W, H, 2).reduce((a, b) => a + b, 0)).toBe(9);
  });

  it('scores IoU, precision and recall of overlapping squares', () => {
    // 10x10 truth, 10x10 prediction shifted 5 px: 50 shared of 150 in the union.
    const c = { tp: 0, fp: 0, fn: 0 };
    addMaskCounts(c, square(15, 10, 10), square(10, 10, 10));
    expect(c).toEqual({ tp: 50, fp: 50, fn: 50 });
    const s = detectionScores(c);
    expect(s.iou).toBeCloseTo(1 / 3, 12);
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(0.5);
    expect(Number.isNaN(detectionScores({ tp: 0, fp: 0, fn: 0 }).precision)).toBe(true);
  });

  it('marks as changed only pixels moved beyond the threshold, luma or chroma', () => {
    const L = yuv420pLayout(W, H);
    const input = new Uint8Array(L.frameSize).fill(100);
    const out = input.slice();
    out[5] = 102; // within threshold
    out[7] = 110;
    out[L.uOffset + (10 >> 1) * L.cWidth + (20 >> 1)] = 90; // covers luma (20..21, 10..11)
    const m = changedMask(out, input, W, H);
    expect(m[5]).toBe(0);
    expect(m[7]).toBe(1);
    expect([m[10 * W + 20], m[10 * W + 21], m[11 * W + 20], m[11 * W + 21]]).toEqual([1, 1, 1, 1]);
    expect(m.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe('percentile', () => {
  it('uses nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe('ClipEvaluator', () => {
  const L = yuv420pLayout(W, H);
  const frame = (seed: number) => {
    const f = new Uint8Array(L.frameSize).fill(128);
    f.set(texture(seed), 0);
    return f;
  };
  const alpha = (a: number) => {
    const m = new Uint8Array(W * H);
    square(20, 20, 8).forEach((v, i) => (m[i] = v * a));
    return m;
  };
  const overlaid = (clean: Uint8Array) => {
    const f = clean.slice();
    square(20, 20, 8).forEach((v, i) => v && (f[i] = 255));
    return f;
  };

  it('gives a perfect restoration infinite PSNR, zero flicker, full detection', () => {
    const ev = new ClipEvaluator(W, H);
    for (let t = 0; t < 3; t++) {
      const clean = frame(10 + t);
      ev.addFrame(overlaid(clean), clean, clean, alpha(255));
    }
    const q = ev.result();
    expect(q.psnrIn).toBe(Infinity);
    expect(q.psnrOut).toBe(Infinity);
    expect(q.ssimIn).toBeCloseTo(1, 12);
    expect(q.flicker).toBe(0);
    expect(q.truthChange).toBeGreaterThan(10);
    expect(q.iou).toBe(1);
  });

  it('scores pass-through: untouched outside, damaged inside, nothing detected', () => {
    const ev = new ClipEvaluator(W, H);
    const clean = frame(20);
    const input = overlaid(clean);
    ev.addFrame(input, input, clean, alpha(255));
    const q = ev.result();
    expect(q.psnrOut).toBe(Infinity);
    // Inside = the 8x8 square dilated by MASK_DILATE_PX: only the 64 overlay pixels differ.
    const region = (8 + 2 * MASK_DILATE_PX) ** 2;
    let sq = 0;
    square(20, 20, 8).forEach((v, i) => v && (sq += (255 - clean[i]!) ** 2));
    expect(q.psnrIn).toBeCloseTo(psnrFromMse(sq / region), 10);
    expect(q.recall).toBe(0);
    expect(q.iou).toBe(0);
    expect(q.fpAreaPct).toBe(0);
  });

  it('counts changes away from the overlay as false-positive area', () => {
    const ev = new ClipEvaluator(W, H);
    const clean = frame(30);
    const out = clean.slice();
    square(0, 0, 16).forEach((v, i) => v && (out[i] = out[i]! ^ 0x80));
    ev.addFrame(clean, out, clean, new Uint8Array(W * H));
    const q = ev.result();
    expect(q.fpAreaPct).toBeCloseTo((100 * 256) / (W * H), 10);
    expect(Number.isNaN(q.psnrIn)).toBe(true);
    expect(q.psnrOut).toBeLessThan(20);
  });
});
