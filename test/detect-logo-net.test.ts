import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { cameraStep, DEFAULT_LOGO_NET_PARAMS, LogoNetDetector, movesWithScene, staysPutInMovingScene } from '../src/filter/detect/logo-net.js';
import type { Region } from '../src/filter/filter.js';
import { synthesizeClip, type ClipData } from '../src/synth/index.js';
import type { ClipSpec } from '../src/synth/synthesize.js';
import { frameOf, paint } from './helpers/clip-frames.js';

// Backgrounds the logo net never saw in training (make-data.ts holds the fixtures' photos out).
const MEDIA = join(import.meta.dirname, 'fixtures', 'media');
const CHELSEA = join(MEDIA, 'skimage-chelsea.jpg');
const COFFEE = join(MEDIA, 'skimage-coffee.jpg');

/** Frames until a logo seen from the first frame is confirmed, and a few more. */
const FRAMES = DEFAULT_LOGO_NET_PARAMS.every * (DEFAULT_LOGO_NET_PARAMS.confirmRuns + 1) + 1;

function clip(seed: number, source: ClipSpec['source'], overlays: ClipSpec['overlays'], size: [number, number] = [640, 360]): Promise<ClipData> {
  return synthesizeClip({ id: `t${seed}`, seed, width: size[0], height: size[1], fps: 25, frames: FRAMES, source, overlays });
}

/** IoU of the found map against the last frame's true mask (alpha >= 3), and the found pixels. */
function iou(found: Uint8Array, c: ClipData): { iou: number; found: number } {
  const alpha = c.alpha[c.alpha.length - 1]!;
  let inter = 0, union = 0, n = 0;
  for (let i = 0; i < found.length; i++) {
    const t = alpha[i]! >= 3;
    if (found[i]) n++;
    if (found[i] && t) inter++;
    if (found[i] || t) union++;
  }
  return { iou: union ? inter / union : 0, found: n };
}

async function observeAll(det: LogoNetDetector, c: ClipData): Promise<readonly Region[]> {
  for (let f = 0; f < c.input.length; f++) await det.observe(frameOf(c, f));
  return det.regions();
}

describe('logo net', () => {
  let opened: LogoNetDetector[] = [];
  const open = async () => {
    const d = await LogoNetDetector.open();
    opened.push(d);
    return d;
  };
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
    opened = [];
  });

  // Bars some way under what the shipped model gives (IoU 0.89 / 0.70 / 0.56 and 0.60 at 720p):
  // a model that stopped finding logos, or a runtime that misplaced their masks, fails them.
  for (const [graphic, opacity, seed, bar] of [['drawn', 1, 3, 0.75], ['icon', 1, 4, 0.6], ['drawn', 0.6, 5, 0.45]] as const) {
    it(`finds a ${graphic} logo at opacity ${opacity} on a still shot, where the statistics wait`, async () => {
      const c = await clip(seed, { kind: 'static', photo: CHELSEA }, [{ kind: 'logo', graphic, opacity, widthFrac: 0.1 }]);
      const regions = await observeAll(await open(), c);
      const s = iou(paint(regions, 'logo', c.truth.width, c.truth.height), c);
      console.log(`${graphic} logo, opacity ${opacity}: IoU ${s.iou.toFixed(3)}`);
      expect(s.iou).toBeGreaterThanOrEqual(bar);
    });
  }

  it('finds it in a 1280x720 frame, read at 320 columns, with its mask scaled back', async () => {
    const c = await clip(6, { kind: 'pan', photo: COFFEE }, [{ kind: 'logo', graphic: 'drawn', opacity: 1, widthFrac: 0.08 }], [1280, 720]);
    const regions = await observeAll(await open(), c);
    const s = iou(paint(regions, 'logo', c.truth.width, c.truth.height), c);
    console.log(`1280x720 drawn logo: IoU ${s.iou.toFixed(3)}`);
    expect(s.iou).toBeGreaterThanOrEqual(0.5);
  });

  for (const source of [{ kind: 'static', photo: CHELSEA }, { kind: 'pan', photo: COFFEE }] as const) {
    it(`claims nothing on a ${source.kind} shot without overlays`, async () => {
      const c = await clip(7, source, []);
      const regions = await observeAll(await open(), c);
      expect(paint(regions, 'logo', c.truth.width, c.truth.height).reduce((a, b) => a + b, 0)).toBe(0);
    });
  }

  it('does not take captions for logos', async () => {
    const c = await clip(8, { kind: 'pan', photo: COFFEE }, [{ kind: 'subtitles', look: { style: 'box' } }]);
    const regions = await observeAll(await open(), c);
    expect(paint(regions, 'logo', c.truth.width, c.truth.height).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('confirms a logo only after it was found at the same place run after run, and lets it go after its off-runs', async () => {
    const c = await clip(3, { kind: 'static', photo: CHELSEA }, [{ kind: 'logo', graphic: 'drawn', opacity: 1, widthFrac: 0.1 }]);
    const det = await open();
    const { every, confirmRuns, holdRuns, forgetRuns } = DEFAULT_LOGO_NET_PARAMS;
    const states: string[] = [];
    for (let f = 0; f < every * confirmRuns; f++) {
      await det.observe(frameOf(c, f));
      if (f % every === 0) states.push(det.regions().map((r) => r.state).join());
    }
    expect(states.slice(0, confirmRuns - 1).every((s) => s === 'learning')).toBe(true);
    expect(states[confirmRuns - 1]).toBe('active');
    // The same picture without the logo: still removed for holdRuns (the net wavers), then remembered
    // as lost through a blink's off-phase, then forgotten.
    const bare = await synthesizeClip({ ...c.truth, id: 'bare', frames: 1, source: { kind: 'static', photo: CHELSEA }, overlays: [] });
    const off = { ...frameOf(bare, 0) };
    const seen: string[] = [];
    for (let run = 0; run <= forgetRuns; run++) {
      for (let k = 0; k < every; k++) await det.observe({ ...off, seq: 1000 + run * every + k });
      seen.push(det.regions().map((r) => r.state).join());
    }
    expect(seen.slice(0, holdRuns).every((s) => s === 'active')).toBe(true);
    expect(seen.slice(holdRuns, forgetRuns).every((s) => s === 'lost')).toBe(true);
    expect(seen[forgetRuns]).toBe('');
  });
});

describe('a component the net is less sure of', () => {
  // The net's answer is scripted here (what is tested is what the detector does with it): a blob
  // over the graphic at 0.6, between the stay-put floor (0.5) and the usual one (0.75).
  const W = 160, H = 96, GX = 20, GY = 14, GW = 16, GH = 10;
  const runner = (at: () => [number, number], p = 0.6, rim = 0) => ({
    run: async () => {
      const data = new Float32Array(W * H);
      const [gx, gy] = at();
      for (let y = gy - rim; y < gy + GH + rim; y++) data.fill(p, y * W + gx - rim, y * W + gx + GW + rim);
      return { logo: { data, dims: [1, 1, H, W] } };
    },
    close: async () => undefined,
  });
  /** A textured picture moved by (dx, dy), with a bar graphic at (gx, gy). */
  const picture = (seq: number, dx: number, dy: number, gx: number, gy: number) => {
    const data = Buffer.alloc((W * H * 3) / 2, 128);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sx = x - dx, sy = y - dy;
        data[y * W + x] = Math.round(110 + 60 * Math.sin(sx * 0.7) * Math.cos(sy * 0.45) + 30 * Math.sin((sx + 2 * sy) * 0.23));
      }
    }
    for (let y = 0; y < GH; y++) data.fill(y === 4 ? 20 : 230, (gy + y) * W + gx, (gy + y) * W + gx + GW);
    return { seq, ptsMs: seq * 40, width: W, height: H, data, arrivedAt: 0 };
  };
  const runs = async (det: LogoNetDetector, n: number, frame: (run: number) => ReturnType<typeof picture>) => {
    const states: string[] = [];
    for (let run = 0; run < n; run++) {
      for (let k = 0; k < DEFAULT_LOGO_NET_PARAMS.every; k++) await det.observe({ ...frame(run), seq: run * DEFAULT_LOGO_NET_PARAMS.every + k });
      states.push(det.regions().map((r) => r.state).join());
    }
    return states;
  };
  const n = DEFAULT_LOGO_NET_PARAMS.confirmRuns + 3;
  /** The bar graphic at (gx, gy) on a flat dark plate 6 px around it, over a still texture. */
  const platedAt = (seq: number, gx: number, gy: number) => {
    const frame = picture(seq, 0, 0, gx, gy);
    for (let y = gy - 6; y < gy + GH + 6; y++) {
      for (let x = gx - 6; x < gx + GW + 6; x++) if (x < gx || x >= gx + GW || y < gy || y >= gy + GH) frame.data[y * W + x] = 30;
    }
    return frame;
  };

  it('is removed once it stood still while the camera panned', async () => {
    const det = new LogoNetDetector(runner(() => [GX, GY]));
    const states = await runs(det, n, (run) => picture(run, 3 * run, run, GX, GY));
    expect(states[0]).toBe('');
    expect(states.at(-1)).toBe('active');
    expect(det.regions()[0]!.confidence).toBeCloseTo(0.6, 5);
  });

  it('is removed in a still shot when it sits on a plate, and not without one', async () => {
    // The same graphic on a flat dark plate (6 px around it): the plate is the evidence.
    const det = new LogoNetDetector(runner(() => [GX, GY]));
    const states = await runs(det, n, (seq) => platedAt(seq, GX, GY));
    expect(states.at(-1)).toBe('active');
    // Its region is the plate (28 x 22 pixels), give or take the 2 pixels of scene at the plate's level that join it.
    const r = det.regions()[0]!.rect;
    for (const [got, want] of [[r.x, GX - 6], [r.y, GY - 6], [r.x + r.width, GX + GW + 6], [r.y + r.height, GY + GH + 6]] as const) expect(Math.abs(got - want)).toBeLessThanOrEqual(2);
    const bare = await runs(new LogoNetDetector(runner(() => [GX, GY])), n, (run) => picture(run, 0, 0, GX, GY));
    expect(bare.every((s) => s === '')).toBe(true);
  });

  it('takes no plate under a caption: a boxed caption\'s box is as flat as a plate', async () => {
    const caption = [{ x: GX - 10, y: GY - 8, width: GW + 20, height: GH + 16 }];
    const det = new LogoNetDetector(runner(() => [GX, GY]));
    for (let run = 0; run < n; run++) {
      for (let k = 0; k < DEFAULT_LOGO_NET_PARAMS.every; k++) await det.observe({ ...platedAt(run, GX, GY), seq: run * DEFAULT_LOGO_NET_PARAMS.every + k }, caption);
      // Doubtful, in a still shot, and the plate is not looked for: nothing speaks for it.
      expect(det.regions()).toEqual([]);
    }
    // A sure one is kept, as the net drew it: not grown by the box.
    const sure = new LogoNetDetector(runner(() => [GX, GY], 0.9));
    for (let k = 0; k < n * DEFAULT_LOGO_NET_PARAMS.every; k++) await sure.observe({ ...platedAt(0, GX, GY), seq: k }, caption);
    expect(sure.regions()[0]!.rect).toEqual({ x: GX, y: GY, width: GW, height: GH });
  });

  it('looks for its plate again every few runs, not on every run', async () => {
    // The plate goes from the picture after the first run: the plate found then stands for the
    // runs up to the next search, which finds the graphic bare.
    const det = new LogoNetDetector(runner(() => [GX, GY], 0.9));
    const widths: number[] = [];
    for (let run = 0; run < 6; run++) {
      const frame = run === 0 ? platedAt(run, GX, GY) : picture(run, 0, 0, GX, GY);
      for (let k = 0; k < DEFAULT_LOGO_NET_PARAMS.every; k++) await det.observe({ ...frame, seq: run * DEFAULT_LOGO_NET_PARAMS.every + k });
      widths.push(det.regions()[0]!.rect.width);
    }
    expect(widths[0]).toBeGreaterThanOrEqual(GW + 10);
    expect(widths).toEqual([widths[0], widths[0], widths[0], widths[0], GW, GW]);
  });

  it('stays removed when its mask takes in scene at the rim, as long as it stands still while the camera pans', async () => {
    // A sure blob 5 pixels wider than the graphic on every side: scene moving under its rim can make
    // the camera's step its best one, but the graphic itself stood still.
    const det = new LogoNetDetector(runner(() => [GX, GY], 0.9, 5));
    const states = await runs(det, n, (run) => picture(run, 3 * run, run, GX, GY));
    expect(states.slice(DEFAULT_LOGO_NET_PARAMS.confirmRuns - 1).every((s) => s === 'active')).toBe(true);
  });

  it('is not removed in a still shot, nor when it moves with the scene', async () => {
    const still = await runs(new LogoNetDetector(runner(() => [GX, GY])), n, (run) => picture(run, 0, 0, GX, GY));
    expect(still.every((s) => s === '')).toBe(true);
    let run = 0;
    const withScene = await runs(new LogoNetDetector(runner(() => [GX + 3 * run, GY + run])), n, (r) => picture((run = r), 3 * r, r, GX + 3 * r, GY + r));
    expect(withScene.every((s) => s === '')).toBe(true);
  });
});

describe('scene test', () => {
  // A textured working-resolution scene, and a 12 x 10 flat-with-a-bar graphic at (40, 30).
  const w = 120, h = 90;
  const scene = (dx: number, dy: number) => Float32Array.from({ length: w * h }, (_, i) => {
    const x = (i % w) - dx, y = Math.floor(i / w) - dy;
    return 100 + 60 * Math.sin(x * 0.7) * Math.cos(y * 0.45) + 30 * Math.sin((x + 2 * y) * 0.23);
  });
  const withGraphic = (p: Float32Array, gx: number, gy: number) => {
    const out = p.slice();
    for (let y = 0; y < 10; y++) for (let x = 0; x < 12; x++) out[(gy + y) * w + gx + x] = y === 4 ? 20 : 230;
    return out;
  };
  const component = (gx: number, gy: number) => ({ x0: gx, y0: gy, x1: gx + 12, y1: gy + 10, mask: new Uint8Array(120).fill(1) });

  it('calls a graphic that took the camera\'s step scene', () => {
    expect(movesWithScene(component(43, 32), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(3, 2), 43, 32), w, h, DEFAULT_LOGO_NET_PARAMS)).toBe(true);
  });

  it('keeps a graphic that stayed put, or drifted on its own, while the camera moved', () => {
    expect(movesWithScene(component(40, 30), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(5, -3), 40, 30), w, h, DEFAULT_LOGO_NET_PARAMS)).toBe(false);
    expect(movesWithScene(component(41, 30), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(5, -3), 41, 30), w, h, DEFAULT_LOGO_NET_PARAMS)).toBe(false);
  });

  it('says nothing in a still shot', () => {
    expect(movesWithScene(component(40, 30), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(0, 0), 40, 30), w, h, DEFAULT_LOGO_NET_PARAMS)).toBe(false);
  });

  it('vouches for a graphic that stayed put while the camera moved, and for nothing else', () => {
    const p = DEFAULT_LOGO_NET_PARAMS;
    const put = (c: ReturnType<typeof component>, prev: Float32Array, cur: Float32Array) => staysPutInMovingScene(c, prev, cur, w, h, cameraStep(prev, cur, w, h, p.searchRadius), p);
    expect(cameraStep(withGraphic(scene(0, 0), 40, 30), withGraphic(scene(5, -3), 40, 30), w, h, p.searchRadius)).toEqual({ dx: 5, dy: -3 });
    expect(put(component(40, 30), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(5, -3), 40, 30))).toBe(true);
    // A slow drift of its own is still far from the camera's step.
    expect(put(component(40, 31), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(5, -3), 40, 31))).toBe(true);
    // Scene that moved with the camera, and a still shot, are no evidence.
    expect(put(component(43, 32), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(3, 2), 43, 32))).toBe(false);
    expect(put(component(40, 30), withGraphic(scene(0, 0), 40, 30), withGraphic(scene(0, 0), 40, 30))).toBe(false);
    // A patch of sky: every step fits what is around it, so nothing can be said to stay put there.
    const flat = (q: Float32Array) => {
      const out = q.slice();
      for (let y = 15; y < 55; y++) for (let x = 25; x < 75; x++) out[y * w + x] = 128 + 0.01 * x;
      return out;
    };
    expect(put(component(40, 30), flat(scene(0, 0)), flat(scene(5, -3)))).toBe(false);
    // Words on a plate that stands still with them (a boxed caption): the ring did not move either.
    const plate = (q: Float32Array) => {
      const out = q.slice();
      for (let y = 22; y < 48; y++) for (let x = 30; x < 64; x++) out[y * w + x] = 40;
      return withGraphic(out, 40, 30);
    };
    expect(put(component(40, 30), plate(scene(0, 0)), plate(scene(5, -3)))).toBe(false);
  });
});

describe('auto filter with the logo net', () => {
  it('removes a logo from a still shot: the picture inside comes closer to the clean one, outside stays', async () => {
    const c = await clip(3, { kind: 'static', photo: CHELSEA }, [{ kind: 'logo', graphic: 'drawn', opacity: 1, widthFrac: 0.1 }]);
    const filter = new AutoFilter({});
    const window = new FrameWindow(4);
    let last: Buffer | undefined;
    for (let f = 0; f < c.input.length; f++) {
      window.push(frameOf(c, f));
      last = (await filter.process(frameOf(c, f), { window, behind: false })).data;
    }
    expect(filter.learning).toBe(true); // the statistics still wait: nothing in the scene moves
    const alpha = c.alpha[c.alpha.length - 1]!, clean = c.clean[c.clean.length - 1]!, input = c.input[c.input.length - 1]!;
    let errIn = 0, errInput = 0, n = 0, changedOutside = 0;
    for (let i = 0; i < alpha.length; i++) {
      if (alpha[i]! >= 3) {
        errIn += Math.abs(last![i]! - clean[i]!);
        errInput += Math.abs(input[i]! - clean[i]!);
        n++;
      }
    }
    // Outside a margin around the logo nothing changes (the fill grows the mask by a pixel or two).
    const near = new Uint8Array(alpha.length);
    const w = c.truth.width;
    for (let i = 0; i < alpha.length; i++) if (alpha[i]! >= 3) for (let dy = -6; dy <= 6; dy++) for (let dx = -6; dx <= 6; dx++) near[i + dy * w + dx] = 1;
    for (let i = 0; i < alpha.length; i++) if (!near[i] && last![i] !== input[i]) changedOutside++;
    console.log(`still-shot logo: mean error inside ${(errIn / n).toFixed(1)} against ${(errInput / n).toFixed(1)} as it came in`);
    expect(errIn / n).toBeLessThan(0.5 * (errInput / n));
    expect(changedOutside).toBe(0);
    await filter.close();
  });

  it('leaves a logo inside an exclusion zone alone', async () => {
    const c = await clip(3, { kind: 'static', photo: CHELSEA }, [{ kind: 'logo', graphic: 'drawn', opacity: 1, widthFrac: 0.1 }]);
    const box = c.truth.rects[0]!.find((r) => r.kind === 'logo')!.rect;
    const filter = new AutoFilter({});
    filter.setControls({ disabledIds: [], exclusions: [{ x: box.x - 8, y: box.y - 8, width: box.width + 16, height: box.height + 16 }], settings: {} });
    const window = new FrameWindow(4);
    for (let f = 0; f < c.input.length; f++) {
      window.push(frameOf(c, f));
      const out = await filter.process(frameOf(c, f), { window, behind: false });
      expect(out.data.equals(c.input[f]!)).toBe(true);
    }
    const found = filter.detectedRegions().filter((r) => r.kind === 'logo' && r.state === 'active');
    expect(found.length).toBeGreaterThan(0); // seen, reported, and switched off
    expect(found.every((r) => !r.enabled)).toBe(true);
    await filter.close();
  });

  it('runs on without the net when its model cannot load, and says why', async () => {
    const filter = new AutoFilter({ logoModel: '/nonexistent/logo.onnx' });
    const c = await clip(3, { kind: 'static', photo: CHELSEA }, [{ kind: 'logo', graphic: 'drawn', opacity: 1, widthFrac: 0.1 }]);
    const window = new FrameWindow(2);
    for (let f = 0; f < 8; f++) {
      window.push(frameOf(c, f));
      const out = await filter.process(frameOf(c, f), { window, behind: false });
      expect(out.data.equals(c.input[f]!)).toBe(true);
    }
    expect(filter.logoNetStopped).toMatch(/did not load.*nonexistent\/logo\.onnx/);
    expect(filter.detectedRegions().filter((r) => r.state === 'active')).toHaveLength(0);
    await filter.close();
  });
});
