import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { Rng } from './rng.js';
import { rgbaToYuv420p } from './colour.js';
import { decodeYuv } from './ffmpeg-io.js';

/** Where a clean clip comes from. Camera parameters not given are drawn from the clip's seed. */
export type SourceSpec =
  | { readonly kind: 'video'; readonly path: string; readonly startFrame?: number }
  | { readonly kind: 'pan'; readonly photo: string }
  | { readonly kind: 'static'; readonly photo: string };

export interface CameraPath {
  /** Zoom relative to "cover" (1 = the photo just fills the frame), and viewport centre in photo pixels. */
  readonly from: { readonly zoom: number; readonly cx: number; readonly cy: number };
  readonly to: { readonly zoom: number; readonly cx: number; readonly cy: number };
}

export interface CleanClip {
  readonly frames: Buffer[];
  /** Present for photo sources: what the camera did, for the record in truth.json. */
  readonly camera?: CameraPath;
}

export async function renderCleanClip(spec: SourceSpec, width: number, height: number, frames: number, rng: Rng): Promise<CleanClip> {
  if (spec.kind === 'video') return { frames: await videoFrames(spec.path, spec.startFrame ?? 0, width, height, frames) };
  return photoFrames(spec.photo, spec.kind === 'pan', width, height, frames, rng);
}

async function videoFrames(path: string, startFrame: number, width: number, height: number, frames: number): Promise<Buffer[]> {
  const all = await decodeYuv(path, { width, height, maxFrames: startFrame + frames });
  if (all.length === 0) throw new Error(`${path}: no video frames`);
  // A start past the end wraps, and a source shorter than the clip plays back and forth: no cut,
  // so motion stays continuous.
  const decoded = all.slice(startFrame % all.length);
  const out: Buffer[] = [];
  for (let i = 0; out.length < frames; i++) {
    const period = Math.max(1, 2 * decoded.length - 2);
    const k = i % period;
    out.push(decoded[k < decoded.length ? k : period - k]!);
  }
  return out;
}

const smoothstep = (t: number): number => t * t * (3 - 2 * t);

async function photoFrames(photo: string, moving: boolean, width: number, height: number, frames: number, rng: Rng): Promise<CleanClip> {
  const img = await loadImage(photo);
  const cover = Math.max(width / img.width, height / img.height);
  const pose = (zoom: number) => {
    const s = cover * zoom;
    const halfW = width / s / 2;
    const halfH = height / s / 2;
    return { zoom, cx: rng.range(halfW, img.width - halfW), cy: rng.range(halfH, img.height - halfH) };
  };
  const from = pose(rng.range(1.05, 1.5));
  // Pans move a few percent of the frame per second: slow enough to look like a camera, fast
  // enough that a hidden pixel becomes visible within a second or two.
  const to = moving ? pose(Math.max(1.05, from.zoom * rng.range(0.85, 1.2))) : from;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const out: Buffer[] = [];
  for (let f = 0; f < frames; f++) {
    const t = frames > 1 ? smoothstep(f / (frames - 1)) : 0;
    const zoom = from.zoom + (to.zoom - from.zoom) * t;
    const cx = from.cx + (to.cx - from.cx) * t;
    const cy = from.cy + (to.cy - from.cy) * t;
    const s = cover * zoom;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.setTransform(s, 0, 0, s, width / 2 - s * cx, height / 2 - s * cy);
    ctx.drawImage(img, 0, 0);
    out.push(rgbaToYuv420p(ctx.getImageData(0, 0, width, height).data, width, height));
  }
  return { frames: out, camera: { from, to } };
}
