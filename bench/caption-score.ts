import type { Region } from '../src/filter/filter.js';
import { trueMask, type ClipData } from '../src/synth/index.js';

export interface CaptionDetector {
  observe(frame: { seq: number; ptsMs: number; width: number; height: number; data: Buffer; arrivedAt: number }): unknown;
  regions(): readonly Region[];
  close?(): Promise<void>;
}

export interface CaptionScore {
  tp: number;
  found: number;
  truth: number;
  frames: number;
}

/** Runs a detector over a clip and counts pixels against the subtitle layers' true mask. */
export async function scoreCaptions(det: CaptionDetector, clip: ClipData): Promise<CaptionScore> {
  const { width: w, height: h } = clip.truth;
  const s: CaptionScore = { tp: 0, found: 0, truth: 0, frames: 0 };
  for (let f = 0; f < clip.input.length; f++) {
    await det.observe({ seq: f, ptsMs: f * 40, width: w, height: h, data: clip.input[f]!, arrivedAt: 0 });
    const t = trueMask(clip.alpha[f]!);
    const m = new Uint8Array(w * h);
    for (const r of det.regions()) {
      if (r.kind !== 'subtitle' || r.state !== 'active') continue;
      for (let y = 0; y < r.rect.height; y++) for (let x = 0; x < r.rect.width; x++) if (r.mask![y * r.rect.width + x]) m[(r.rect.y + y) * w + r.rect.x + x] = 1;
    }
    for (let i = 0; i < m.length; i++) {
      s.found += m[i]!;
      s.truth += t[i]!;
      if (m[i] && t[i]) s.tp++;
    }
    s.frames++;
  }
  return s;
}
