import { createCanvas } from '@napi-rs/canvas';
import { Rng } from './rng.js';
import { renderCleanClip, type SourceSpec } from './sources.js';
import { buildLayer, randomOverlaySpecs, type ClipGeometry, type OverlaySpec } from './layers.js';
import { compositeYuv420p, overlayToYuv420p } from './colour.js';
import { CLIP_FORMAT, MASK_ALPHA_MIN, writeClip, type ClipData, type ClipHeader, type LayerRect } from './clip.js';

export interface ClipSpec extends ClipHeader {
  readonly source: SourceSpec;
  /** An empty list gives a clean clip (the false-positive case); 'random' draws a mix from the seed. */
  readonly overlays: readonly OverlaySpec[] | 'random';
}

/** Builds a clip in memory: clean frames, overlay colour and alpha, their composite, and the record. */
export async function synthesizeClip(spec: ClipSpec): Promise<ClipData> {
  const { width, height, fps, frames } = spec;
  if (width % 2 || height % 2) throw new RangeError(`clip size must be even, got ${width}x${height}`);
  const rng = new Rng(spec.seed);
  const clean = await renderCleanClip(spec.source, width, height, frames, rng.fork(1));
  const specs = spec.overlays === 'random' ? randomOverlaySpecs(rng.fork(2)) : spec.overlays;
  const g: ClipGeometry = { width, height, fps, frames };
  const layers = [];
  for (const [i, s] of specs.entries()) layers.push(await buildLayer(s, g, rng.fork(100 + i)));

  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const input: Buffer[] = [];
  const overlay: Buffer[] = [];
  const alpha: Uint8Array[] = [];
  const rects: LayerRect[][] = [];
  for (let f = 0; f < frames; f++) {
    ctx.clearRect(0, 0, width, height);
    const frameRects: LayerRect[] = [];
    layers.forEach((layer, i) => {
      const rect = layer.draw(ctx, f);
      if (rect) frameRects.push({ layer: i, kind: layer.kind, rect });
    });
    const ov = overlayToYuv420p(ctx.getImageData(0, 0, width, height).data, width, height);
    input.push(compositeYuv420p(clean.frames[f]!, ov, width, height));
    overlay.push(ov.yuv);
    alpha.push(ov.alpha);
    rects.push(frameRects);
  }
  return {
    truth: {
      format: CLIP_FORMAT,
      id: spec.id,
      seed: spec.seed,
      ...g,
      maskAlphaMin: MASK_ALPHA_MIN,
      source: { ...spec.source, ...(clean.camera ? { camera: clean.camera } : {}) },
      layers: layers.map((l) => ({ kind: l.kind, params: l.params })),
      rects,
    },
    input,
    clean: clean.frames,
    overlay,
    alpha,
  };
}

/** Synthesises and stores a clip; returns what was written (kept in memory for the caller). */
export async function synthesizeToDir(spec: ClipSpec, dir: string): Promise<ClipData> {
  const clip = await synthesizeClip(spec);
  await writeClip(dir, clip);
  return clip;
}
