import { describe, expect, it } from 'vitest';
import { yuv420pLayout, type Rect, type VideoFrame } from '../src/core/frame.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { planeRect, type PixelRect } from '../src/filter/fill/index.js';
import type { FilterContext, FilterResult, Region } from '../src/filter/filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { ManualRegionFilter } from '../src/filter/manual-region-filter.js';
import { GlobalMotionEstimator, TemporalFill, type TemporalHole, type Zoom } from '../src/filter/temporal/index.js';
import { Rng } from '../src/synth/rng.js';

/** A model-less manual filter answers at once; a promise here would mean a model slipped in. */
function processNow(filter: ManualRegionFilter, frame: VideoFrame, ctx: FilterContext): FilterResult {
  const res = filter.process(frame, ctx);
  if (res instanceof Promise) throw new Error('a model-less ManualRegionFilter returned a promise');
  return res;
}

const W = 320;
const H = 240;
const CX = (W - 1) / 2;
const CY = (H - 1) / 2;
const LOGO: Rect = { x: 236, y: 16, width: 60, height: 40 };

/**
 * A scene defined everywhere in world coordinates (a sum of oriented waves, wavelengths 4-80 px),
 * so that any camera pose can be rendered exactly and the true motion between two frames is known.
 */
function scene(seed: number): (x: number, y: number, plane: number) => number {
  const rng = new Rng(seed);
  const rnd = (): number => rng.next();
  const waves = [0, 1, 2].map((plane) =>
    Array.from({ length: plane === 0 ? 14 : 5 }, () => {
      const k = (2 * Math.PI) / Math.exp(Math.log(4) + rnd() * Math.log(80 / 4));
      const a = rnd() * 2 * Math.PI;
      return { kx: k * Math.cos(a), ky: k * Math.sin(a), phase: rnd() * 2 * Math.PI, amp: plane === 0 ? 9 : 6 };
    }),
  );
  return (x, y, plane) => {
    let v = 128;
    for (const w of waves[plane]!) v += w.amp * Math.sin(w.kx * x + w.ky * y + w.phase);
    return v;
  };
}

/** Camera pose: frame pixel (x, y) shows world point ((x - cx) / zoom + px, (y - cy) / zoom + py). */
interface Pose {
  zoom: number;
  px: number;
  py: number;
}

const clamp8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

function render(world: ReturnType<typeof scene>, pose: Pose): Buffer {
  const l = yuv420pLayout(W, H);
  const buf = Buffer.alloc(l.frameSize);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) buf[y * W + x] = clamp8(world((x - CX) / pose.zoom + pose.px, (y - CY) / pose.zoom + pose.py, 0));
  for (const [p, off] of [l.uOffset, l.vOffset].entries()) {
    for (let y = 0; y < l.cHeight; y++) {
      for (let x = 0; x < l.cWidth; x++) buf[off + y * l.cWidth + x] = clamp8(world((2 * x + 0.5 - CX) / pose.zoom + pose.px, (2 * y + 0.5 - CY) / pose.zoom + pose.py, p + 1));
    }
  }
  return buf;
}

/** The true map from frame b's pixel coordinates to frame a's (a = the previous frame). */
function trueMotion(a: Pose, b: Pose): Zoom {
  const s = a.zoom / b.zoom;
  return { s, tx: CX - s * CX + a.zoom * (b.px - a.px), ty: CY - s * CY + a.zoom * (b.py - a.py) };
}

/** Largest distance, over the frame's corners, between where two maps send a pixel. */
function cornerError(a: Zoom, b: Zoom): number {
  let worst = 0;
  for (const [x, y] of [[0, 0], [W - 1, 0], [0, H - 1], [W - 1, H - 1]] as const) {
    worst = Math.max(worst, Math.hypot(a.s * x + a.tx - (b.s * x + b.tx), a.s * y + a.ty - (b.s * y + b.ty)));
  }
  return worst;
}

/** A pan with a slow zoom in: 1.3 px/frame right, 0.6 px/frame down, +0.15 % zoom a frame. */
const pan = (f: number): Pose => ({ zoom: 1 + 0.0015 * f, px: 1.3 * f, py: 0.6 * f });
const still = (): Pose => ({ zoom: 1, px: 0, py: 0 });

/** Burns an opaque logo with hard edges (and flat chroma) into every plane. */
function burnLogo(frame: Buffer, r: Rect = LOGO): Buffer {
  const out = Buffer.from(frame);
  const l = yuv420pLayout(W, H);
  for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) out[y * W + x] = ((x >> 2) + (y >> 2)) % 2 ? 235 : 20;
  for (let y = r.y >> 1; y < (r.y + r.height + 1) >> 1; y++) {
    for (let x = r.x >> 1; x < (r.x + r.width + 1) >> 1; x++) {
      out[l.uOffset + y * l.cWidth + x] = 90;
      out[l.vOffset + y * l.cWidth + x] = 200;
    }
  }
  return out;
}

function videoFrame(data: Buffer, seq: number): VideoFrame {
  return { seq, ptsMs: seq * 40, width: W, height: H, data, arrivedAt: 0 };
}

const region = (id: string, rect: Rect): Region => ({ id, kind: 'manual', rect, enabled: true });

/** Runs a manual-region filter over frames; returns its outputs. */
function runManual(filter: ManualRegionFilter, frames: readonly Buffer[]): Buffer[] {
  const window = new FrameWindow(4);
  return frames.map((data, seq) => {
    const frame = videoFrame(data, seq);
    window.push(frame);
    return processNow(filter, frame, { window, behind: false }).data;
  });
}

/** Luma PSNR over a rectangle, pooled over frames. */
function psnrIn(outs: readonly Buffer[], truths: readonly Buffer[], r: Rect): number {
  let se = 0;
  let n = 0;
  outs.forEach((out, f) => {
    for (let y = r.y; y < r.y + r.height; y++) {
      for (let x = r.x; x < r.x + r.width; x++) {
        se += (out[y * W + x]! - truths[f]![y * W + x]!) ** 2;
        n++;
      }
    }
  });
  return 10 * Math.log10((255 * 255 * n) / se);
}

/** Byte offsets, in all three planes, of a luma rectangle and its outward-rounded chroma. */
function planeOffsets(r: Rect): Set<number> {
  const l = yuv420pLayout(W, H);
  const s = new Set<number>();
  const luma = planeRect(r, W, H)!;
  for (let y = luma.y0; y < luma.y1; y++) for (let x = luma.x0; x < luma.x1; x++) s.add(y * W + x);
  const c = planeRect({ x: luma.x0, y: luma.y0, width: luma.x1 - luma.x0, height: luma.y1 - luma.y0 }, l.cWidth, l.cHeight, 2)!;
  for (const off of [l.uOffset, l.vOffset]) for (let y = c.y0; y < c.y1; y++) for (let x = c.x0; x < c.x1; x++) s.add(off + y * l.cWidth + x);
  return s;
}

function changedOutside(out: Buffer, input: Buffer, inside: Set<number>): number {
  let n = 0;
  for (let i = 0; i < out.length; i++) if (out[i] !== input[i] && !inside.has(i)) n++;
  return n;
}

function hole(id: string, r: Rect): TemporalHole {
  const luma = planeRect(r, W, H)!;
  const l = yuv420pLayout(W, H);
  const c = planeRect({ x: luma.x0, y: luma.y0, width: luma.x1 - luma.x0, height: luma.y1 - luma.y0 }, l.cWidth, l.cHeight, 2)!;
  return { id, rects: [luma, c, c] };
}

const asPixelRect = (r: Rect): PixelRect => ({ x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height });

describe('global motion estimation', () => {
  it('recovers a sub-pixel pan with zoom within a tenth of a pixel, a fixed logo and a moving blob notwithstanding', () => {
    const world = scene(1);
    const estimator = new GlobalMotionEstimator();
    let worst = 0;
    for (let f = 0; f < 12; f++) {
      const frame = burnLogo(render(world, pan(f)));
      // Something that moves on its own: a dark disc crossing the picture 6 px a frame.
      for (let y = 150; y < 190; y++) for (let x = 20 + 6 * f; x < 60 + 6 * f; x++) if ((x - 40 - 6 * f) ** 2 + (y - 170) ** 2 < 400) frame[y * W + x] = 30;
      const m = estimator.estimate({ data: frame, offset: 0, width: W, height: H }, [asPixelRect(LOGO)]);
      if (f === 0) {
        expect(m.first).toBe(true);
        continue;
      }
      expect(m.cut).toBe(false);
      expect(m.confidence).toBeGreaterThan(0.6);
      worst = Math.max(worst, cornerError(m.toPrevious, trueMotion(pan(f - 1), pan(f))));
    }
    expect(worst).toBeLessThan(0.1);
  });

  it('rounds a creeping pan to none for the memories, but still reports it as measured', () => {
    // 0.08 px a frame: under minShiftPx, which keeps a static camera's noise from drifting memories;
    // the de-blend's motion references integrate over seconds only and need the step itself.
    const creep = (f: number): Pose => ({ zoom: 1, px: 0.08 * f, py: 0.05 * f });
    const estimator = new GlobalMotionEstimator();
    let worst = 0;
    for (let f = 0; f < 8; f++) {
      const m = estimator.estimate({ data: render(scene(4), creep(f)), offset: 0, width: W, height: H }, []);
      if (f === 0) continue;
      expect(m.toPrevious).toEqual({ s: 1, tx: 0, ty: 0 });
      worst = Math.max(worst, cornerError(m.measured, trueMotion(creep(f - 1), creep(f))));
    }
    expect(worst).toBeLessThan(0.03);
  });

  it('keeps a static camera exactly static and calls a different picture a cut', () => {
    const estimator = new GlobalMotionEstimator();
    const a = render(scene(2), still());
    estimator.estimate({ data: a, offset: 0, width: W, height: H }, []);
    const again = estimator.estimate({ data: Buffer.from(a), offset: 0, width: W, height: H }, []);
    expect(again.toPrevious).toEqual({ s: 1, tx: 0, ty: 0 });
    const other = estimator.estimate({ data: render(scene(3), still()), offset: 0, width: W, height: H }, []);
    expect(other.cut).toBe(true);
  });
});

describe('temporal fill', () => {
  const world = scene(4);
  const clean = Array.from({ length: 60 }, (_, f) => render(world, pan(f)));
  const input = clean.map((c) => burnLogo(c));

  it('fills a logo over a pan from earlier frames, far better than the spatial fill, and says which pixels', () => {
    const temporal = new ManualRegionFilter([region('logo', LOGO)], { temporal: true });
    const known: number[] = [];
    const window = new FrameWindow(4);
    const withTime = input.map((data, seq) => {
      const frame = videoFrame(data, seq);
      window.push(frame);
      const out = processNow(temporal, frame, { window, behind: false }).data;
      known.push(temporal.knownFromTime()[0]?.count ?? 0);
      return out;
    });
    const spatial = runManual(new ManualRegionFilter([region('logo', LOGO)]), input);
    const late = (xs: Buffer[]): Buffer[] => xs.slice(40);
    const gain = psnrIn(late(withTime), late(clean), LOGO) - psnrIn(late(spatial), late(clean), LOGO);
    expect(gain).toBeGreaterThan(8);
    // The camera moves up-left relative to the scene: after 40 frames most of the logo has been seen.
    expect(known[0]).toBe(0);
    expect(known[59]!).toBeGreaterThan(0.6 * LOGO.width * LOGO.height);
  });

  it('says where its time went, on the frames it worked on', () => {
    const fill = new TemporalFill();
    const out = Buffer.alloc(input[0]!.length);
    fill.apply(input[0]!, out, W, H, []);
    expect(fill.timings.frames).toBe(0);
    for (const data of input.slice(0, 5)) fill.apply(data, data.slice(), W, H, [hole('logo', LOGO)]);
    const t = fill.timings;
    expect(t.frames).toBe(5);
    for (const part of [t.motion, t.capture, t.fill]) expect(part).toBeGreaterThan(0);
    expect(t.motion + t.capture + t.fill).toBeLessThanOrEqual(t.total);
  });

  it('changes nothing outside the holes', () => {
    const filter = new ManualRegionFilter([region('logo', LOGO)], { temporal: true });
    const outs = runManual(filter, input.slice(0, 30));
    const inside = planeOffsets(LOGO);
    for (let f = 0; f < outs.length; f++) expect(changedOutside(outs[f]!, input[f]!, inside)).toBe(0);
  });

  it('forgets everything at a cut: the next frame gets the spatial fill', () => {
    // Staleness off (changeShare > 1), so only the cut can stop the old scene from being pasted.
    const fill = new TemporalFill({ changeShare: 2 });
    const spatial = new ManualRegionFilter([region('logo', LOGO)]);
    const window = new FrameWindow(1);
    const filled = (data: Buffer, seq: number): Buffer => {
      const frame = videoFrame(data, seq);
      window.push(frame);
      return Buffer.from(processNow(spatial, frame, { window, behind: false }).data);
    };
    let known = 0;
    input.slice(0, 30).forEach((data, seq) => (known = fill.apply(data, filled(data, seq), W, H, [hole('logo', LOGO)])[0]!.count));
    expect(known).toBeGreaterThan(0);
    const after = burnLogo(render(scene(5), pan(30)));
    const out = filled(after, 30);
    const before = Buffer.from(out);
    expect(fill.apply(after, out, W, H, [hole('logo', LOGO)])[0]!.count).toBe(0);
    expect(fill.motion!.cut).toBe(true);
    expect(out.equals(before)).toBe(true);
  });

  it('falls back to the spatial fill when the camera is static (nothing behind the logo is ever seen)', () => {
    const frames = Array.from({ length: 20 }, () => burnLogo(render(scene(6), still())));
    const outs = runManual(new ManualRegionFilter([region('logo', LOGO)], { temporal: true }), frames);
    const spatial = runManual(new ManualRegionFilter([region('logo', LOGO)]), frames);
    outs.forEach((o, f) => expect(o.equals(spatial[f]!)).toBe(true));
  });

  it('called on one frame in 4, remembers a margin for settling over frames, not calls, and still pastes the logo', () => {
    // Settling counts the stream's frames: 6 frames at one call in 4 are 2 calls, so a point has to
    // be in view 3 camera steps before it reaches the logo, not 7.
    const run = (numbered: boolean): { pixels: number; known: number } => {
      const fill = new TemporalFill({ settleFrames: 6 });
      let known = 0;
      for (let f = 0; f < 60; f += 4) {
        const out = Buffer.from(input[f]!);
        known = fill.apply(input[f]!, out, W, H, [hole('logo', LOGO)], numbered ? f : undefined)[0]!.count;
      }
      return { pixels: fill.memoryPixels, known };
    };
    const byFrames = run(true);
    const byCalls = run(false);
    expect(byFrames.pixels).toBeLessThan(0.8 * byCalls.pixels);
    expect(byFrames.known).toBeGreaterThan(0.5 * LOGO.width * LOGO.height);
  });

  it('keeps reusing the last fill, memories included, when the stage is behind', () => {
    const filter = new ManualRegionFilter([region('logo', LOGO)], { temporal: true });
    const window = new FrameWindow(4);
    let last: Buffer | undefined;
    input.slice(0, 40).forEach((data, seq) => {
      const frame = videoFrame(data, seq);
      window.push(frame);
      last = processNow(filter, frame, { window, behind: false }).data;
    });
    expect(filter.knownFromTime()[0]!.count).toBeGreaterThan(0);
    const late = videoFrame(input[40]!, 40);
    window.push(late);
    const res = processNow(filter, late, { window, behind: true });
    expect(res.degraded).toBe(true);
    for (const i of planeOffsets(LOGO)) expect(res.data[i]).toBe(last![i]);
  });
});

describe('temporal fill with a caption that comes and goes (static camera)', () => {
  const CAPTION: Rect = { x: 60, y: 180, width: 200, height: 30 };
  const background = render(scene(7), still());
  const captioned = burnLogo(background, CAPTION);

  it('pastes back exactly the background seen between cues', () => {
    const fill = new TemporalFill();
    const out = Buffer.alloc(background.length);
    // Seen without the caption for 10 frames (the memory exists once a hole has been there).
    fill.apply(captioned, Buffer.from(captioned), W, H, [hole('cue', CAPTION)]);
    for (let f = 0; f < 10; f++) fill.apply(background, background, W, H, []);
    captioned.copy(out);
    const known = fill.apply(captioned, out, W, H, [hole('cue', CAPTION)])[0]!;
    expect(known.count).toBe(CAPTION.width * CAPTION.height);
    for (const i of planeOffsets(CAPTION)) expect(out[i]).toBe(background[i]);
  });

  it('does not paste what was seen before something moved next to the hidden pixels', () => {
    const fill = new TemporalFill();
    fill.apply(captioned, Buffer.from(captioned), W, H, [hole('cue', CAPTION)]);
    for (let f = 0; f < 10; f++) fill.apply(background, background, W, H, []);
    // The caption is back; a dark hand then comes in from the right, right next to its left half.
    const withHand = (f: number): Buffer => {
      const b = Buffer.from(captioned);
      for (let y = 150; y < 179; y++) for (let x = 60; x < 60 + 12 * f; x++) b[y * W + x] = 40;
      return b;
    };
    let known = 0;
    for (let f = 0; f < 8; f++) {
      const frame = withHand(f);
      known = fill.apply(frame, Buffer.from(frame), W, H, [hole('cue', CAPTION)])[0]!.count;
    }
    // The left part, next to where the hand moved after the background was seen, is stale; the
    // right part is still pasted.
    expect(known).toBeGreaterThan(0);
    expect(known).toBeLessThan(0.75 * CAPTION.width * CAPTION.height);
  });

  it('with settling, a caption missed for a frame is not remembered as its own background', () => {
    const fill = new TemporalFill({ settleFrames: 3 });
    fill.apply(captioned, Buffer.from(captioned), W, H, [hole('cue', CAPTION)]);
    for (let f = 0; f < 10; f++) fill.apply(background, background, W, H, []);
    // The caption comes back, the detector misses it for one frame, then finds it again.
    fill.apply(captioned, Buffer.from(captioned), W, H, [hole('cue', CAPTION)]);
    fill.apply(captioned, captioned, W, H, []);
    const out = Buffer.from(captioned);
    fill.apply(captioned, out, W, H, [hole('cue', CAPTION)]);
    for (const i of planeOffsets(CAPTION)) expect(out[i]).toBe(background[i]);
  });
  it('settling counts the stream\'s frames when told them: called on one frame in 4, it waits 6 frames of time, not 6 calls', () => {
    // The caption is up, then gone: the stage behind calls on frames 4, 8, 12, ...; the caption is back on the call after.
    const pastedAfter = (backgroundCalls: number, numbered: boolean): number => {
      const fill = new TemporalFill({ settleFrames: 6 });
      fill.apply(captioned, Buffer.from(captioned), W, H, [hole('cue', CAPTION)], numbered ? 0 : undefined);
      for (let k = 1; k <= backgroundCalls; k++) fill.apply(background, background, W, H, [], numbered ? 4 * k : undefined);
      const known = fill.apply(captioned, Buffer.from(captioned), W, H, [hole('cue', CAPTION)], numbered ? 4 * (backgroundCalls + 1) : undefined);
      return known[0]!.count;
    };
    const area = CAPTION.width * CAPTION.height;
    // Seen on frames 4, 8, 12: unchanged since frame 4, committed at 12 (6 frames later).
    expect(pastedAfter(3, true)).toBeGreaterThan(0.9 * area);
    expect(pastedAfter(2, true)).toBe(0);
    // Counted in calls, three sightings are not six frames.
    expect(pastedAfter(3, false)).toBe(0);
    expect(pastedAfter(7, false)).toBeGreaterThan(0.9 * area);
  });
});

describe('temporal fill in the mask-free filter', () => {
  it('changes only pixels under the mask, and pastes remembered background there', async () => {
    const world = scene(8);
    const rect: Rect = { x: 200, y: 20, width: 40, height: 24 };
    const mask = new Uint8Array(rect.width * rect.height).map((_, i) => ((i % rect.width) >> 3) % 2);
    const burn = (c: Buffer): Buffer => {
      const out = Buffer.from(c);
      for (let y = 0; y < rect.height; y++) for (let x = 0; x < rect.width; x++) if (mask[y * rect.width + x]) out[(rect.y + y) * W + rect.x + x] = 240;
      return out;
    };
    const clean = Array.from({ length: 40 }, (_, f) => render(world, pan(f)));
    const filter = new AutoFilter({ temporal: true, subtitles: false });
    // An operator region with a per-pixel mask, as a detector would give it.
    filter.setRegions([{ id: 'bars', kind: 'logo', rect, mask, enabled: true }]);
    // The logo detector would find the burned bars too (they are a static overlay), with a mask of
    // its own: what is under test is the given mask, so detected logos are not removed.
    filter.setControls({ disabledIds: [], exclusions: [], settings: { logos: false } });
    const window = new FrameWindow(4);
    let pasted = 0;
    for (const [seq, c] of clean.entries()) {
      const frame = videoFrame(burn(c), seq);
      window.push(frame);
      const out = (await filter.process(frame, { window, behind: false })).data;
      pasted = filter.knownFromTime()[0]?.count ?? 0;
      let changedAway = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const lx = x - rect.x, ly = y - rect.y;
          const near = lx >= -2 && ly >= -2 && lx < rect.width + 2 && ly < rect.height + 2;
          if (!near && out[y * W + x] !== frame.data[y * W + x]) changedAway++;
        }
      }
      expect(changedAway).toBe(0);
      if (seq === 39) {
        // Remembered pixels under the mask are the clean background, to within resampling.
        let se = 0, n = 0;
        for (let y = 0; y < rect.height; y++) {
          for (let x = 0; x < rect.width; x++) {
            if (!mask[y * rect.width + x]) continue;
            const i = (rect.y + y) * W + rect.x + x;
            se += (out[i]! - c[i]!) ** 2;
            n++;
          }
        }
        expect(10 * Math.log10((255 * 255 * n) / se)).toBeGreaterThan(30);
      }
    }
    expect(pasted).toBeGreaterThan(0);
  });
});
