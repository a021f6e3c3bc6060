import { describe, expect, it } from 'vitest';
import { yuv420pLayout, type VideoFrame } from '../src/core/frame.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import type { Region } from '../src/filter/filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import {
  copyRectIn,
  copyRectOut,
  FillScratch,
  fillMask,
  fillRect,
  gridSize,
  MaskFillScratch,
  planeRect,
  solveHarmonic,
  yuv420pPlanes,
  type PixelRect,
  type Plane,
} from '../src/filter/fill/index.js';

function makePlane(width: number, height: number, f: (x: number, y: number) => number): Plane {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return { data, offset: 0, width, height };
}

function clonePlane(p: Plane): Plane {
  return { ...p, data: p.data.slice() };
}

/** Stands in for a logo: a hard, high-contrast pattern that must not survive the fill. */
function paintLogo(p: Plane, r: PixelRect): void {
  for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) p.data[p.offset + y * p.width + x] = (x + y) % 4 < 2 ? 255 : 16;
}

function inAny(rects: readonly PixelRect[], x: number, y: number): boolean {
  return rects.some((r) => x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1);
}

function stats(a: Plane, truth: Plane, rects: readonly PixelRect[]): { psnr: number; maxErr: number; outsideDiffs: number } {
  let se = 0;
  let n = 0;
  let maxErr = 0;
  let outsideDiffs = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const d = a.data[a.offset + y * a.width + x]! - truth.data[truth.offset + y * truth.width + x]!;
      if (inAny(rects, x, y)) {
        se += d * d;
        n++;
        maxErr = Math.max(maxErr, Math.abs(d));
      } else if (d !== 0) outsideDiffs++;
    }
  }
  return { psnr: se === 0 ? Infinity : 10 * Math.log10((255 * 255 * n) / se), maxErr, outsideDiffs };
}

/** Paints a logo into each rectangle, fills them in order (later ones pending) and compares with the clean plane. */
function removeLogos(truth: Plane, rects: readonly PixelRect[]): ReturnType<typeof stats> & { filled: boolean[] } {
  const work = clonePlane(truth);
  for (const r of rects) paintLogo(work, r);
  const scratch = new FillScratch();
  const filled = rects.map((r, k) => fillRect(work, r, rects.slice(k + 1), scratch));
  return { ...stats(work, truth, rects), filled };
}

/** Edge rectangles lose one to three sides of evidence, so they are held to a lower bar than interior ones. */
const PSNR_EDGE = 25;

const gradient = makePlane(160, 90, (x, y) => 20 + 0.7 * x + 1.1 * y);
const smooth = makePlane(160, 90, (x, y) => 128 + 50 * Math.sin((x + 0.6 * y) / 45) + 25 * Math.cos((y - 0.3 * x) / 30));

describe('planeRect', () => {
  it('rounds fractional luma edges outward', () => {
    expect(planeRect({ x: 10.5, y: 3.2, width: 4, height: 2 }, 100, 100)).toEqual({ x0: 10, y0: 3, x1: 15, y1: 6 });
  });

  it('derives chroma rectangles outward from odd luma coordinates', () => {
    // Luma columns 3..6 touch chroma columns 1..3 (each chroma sample covers two luma columns).
    expect(planeRect({ x: 3, y: 5, width: 4, height: 3 }, 50, 50, 2)).toEqual({ x0: 1, y0: 2, x1: 4, y1: 4 });
  });

  it('clips rectangles that exceed the plane', () => {
    expect(planeRect({ x: -10, y: 80, width: 30, height: 50 }, 160, 90)).toEqual({ x0: 0, y0: 80, x1: 20, y1: 90 });
  });

  it('returns null for empty, inverted, non-finite and off-plane rectangles', () => {
    expect(planeRect({ x: 5, y: 5, width: 0, height: 10 }, 100, 100)).toBeNull();
    expect(planeRect({ x: 5, y: 5, width: 10, height: -3 }, 100, 100)).toBeNull();
    expect(planeRect({ x: Number.NaN, y: 5, width: 10, height: 10 }, 100, 100)).toBeNull();
    expect(planeRect({ x: 100, y: 5, width: 10, height: 10 }, 100, 100)).toBeNull();
  });
});

describe('fillRect', () => {
  it('reconstructs a linear gradient almost exactly and leaves every other pixel untouched', () => {
    const res = removeLogos(gradient, [{ x0: 50, y0: 30, x1: 110, y1: 60 }]);
    expect(res.filled).toEqual([true]);
    expect(res.outsideDiffs).toBe(0);
    expect(res.maxErr).toBeLessThanOrEqual(1);
  });

  it('reconstructs a smooth non-separable shading above 40 dB', () => {
    const res = removeLogos(smooth, [{ x0: 40, y0: 30, x1: 100, y1: 54 }]);
    expect(res.outsideDiffs).toBe(0);
    expect(res.psnr).toBeGreaterThan(40);
  });

  it('fills rectangles touching each frame edge and corner from the sides that exist', () => {
    const cases: PixelRect[] = [
      { x0: 0, y0: 20, x1: 30, y1: 50 }, // left edge
      { x0: 130, y0: 20, x1: 160, y1: 50 }, // right edge
      { x0: 40, y0: 0, x1: 90, y1: 15 }, // top edge
      { x0: 0, y0: 0, x1: 40, y1: 20 }, // top-left corner
      { x0: 120, y0: 70, x1: 160, y1: 90 }, // bottom-right corner
      { x0: 0, y0: 30, x1: 160, y1: 50 }, // full-width band: only top and bottom exist
      { x0: 60, y0: 0, x1: 80, y1: 90 }, // full-height band: only left and right exist
    ];
    for (const r of cases) {
      const res = removeLogos(smooth, [r]);
      expect(res.filled, JSON.stringify(r)).toEqual([true]);
      expect(res.outsideDiffs, JSON.stringify(r)).toBe(0);
      expect(res.psnr, JSON.stringify(r)).toBeGreaterThan(PSNR_EDGE);
    }
  });

  it('treats a frame edge as a zero-gradient wall, exact for content that is flat across it', () => {
    const rows = makePlane(160, 90, (_x, y) => 20 + 2 * y);
    const cols = makePlane(160, 90, (x) => 30 + 1.3 * x);
    expect(removeLogos(rows, [{ x0: 0, y0: 30, x1: 160, y1: 50 }]).maxErr).toBeLessThanOrEqual(1);
    expect(removeLogos(cols, [{ x0: 60, y0: 0, x1: 80, y1: 90 }]).maxErr).toBeLessThanOrEqual(1);
  });

  it('fills a frame-wide bottom band from its top side alone, without a seam', () => {
    const r: PixelRect = { x0: 0, y0: 60, x1: 160, y1: 90 };
    const work = clonePlane(smooth);
    paintLogo(work, r);
    expect(fillRect(work, r, [], new FillScratch())).toBe(true);
    let seam = 0;
    for (let x = 1; x < 159; x++) {
      const first = work.data[60 * 160 + x]!;
      const above = work.data[59 * 160 + x]!;
      const aboveThat = work.data[58 * 160 + x]!;
      // The step into the fill should be no bigger than the picture's own step between the two rows above.
      seam = Math.max(seam, Math.abs(first - above) - Math.abs(above - aboveThat));
    }
    expect(seam).toBeLessThanOrEqual(2);
    // Thirty rows extrapolated from a single side: a looser bar than the other edge cases.
    expect(stats(work, smooth, [r]).psnr).toBeGreaterThan(20);
  });

  it('leaves the plane untouched when the rectangle covers all of it', () => {
    const work = clonePlane(gradient);
    expect(fillRect(work, { x0: 0, y0: 0, x1: 160, y1: 90 }, [], new FillScratch())).toBe(false);
    expect(work.data).toEqual(gradient.data);
  });

  it('ignores zero-size rectangles', () => {
    const work = clonePlane(gradient);
    expect(fillRect(work, { x0: 20, y0: 20, x1: 20, y1: 40 }, [], new FillScratch())).toBe(false);
    expect(work.data).toEqual(gradient.data);
  });

  it('does not borrow border pixels from a pending overlapping region', () => {
    const a: PixelRect = { x0: 30, y0: 20, x1: 70, y1: 40 };
    const b: PixelRect = { x0: 55, y0: 30, x1: 100, y1: 60 };
    const res = removeLogos(smooth, [a, b]);
    expect(res.outsideDiffs).toBe(0);
    expect(res.psnr).toBeGreaterThan(33);

    // Without the pending list, A reads B's logo as border and the damage shows.
    const naive = clonePlane(smooth);
    paintLogo(naive, a);
    paintLogo(naive, b);
    const scratch = new FillScratch();
    fillRect(naive, a, [], scratch);
    fillRect(naive, b, [], scratch);
    expect(stats(naive, smooth, [a, b]).psnr).toBeLessThan(res.psnr - 3);
  });

  it('fills an odd-sized rectangle at odd coordinates in a yuv420p chroma plane', () => {
    const width = 61;
    const height = 37;
    const frame = new Uint8Array(width * height + 2 * 31 * 19);
    const [y, u] = yuv420pPlanes(frame, width, height);
    for (let row = 0; row < u.height; row++) for (let x = 0; x < u.width; x++) frame[u.offset + row * u.width + x] = 90 + 2 * x + row;
    const truth = clonePlane(u);
    const r = planeRect({ x: 13, y: 9, width: 21, height: 13 }, u.width, u.height, 2)!;
    paintLogo(u, r);
    expect(fillRect(u, r, [], new FillScratch())).toBe(true);
    const res = stats(u, truth, [r]);
    expect(res.outsideDiffs).toBe(0);
    expect(res.maxErr).toBeLessThanOrEqual(1);
    expect(y.data).toBe(frame); // views share the frame's memory
  });
});

describe('solveHarmonic', () => {
  function solve(nx: number, ny: number, f: (x: number, y: number) => number, walls: { top: boolean; bottom: boolean; left: boolean; right: boolean }): number {
    const s = nx + 2;
    const v = new Float32Array(gridSize(nx, ny)).fill(-1000); // garbage inside, and on the missing sides
    for (let j = 0; j < ny + 2; j++) {
      for (let i = 0; i < nx + 2; i++) {
        const ring = (j === 0 && walls.top) || (j === ny + 1 && walls.bottom) || (i === 0 && walls.left) || (i === nx + 1 && walls.right);
        if (ring) v[j * s + i] = f(i, j);
      }
    }
    const levels: Float32Array[] = [];
    solveHarmonic({ nx, ny, sx: 1, sy: 1, v }, walls, (level, size) => (levels[level] ??= new Float32Array(size)));
    let maxErr = 0;
    for (let j = 1; j <= ny; j++) for (let i = 1; i <= nx; i++) maxErr = Math.max(maxErr, Math.abs(v[j * s + i]! - f(i, j)));
    return maxErr;
  }
  const all = { top: true, bottom: true, left: true, right: true };

  it('reproduces a discrete harmonic function to a fraction of a grey level', () => {
    // x^2 - y^2 satisfies the 5-point Laplacian exactly, so the discrete solution is known.
    const saddle = (x: number, y: number): number => 100 + 0.004 * (x * x - y * y) + 0.3 * x - 0.2 * y;
    for (const [nx, ny] of [[200, 80], [300, 120], [37, 9], [5, 90], [1, 1]] as const) {
      expect(solve(nx, ny, saddle, all), `${nx}x${ny}`).toBeLessThan(0.5);
    }
  });

  it('matches a brute-force relaxation on a rough border', () => {
    const nx = 90;
    const ny = 36;
    const s = nx + 2;
    const rnd = (k: number): number => ((Math.imul(k, 2654435761) >>> 0) % 1000) / 1000;
    const ring = new Float32Array(gridSize(nx, ny));
    for (let j = 0; j < ny + 2; j++) {
      for (let i = 0; i < nx + 2; i++) if (j === 0 || i === 0 || j === ny + 1 || i === nx + 1) ring[j * s + i] = 128 + 60 * Math.sin(i / 9 + j / 5) + 40 * rnd(j * s + i);
    }
    const exact = Float64Array.from(ring);
    const omega = 2 / (1 + Math.sin(Math.PI / (nx + 1)));
    for (let n = 0; n < 3000; n++) {
      for (let j = 1; j <= ny; j++) {
        for (let k = j * s + 1; k <= j * s + nx; k++) exact[k] = exact[k]! + omega * ((exact[k - 1]! + exact[k + 1]! + exact[k - s]! + exact[k + s]!) / 4 - exact[k]!);
      }
    }
    const v = Float32Array.from(ring);
    const levels: Float32Array[] = [];
    solveHarmonic({ nx, ny, sx: 1, sy: 1, v }, all, (level, size) => (levels[level] ??= new Float32Array(size)));
    let se = 0;
    for (let j = 1; j <= ny; j++) for (let k = j * s + 1; k <= j * s + nx; k++) se += (v[k]! - exact[k]!) ** 2;
    expect(Math.sqrt(se / (nx * ny))).toBeLessThan(0.25);
  });

  it('treats missing sides as zero-gradient walls at every level', () => {
    const ramp = (_x: number, y: number): number => 40 + 1.5 * y;
    expect(solve(160, 40, ramp, { top: true, bottom: true, left: false, right: false })).toBeLessThan(0.5);
    expect(solve(7, 90, ramp, { top: true, bottom: true, left: false, right: false })).toBeLessThan(0.5);
    const across = (x: number): number => 200 - 0.8 * x;
    expect(solve(120, 50, across, { top: false, bottom: false, left: true, right: true })).toBeLessThan(0.5);
  });
});

describe('patches', () => {
  it('round-trips a rectangle and reuses a large enough buffer', () => {
    const r: PixelRect = { x0: 5, y0: 7, x1: 25, y1: 19 };
    const p = clonePlane(smooth);
    const own = new Uint8Array(1000);
    const patch = copyRectOut(p, r, own);
    expect(patch).toBe(own);
    expect(copyRectOut(p, r, new Uint8Array(10)).length).toBe(240);
    paintLogo(p, r);
    copyRectIn(p, r, patch);
    expect(p.data).toEqual(smooth.data);
  });
});

describe('fillMask', () => {
  const W = 96, H = 64;
  const plane = (f: (x: number, y: number) => number): Plane => {
    const data = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = f(x, y);
    return { data, offset: 0, width: W, height: H };
  };
  /** Text-like strokes in the rectangle: three 3-pixel bars and a ring. */
  const strokes = (r: PixelRect): Uint8Array => {
    const w = r.x1 - r.x0, h = r.y1 - r.y0;
    const m = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const bar = (x >= 4 && x < 7) || (x >= 20 && x < 23) || (y >= 10 && y < 13 && x >= 4 && x < 23);
        const ring = Math.abs(Math.hypot(x - 40, y - 16) - 8) < 1.6;
        if ((bar || ring) && y >= 3 && y < h - 3) m[y * w + x] = 1;
      }
    }
    return m;
  };
  const r: PixelRect = { x0: 10, y0: 8, x1: 66, y1: 42 };

  it('fills thin strokes of a smooth (harmonic) picture to within a level, and touches nothing else', () => {
    const ramp = (x: number, y: number) => Math.round(40 + 1.3 * x + 0.9 * y);
    const p = plane(ramp);
    const before = p.data.slice();
    const domain = strokes(r);
    // Overlay on the strokes: the fill must not read it.
    for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) if (domain[(y - r.y0) * (r.x1 - r.x0) + x - r.x0]) p.data[y * W + x] = 255;
    expect(fillMask(p, r, domain, 5, new MaskFillScratch())).toBe(true);
    let worst = 0, changedOutside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inDomain = x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1 && domain[(y - r.y0) * (r.x1 - r.x0) + x - r.x0] === 1;
        if (inDomain) worst = Math.max(worst, Math.abs(p.data[y * W + x]! - ramp(x, y)));
        else if (p.data[y * W + x] !== before[y * W + x]) changedOutside++;
      }
    }
    expect(changedOutside).toBe(0);
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('fills from the scene beside the strokes, not from the rectangle\'s border', () => {
    // A dark patch holds the strokes; the rectangle's border is bright. Filling from the border
    // (fillRect) paints the strokes bright; the strokes belong to the dark patch.
    const dark = (x: number, y: number) => x >= r.x0 + 2 && x < r.x1 - 2 && y >= r.y0 + 2 && y < r.y1 - 2;
    const p = plane((x, y) => (dark(x, y) ? 30 : 220));
    const domain = strokes(r);
    fillMask(p, r, domain, 5, new MaskFillScratch());
    const byRect = plane((x, y) => (dark(x, y) ? 30 : 220));
    fillRect(byRect, r, [], new FillScratch());
    let maskErr = 0, rectErr = 0, n = 0;
    for (let y = r.y0; y < r.y1; y++) {
      for (let x = r.x0; x < r.x1; x++) {
        if (!domain[(y - r.y0) * (r.x1 - r.x0) + x - r.x0]) continue;
        maskErr += Math.abs(p.data[y * W + x]! - 30);
        rectErr += Math.abs(byRect.data[y * W + x]! - 30);
        n++;
      }
    }
    expect(n).toBeGreaterThan(100);
    expect(maskErr / n).toBeLessThan(3);
    expect(rectErr / n).toBeGreaterThan(50);
  });

  it('fills a domain against the frame\'s edge, and refuses one with nothing known around it', () => {
    const edge: PixelRect = { x0: 0, y0: 0, x1: 12, y1: 10 };
    const p = plane((x) => 100 + x);
    const domain = new Uint8Array(12 * 10);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 4; x++) domain[y * 12 + x] = 1;
    expect(fillMask(p, edge, domain, 5, new MaskFillScratch())).toBe(true);
    // Known from the right only: the leftmost columns take values near the nearest known ones.
    for (let y = 0; y < 10; y++) expect(Math.abs(p.data[y * W]! - 104)).toBeLessThanOrEqual(3);
    const tiny: Plane = { data: new Uint8Array(4), offset: 0, width: 2, height: 2 };
    expect(fillMask(tiny, { x0: 0, y0: 0, x1: 2, y1: 2 }, new Uint8Array(4).fill(1), 5, new MaskFillScratch())).toBe(false);
  });
});

describe('spatial fill in the mask-free filter', () => {
  const W = 128, H = 96;
  /** A textured frame (luma and chroma) with a solid plate at `box`. */
  function frameWithPlate(box: { x: number; y: number; width: number; height: number }): VideoFrame {
    const { frameSize, ySize } = yuv420pLayout(W, H);
    const data = Buffer.alloc(frameSize, 128);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = 60 + ((x * 7 + y * 13) % 90);
    for (let y = box.y; y < box.y + box.height; y++) data.fill(235, y * W + box.x, y * W + box.x + box.width);
    data.fill(128, ySize);
    return { seq: 0, ptsMs: 0, width: W, height: H, data, arrivedAt: 0 };
  }
  const box = { x: 30, y: 60, width: 60, height: 20 };
  const solid = (kind: 'subtitle' | 'logo'): Region => ({ id: kind, kind, rect: box, enabled: true, mask: new Uint8Array(box.width * box.height).fill(1) });

  async function filled(region: Region): Promise<Uint8Array> {
    const filter = new AutoFilter({ subtitles: false, ticker: false });
    filter.setRegions([region]);
    const frame = frameWithPlate(box);
    const out = await filter.process(frame, { window: new FrameWindow(2), behind: false });
    await filter.close();
    return out.data;
  }

  it('fills a boxed caption (a solid mask) as a box, from its border, and a solid logo as a mask', async () => {
    // The target's rectangle: the mask grown by a pixel, plus the two-pixel margin the fill reads.
    const r: PixelRect = { x0: box.x - 3, y0: box.y - 3, x1: box.x + box.width + 3, y1: box.y + box.height + 3 };
    const expected = frameWithPlate(box).data;
    fillRect({ data: expected, offset: 0, width: W, height: H }, r, [], new FillScratch());
    const caption = await filled(solid('subtitle'));
    const logo = await filled(solid('logo'));
    let captionDiff = 0, logoDiff = 0;
    for (let y = box.y - 1; y < box.y + box.height + 1; y++) {
      for (let x = box.x - 1; x < box.x + box.width + 1; x++) {
        captionDiff = Math.max(captionDiff, Math.abs(caption[y * W + x]! - expected[y * W + x]!));
        logoDiff = Math.max(logoDiff, Math.abs(logo[y * W + x]! - expected[y * W + x]!));
      }
    }
    expect(captionDiff).toBe(0);
    expect(logoDiff).toBeGreaterThan(0);
    // Both removed the plate: nothing inside it is left near its level.
    for (const out of [caption, logo]) expect(out[(box.y + 10) * W + box.x + 30]).toBeLessThan(200);
  });

  /** The plate over a texture that moves a pixel a frame: each frame's own fill differs from the last. */
  const moving = (seq: number): VideoFrame => {
    const f = frameWithPlate(box);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (!(y >= box.y && y < box.y + box.height && x >= box.x && x < box.x + box.width)) f.data[y * W + x] = 60 + (((x + seq) * 7 + y * 13) % 90);
    return { ...f, seq, ptsMs: seq * 40 };
  };
  const inside = (d: Uint8Array) => Array.from({ length: box.height }, (_, j) => Buffer.from(d.subarray((box.y + j) * W + box.x, (box.y + j) * W + box.x + box.width))).map((b) => b.toString('hex')).join();
  /** The frame filled by a filter that has seen nothing before it. */
  const fresh = async (frame: VideoFrame) => {
    const alone = new AutoFilter({ subtitles: false, ticker: false });
    alone.setRegions([solid('subtitle')]);
    const out = await alone.process(frame, { window: new FrameWindow(2), behind: false });
    await alone.close();
    return out.data;
  };

  it('reuses the last fill of an unchanged target while behind, seven times at most and never an old one', async () => {
    const filter = new AutoFilter({ subtitles: false, ticker: false });
    filter.setRegions([solid('subtitle')]);
    const window = new FrameWindow(2);
    const onTime = await filter.process(moving(0), { window, behind: false });
    for (let seq = 1; seq <= 8; seq++) {
      const frame = moving(seq);
      const out = await filter.process(frame, { window, behind: true });
      expect(out.degraded).toBe(true);
      // Outside the target the frame is this one's.
      expect(out.data[5 * W + 5]).toBe(frame.data[5 * W + 5]);
      if (seq <= 7) expect(inside(out.data)).toBe(inside(onTime.data));
      else expect(inside(out.data)).toBe(inside(await fresh(frame)));
    }
    expect(inside(await fresh(moving(8)))).not.toBe(inside(onTime.data));
    // Across a dropped frame it is still reused; made more than 8 frames before (a target back after
    // a while), it is not.
    const afterDrop = await filter.process(moving(10), { window, behind: true });
    expect(inside(afterDrop.data)).toBe(inside(await fresh(moving(8))));
    const late = moving(17);
    const afterGap = await filter.process(late, { window, behind: true });
    expect(inside(afterGap.data)).toBe(inside(await fresh(late)));
    await filter.close();
  });

  it('while behind, a region found with a changed mask keeps its last fill where both masks agree and fills the rest', async () => {
    const filter = new AutoFilter({ subtitles: false, ticker: false });
    filter.setRegions([solid('subtitle')]);
    const window = new FrameWindow(2);
    const onTime = await filter.process(moving(0), { window, behind: false });
    // A look while behind finds the caption two pixels wider: the same region, a new mask.
    const wider = { ...box, width: box.width + 2 };
    filter.setRegions([{ id: 'subtitle', kind: 'subtitle', rect: wider, enabled: true, mask: new Uint8Array(wider.width * wider.height).fill(1) }]);
    const frame = moving(1);
    const out = await filter.process(frame, { window, behind: true });
    expect(inside(out.data)).toBe(inside(onTime.data));
    expect(inside(out.data)).not.toBe(inside(await fresh(frame)));
    // The two new columns (and the grown pixel beside them) were filled: no longer the frame's texture.
    let changed = 0;
    for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x + box.width; x < box.x + box.width + 3; x++) if (out.data[y * W + x] !== frame.data[y * W + x]) changed++;
    expect(changed).toBeGreaterThan(box.height * 2);
    await filter.close();
  });
});
