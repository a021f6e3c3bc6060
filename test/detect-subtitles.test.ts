import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SubtitleDetector } from '../src/filter/detect/subtitles.js';
import { synthesizeClip, trueMask, type ClipData } from '../src/synth/index.js';
import type { SubtitleStyle } from '../src/synth/subtitles.js';

// Known weak spot, not hidden: over skimage-coffee.jpg (a dark, textured table in the caption band)
// outlined captions lose precision (~0.65) and boxed ones recall (~0.45); see the report.
const PHOTO = join(import.meta.dirname, 'fixtures', 'media', 'skimage-chelsea.jpg');

const clip = (overlays: Parameters<typeof synthesizeClip>[0]['overlays'], width = 320, height = 240, frames = 30) =>
  synthesizeClip({ id: 't', seed: 3, width, height, fps: 25, frames, source: { kind: 'pan', photo: PHOTO }, overlays });

/** Pixel recall and precision of the detector's masks against the true mask, over all frames. */
function score(c: ClipData): { recall: number; precision: number; found: number } {
  const { width: w, height: h } = c.truth;
  const det = new SubtitleDetector();
  let tp = 0, found = 0, truth = 0;
  c.input.forEach((data, f) => {
    det.observe({ seq: f, ptsMs: f * 40, width: w, height: h, data, arrivedAt: 0 });
    const t = trueMask(c.alpha[f]!);
    const m = new Uint8Array(w * h);
    for (const r of det.regions()) {
      expect(r.kind).toBe('subtitle');
      for (let y = 0; y < r.rect.height; y++) for (let x = 0; x < r.rect.width; x++) if (r.mask![y * r.rect.width + x]) m[(r.rect.y + y) * w + r.rect.x + x] = 1;
    }
    for (let i = 0; i < m.length; i++) {
      found += m[i]!;
      truth += t[i]!;
      if (m[i] && t[i]) tp++;
    }
  });
  return { recall: truth ? tp / truth : NaN, precision: found ? tp / found : NaN, found };
}

describe('subtitle detector', () => {
  for (const style of ['outline', 'box'] as SubtitleStyle[]) {
    for (const script of ['latin', 'cjk'] as const) {
      it(`finds ${script} captions with ${style === 'box' ? 'a box' : 'an outline'}`, async () => {
        const s = score(await clip([{ kind: 'subtitles', look: { style, script, position: 'bottom', colour: '#ffffff' } }]));
        expect(s.recall).toBeGreaterThan(0.8);
        expect(s.precision).toBeGreaterThan(0.75);
      });
    }
  }

  it('finds captions at 1280x720, searched at half resolution', async () => {
    const s = score(await clip([{ kind: 'subtitles', look: { style: 'outline', script: 'latin', position: 'bottom', colour: '#ffffff' } }], 1280, 720, 30));
    expect(s.recall).toBeGreaterThan(0.8);
    expect(s.precision).toBeGreaterThan(0.6);
  });

  it('finds nothing on a picture without captions', async () => {
    expect(score(await clip([])).found).toBe(0);
  });
});
