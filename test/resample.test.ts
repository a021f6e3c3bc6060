import { describe, expect, it } from 'vitest';
import { prepare, ResampleScratch, type Edge } from '../src/filter/temporal/resample.js';

/** Catmull-Rom weights at phase f. */
function taps(f: number): number[] {
  const f2 = f * f, f3 = f2 * f;
  return [0.5 * (-f3 + 2 * f2 - f), 0.5 * (3 * f3 - 5 * f2 + 2), 0.5 * (-3 * f3 + 4 * f2 + f), 0.5 * (f3 - f2)];
}

/** The bicubic sample at (px, py), computed directly in doubles (clamped edges), or NaN where 'unknown' refuses it. */
function reference(data: Uint8Array, w: number, h: number, px: number, py: number, edge: Edge): number {
  const kx = Math.floor(px), ky = Math.floor(py);
  const outside = (k: number, f: number, n: number) => (f === 0 ? k < 0 || k > n - 1 : k - 1 < 0 || k + 2 > n - 1);
  if (edge === 'unknown' && (outside(kx, px - kx, w) || outside(ky, py - ky, h))) return Number.NaN;
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v > n - 1 ? n - 1 : v);
  const a = taps(px - kx), b = taps(py - ky);
  let v = 0;
  for (let q = 0; q < 4; q++) {
    let r = 0;
    for (let p = 0; p < 4; p++) r += a[p]! * data[clamp(ky - 1 + q, h) * w + clamp(kx - 1 + p, w)]!;
    v += b[q]! * r;
  }
  return v;
}

describe('bicubic row sampler', () => {
  // Pure shifts (the fast path of consecutive taps), near-unit zooms (runs of it), real zooms and
  // shrinks (per-column taps), integer shifts (a copy), clamped and unknown edges.
  const maps: [number, number, number, Edge][] = [
    [1, 2.3, 1.7, 'clamp'], [1, -3.6, 0.25, 'clamp'], [1.0001, 2.3, 1.7, 'clamp'], [0.9997, -1.2, 3.3, 'unknown'],
    [0.7, 2.3, 1.7, 'clamp'], [1.4, -30, 1.7, 'clamp'], [1, 2, 1, 'clamp'], [1.003, 2.3, 1.7, 'unknown'], [1, 0.5, 0.5, 'unknown'],
  ];
  it.each(maps)('matches the direct formula at s=%s, t=(%s, %s), %s edges, rows sampled in pieces', (s, tx, ty, edge) => {
    const W = 120, H = 60;
    const data = new Uint8Array(W * H);
    for (let i = 0; i < data.length; i++) data[i] = Math.imul(i, 2654435761) >>> 24;
    const x0 = -5, y0 = 3, w = 130, h = 50;
    const out = new Float32Array(w * h);
    const sampler = prepare({ data, offset: 0, width: W, height: H }, { s, tx, ty }, x0, y0, w, h, edge, new ResampleScratch());
    for (let j = 0; j < h; j++) {
      // Three pieces per row, as the memory's capture samples the runs between holes.
      const a = (j * 37) % w, b = Math.min(w, a + ((j * 53) % w) + 1);
      sampler.row(j, 0, a, out, j * w);
      sampler.row(j, a, b, out, j * w);
      sampler.row(j, b, w, out, j * w);
    }
    let worst = 0, nanMismatch = 0;
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const want = reference(data, W, H, s * (x0 + i) + tx, s * (y0 + j) + ty, edge);
        const got = out[j * w + i]!;
        if (Number.isNaN(want) !== Number.isNaN(got)) nanMismatch++;
        else if (!Number.isNaN(want)) worst = Math.max(worst, Math.abs(want - got));
      }
    }
    expect(nanMismatch).toBe(0);
    // Float32 weights against doubles.
    expect(worst).toBeLessThan(1e-3);
  });
});
