import { describe, expect, it } from 'vitest';
import { chooseAxisWeight, FillScratch, fillRect, type Plane, type PixelRect } from '../src/filter/fill/index.js';

const W = 160;
const H = 120;
const hole: PixelRect = { x0: 50, y0: 40, x1: 110, y1: 80 };

function plane(f: (x: number, y: number) => number): Plane {
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return { data, offset: 0, width: W, height: H };
}

function sseInHole(a: Plane, b: Plane): number {
  let e = 0;
  for (let y = hole.y0; y < hole.y1; y++) for (let x = hole.x0; x < hole.x1; x++) e += (a.data[y * W + x]! - b.data[y * W + x]!) ** 2;
  return e;
}

function corrupt(p: Plane): Plane {
  const c = { ...p, data: Uint8Array.from(p.data) };
  for (let y = hole.y0; y < hole.y1; y++) c.data.fill(255, y * W + hole.x0, y * W + hole.x1);
  return c;
}

describe('choice between harmonic and axis interpolation', () => {
  it('keeps the harmonic fill where the picture is harmonic', () => {
    // x^2 - y^2 has zero Laplacian: the harmonic fill reproduces it, the axis one does not.
    const truth = plane((x, y) => 128 + 0.02 * ((x - 80) ** 2 - (y - 60) ** 2));
    const work = corrupt(truth);
    const scratch = new FillScratch();
    const before = Uint8Array.from(work.data);
    expect(chooseAxisWeight(work, hole, [], scratch)).toBe(0);
    expect(work.data).toEqual(before); // scoring leaves the plane as it was
  });

  it('leans to the axis interpolation for straight stripes crossing the hole, and fills better for it', () => {
    const truth = plane((x) => 128 + 60 * Math.sin(x / 5));
    const scratch = new FillScratch();
    const chosen = corrupt(truth);
    const weight = chooseAxisWeight(chosen, hole, [], scratch);
    expect(weight).toBeGreaterThan(0);
    fillRect(chosen, hole, [], scratch, weight);
    const harmonic = corrupt(truth);
    fillRect(harmonic, hole, [], scratch, 0);
    expect(sseInHole(chosen, truth)).toBeLessThan(sseInHole(harmonic, truth));
  });
});
