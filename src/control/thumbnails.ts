import { createCanvas } from '@napi-rs/canvas';
import { bt601ToRgb, yuv420pLayout, type VideoFrame } from '../core/frame.js';
import type { StreamPipeline } from '../stream/pipeline.js';

/** Thumbnail width: enough to see a logo on a phone, small enough to convert in about a millisecond. */
const THUMB_WIDTH = 320;
const JPEG_QUALITY = 70;

export interface Thumbnails {
  /** Source picture size: region coordinates are in these pixels. */
  width: number;
  height: number;
  before: Buffer;
  after: Buffer;
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** yuv420p -> RGBA (bt601ToRgb), nearest-sample downscale. */
export function yuvToRgbaScaled(data: Buffer, width: number, height: number, outW: number, outH: number): Uint8ClampedArray {
  const { cWidth, uOffset, vOffset } = yuv420pLayout(width, height);
  const rgba = new Uint8ClampedArray(outW * outH * 4);
  const rgb: [number, number, number] = [0, 0, 0];
  for (let oy = 0; oy < outH; oy++) {
    const y = Math.min(height - 1, Math.floor(((oy + 0.5) * height) / outH));
    for (let ox = 0; ox < outW; ox++) {
      const x = Math.min(width - 1, Math.floor(((ox + 0.5) * width) / outW));
      const c = (y >> 1) * cWidth + (x >> 1);
      bt601ToRgb(data[y * width + x]!, data[uOffset + c]!, data[vOffset + c]!, rgb);
      const o = (oy * outW + ox) * 4;
      rgba[o] = clamp(rgb[0]);
      rgba[o + 1] = clamp(rgb[1]);
      rgba[o + 2] = clamp(rgb[2]);
      rgba[o + 3] = 255;
    }
  }
  return rgba;
}

async function toJpeg(rgba: Uint8ClampedArray, w: number, h: number): Promise<Buffer> {
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  img.data.set(rgba);
  ctx.putImageData(img, 0, 0);
  return canvas.encode('jpeg', JPEG_QUALITY);
}

/**
 * Samples a stream's input and filtered output every `intervalMs` as JPEG thumbnails, only while
 * someone watches (attach on first viewer, detach on last). The downscale happens inside the
 * pipeline tap, because the frame buffers are only valid there; JPEG encoding happens off it.
 */
export function sampleThumbnails(pipeline: StreamPipeline, intervalMs: number, deliver: (t: Thumbnails) => void): () => void {
  let last = -Infinity;
  let encoding = false;
  return pipeline.addTap({
    onFiltered(frame: VideoFrame, output: Buffer) {
      const now = performance.now();
      if (encoding || now - last < intervalMs) return;
      last = now;
      encoding = true;
      const outW = Math.min(THUMB_WIDTH, frame.width);
      const outH = Math.max(2, Math.round((outW * frame.height) / frame.width));
      const before = yuvToRgbaScaled(frame.data, frame.width, frame.height, outW, outH);
      const after = yuvToRgbaScaled(output, frame.width, frame.height, outW, outH);
      void Promise.all([toJpeg(before, outW, outH), toJpeg(after, outW, outH)])
        .then(([b, a]) => deliver({ width: frame.width, height: frame.height, before: b, after: a }))
        .catch(() => { /* a lost thumbnail is replaced by the next one */ })
        .finally(() => { encoding = false; });
    },
  });
}
