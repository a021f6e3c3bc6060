import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { yuv420pLayout } from '../src/core/frame.js';
import {
  CUE_MAX_S,
  CUE_MIN_S,
  GAP_MIN_S,
  Rng,
  blendByte,
  chromaAlpha,
  readClip,
  scheduleCues,
  synthesizeClip,
  synthesizeToDir,
  type ClipData,
  type ClipSpec,
} from '../src/synth/index.js';

const MEDIA = join(import.meta.dirname, 'fixtures', 'media');
const VIDEO = join(MEDIA, 'tree-160x120.mp4');
const PHOTO = join(MEDIA, 'skimage-coffee.jpg');
const tmp = mkdtempSync(join(tmpdir(), 'clearcast-synth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = { width: 160, height: 120, fps: 25, frames: 40 } as const;

const spec = (over: Partial<ClipSpec>): ClipSpec => ({
  id: 't',
  seed: 1,
  ...base,
  source: { kind: 'video', path: VIDEO },
  overlays: [{ kind: 'logo' }],
  ...over,
});

/** Every pixel with alpha must sit in one of that frame's layer boxes (what delogo and manual regions get). */
function alphaOutsideRects(clip: ClipData): number {
  const { width, height } = clip.truth;
  let outside = 0;
  clip.alpha.forEach((a, f) => {
    const rects = clip.truth.rects[f]!.map((r) => r.rect);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!a[y * width + x]) continue;
        if (!rects.some((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)) outside++;
      }
    }
  });
  return outside;
}

describe('Rng', () => {
  it('repeats a sequence from the same seed and differs between seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('synthesizeClip', () => {
  it('is a pure function of its spec and seed', async () => {
    const s = spec({ overlays: [{ kind: 'logo' }, { kind: 'subtitles' }, { kind: 'dynamic-logo' }], source: { kind: 'pan', photo: PHOTO } });
    const [a, b, c] = await Promise.all([synthesizeClip(s), synthesizeClip(s), synthesizeClip({ ...s, seed: 2 })]);
    expect(JSON.stringify(b.truth)).toBe(JSON.stringify(a.truth));
    expect(Buffer.concat(b.input).equals(Buffer.concat(a.input))).toBe(true);
    expect(Buffer.concat(b.alpha).equals(Buffer.concat(a.alpha))).toBe(true);
    expect(Buffer.concat(c.input).equals(Buffer.concat(a.input))).toBe(false);
  });

  it('stores a composite that equals alpha*overlay + (1-alpha)*clean exactly, after the disk round trip', async () => {
    const dir = join(tmp, 'blend');
    const made = await synthesizeToDir(
      spec({ overlays: [{ kind: 'logo', opacity: 0.5 }, { kind: 'subtitles', look: { style: 'shadow', colour: '#ffe14a' } }, { kind: 'ticker', opacity: 0.7 }] }),
      dir,
    );
    const clip = await readClip(dir);
    expect(clip.truth).toEqual(made.truth);
    expect(Buffer.concat(clip.input).equals(Buffer.concat(made.input))).toBe(true);
    const { width, height } = clip.truth;
    const L = yuv420pLayout(width, height);
    let mismatches = 0;
    let translucent = 0;
    clip.input.forEach((input, f) => {
      const a = clip.alpha[f]!;
      const ca = chromaAlpha(a, width, height);
      const ov = clip.overlay[f]!;
      const clean = clip.clean[f]!;
      for (let i = 0; i < L.frameSize; i++) {
        const alpha = i < L.ySize ? a[i]! : ca[(i - L.ySize) % L.cSize]!;
        if (i < L.ySize && alpha > 0 && alpha < 255) translucent++;
        if (input[i] !== blendByte(alpha, ov[i]!, clean[i]!)) mismatches++;
      }
    });
    expect(mismatches).toBe(0);
    expect(translucent).toBeGreaterThan(1000);
    // The overlay really changes the picture, or the test above would prove nothing.
    expect(Buffer.concat(clip.input).equals(Buffer.concat(clip.clean))).toBe(false);
  });

  it('keeps every overlay pixel inside the recorded boxes, for static and moving layers', async () => {
    const clip = await synthesizeClip(
      spec({ frames: 60, overlays: [{ kind: 'logo' }, { kind: 'dynamic-logo', motion: 'move' }, { kind: 'subtitles' }, { kind: 'ticker' }] }),
    );
    expect(alphaOutsideRects(clip)).toBe(0);
    const moving = clip.truth.rects.map((fr) => fr.find((r) => r.kind === 'dynamic-logo')!.rect);
    expect(new Set(moving.map((r) => `${r.x},${r.y}`)).size).toBeGreaterThan(1);
  });

  it('draws static logos 3-15% of the frame width, fixed, with the requested opacity', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const clip = await synthesizeClip(spec({ seed, frames: 3, width: 320, height: 240, overlays: [{ kind: 'logo', opacity: 0.4, graphic: 'drawn' }] }));
      const rects = clip.truth.rects.map((fr) => fr[0]!.rect);
      expect(rects.every((r) => JSON.stringify(r) === JSON.stringify(rects[0]))).toBe(true);
      // Boxes include a 2 px margin for anti-aliasing on each side.
      expect(rects[0]!.width).toBeGreaterThanOrEqual(0.03 * 320 - 1);
      expect(rects[0]!.width).toBeLessThanOrEqual(0.15 * 320 + 5);
      const maxAlpha = Math.max(...clip.alpha[0]!);
      expect(maxAlpha).toBeGreaterThanOrEqual(Math.floor(0.4 * 255) - 1);
      expect(maxAlpha).toBeLessThanOrEqual(Math.ceil(0.4 * 255) + 1);
    }
  });

  it('shows subtitles only during their cues', async () => {
    const clip = await synthesizeClip(spec({ frames: 200, overlays: [{ kind: 'subtitles' }] }));
    const cues = clip.truth.layers[0]!.params['cues'] as { start: number; end: number }[];
    expect(cues.length).toBeGreaterThanOrEqual(2);
    clip.alpha.forEach((a, f) => {
      const inCue = cues.some((c) => f >= c.start && f < c.end);
      expect(a.some((v) => v > 0)).toBe(inCue);
      expect(clip.truth.rects[f]!.length).toBe(inCue ? 1 : 0);
    });
  });

  it('blinks a blinking logo and leaves a static camera still', async () => {
    const clip = await synthesizeClip(spec({ frames: 100, source: { kind: 'static', photo: PHOTO }, overlays: [{ kind: 'dynamic-logo', motion: 'blink' }] }));
    const visible = clip.truth.rects.map((fr) => fr.length > 0);
    expect(visible.some((v) => v)).toBe(true);
    expect(visible.some((v) => !v)).toBe(true);
    expect(clip.clean.every((c) => c.equals(clip.clean[0]!))).toBe(true);
  });

  it('pans smoothly over a photo: every frame moves, none jumps', async () => {
    const clip = await synthesizeClip(spec({ frames: 30, source: { kind: 'pan', photo: PHOTO }, overlays: [] }));
    const n = base.width * base.height;
    const diffs = clip.clean.slice(1).map((c, i) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.abs(c[k]! - clip.clean[i]![k]!);
      return s / n;
    });
    // Smoothstep eases in and out: only the first and last steps may be still.
    expect(diffs.slice(2, -2).every((d) => d > 0)).toBe(true);
    expect(Math.max(...diffs)).toBeLessThan(12);
    expect(clip.alpha.every((a) => a.every((v) => v === 0))).toBe(true);
  });

  it('draws a random overlay mix from the seed, every layer inside its boxes', async () => {
    const kinds = new Set<string>();
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const clip = await synthesizeClip(spec({ seed, frames: 30, overlays: 'random' }));
      expect(clip.truth.layers.length).toBeGreaterThan(0);
      expect(alphaOutsideRects(clip)).toBe(0);
      clip.truth.layers.forEach((l) => kinds.add(l.kind));
    }
    expect(kinds.size).toBeGreaterThan(1);
  });

  it('rejects odd frame sizes', async () => {
    await expect(synthesizeClip(spec({ width: 161 }))).rejects.toThrow(/even/);
  });
});

describe('scheduleCues', () => {
  it('keeps cues 1.5-4 s long with gaps between them', () => {
    const fps = 25;
    for (let seed = 1; seed <= 20; seed++) {
      const cues = scheduleCues(new Rng(seed), 60 * fps, fps);
      expect(cues.length).toBeGreaterThan(10);
      cues.forEach((c, i) => {
        expect(c.end - c.start).toBeGreaterThanOrEqual(Math.round(CUE_MIN_S * fps));
        expect(c.end - c.start).toBeLessThanOrEqual(Math.round(CUE_MAX_S * fps));
        const prev = cues[i - 1];
        if (prev) expect(c.start - prev.end).toBeGreaterThanOrEqual(Math.max(1, Math.round(GAP_MIN_S * fps)));
      });
    }
  });
});
