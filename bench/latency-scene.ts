import { join } from 'node:path';
import type { Rect } from '../src/core/frame.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { synthesizeClip } from '../src/synth/synthesize.js';
import { BARCODE_AREA } from './barcode.js';
import { findMedia, texturedPhotos } from './cases.js';

/** Frames of the scene: 5 s, played forward then backward (a pan that turns round, never a cut). */
const SCENE_SECONDS = 5;

export interface LatencyScene {
  /** The picture under frame `i`'s barcode. */
  frame(i: number): Buffer;
  /** Where the synthesiser put its overlays (each kind's bounds over the scene), for the report. */
  readonly overlays: readonly { kind: string; rect: Rect }[];
}

const overlaps = (a: Rect, b: Rect): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * What the mask-free filter has to work on in a latency run: a textured photo panning, an opaque
 * logo in a corner and captions that change, from the benchmark's synthesiser. The plain barcode
 * rows have nothing to find, so they would measure detection at its cheapest and no fill at all.
 * The seed is stepped until the logo keeps clear of the barcode (which the run excludes from
 * filtering).
 */
export async function overlayScene(width: number, height: number, fps: number): Promise<LatencyScene> {
  const media = findMedia(join(PROJECT_ROOT, '..', 'shared', 'media')) ?? findMedia(join(PROJECT_ROOT, 'test', 'fixtures', 'media'));
  if (!media) throw new Error('no source media for --scene overlays (../shared/media or test/fixtures/media)');
  const textured = await texturedPhotos(media);
  const frames = SCENE_SECONDS * fps;
  for (let seed = 1; seed < 20; seed++) {
    const clip = await synthesizeClip({
      id: `latency-scene-${seed}`, seed, width, height, fps, frames,
      source: { kind: 'pan', photo: textured.photos[seed % textured.photos.length]! },
      overlays: [{ kind: 'logo', opacity: 1 }, { kind: 'subtitles', look: { script: 'latin' } }],
    });
    const rects = clip.truth.rects.flat();
    if (rects.some((r) => overlaps(r.rect, BARCODE_AREA))) continue;
    const input = clip.input;
    const period = 2 * frames - 2;
    return {
      frame: (i) => {
        const k = i % period;
        return input[k < frames ? k : period - k]!;
      },
      overlays: boundsByKind(rects),
    };
  }
  throw new Error('no seed placed the logo clear of the barcode');
}

function boundsByKind(rects: readonly { kind: string; rect: Rect }[]): { kind: string; rect: Rect }[] {
  const out = new Map<string, { x0: number; y0: number; x1: number; y1: number }>();
  for (const { kind, rect: r } of rects) {
    const b = out.get(kind);
    out.set(kind, b
      ? { x0: Math.min(b.x0, r.x), y0: Math.min(b.y0, r.y), x1: Math.max(b.x1, r.x + r.width), y1: Math.max(b.y1, r.y + r.height) }
      : { x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height });
  }
  return [...out].map(([kind, b]) => ({ kind, rect: { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 } }));
}
