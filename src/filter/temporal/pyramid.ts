import type { PixelRect } from '../fill/rect.js';
import type { Raster } from './resample.js';

/**
 * One level of a luma pyramid. Level pixel (x, y) covers full-resolution pixels
 * [x * scale, (x + 1) * scale): its centre is at full-resolution (x + 0.5) * scale - 0.5.
 */
export interface Level {
  readonly width: number;
  readonly height: number;
  /** Full-resolution pixels per level pixel. */
  readonly scale: number;
  readonly luma: Float32Array;
  /** 1 where the pixel touches a hole (an overlay that does not move with the scene). */
  readonly excluded: Uint8Array;
}

/** Reuses the typed arrays of `old` when the geometry matches (a live stream builds one pyramid per frame). */
function level(width: number, height: number, scale: number, old: Level | undefined): Level {
  if (old && old.width === width && old.height === height && old.scale === scale) {
    old.excluded.fill(0);
    return old;
  }
  return { width, height, scale, luma: new Float32Array(width * height), excluded: new Uint8Array(width * height) };
}

/**
 * Box-downscales `src` by `factor`, then halves while the width stays at least `minWidth`.
 * Holes are marked on every level, grown by one level pixel so that neither a bilinear sample
 * nor a gradient next to a hole reads overlay pixels. `reuse` is the pyramid of two frames ago.
 */
export function buildPyramid(src: Raster, factor: number, minWidth: number, holes: readonly PixelRect[], reuse: readonly Level[] = [], scratch: Float32Array[] = []): Level[] {
  if (!Number.isInteger(Math.log2(factor))) throw new RangeError(`pyramid factor must be a power of two, got ${factor}`);
  let w0 = src.width;
  let h0 = src.height;
  for (let f = factor; f > 1; f >>= 1) {
    w0 >>= 1;
    h0 >>= 1;
  }
  const base = level(w0, h0, factor, reuse[0]);
  boxDownscale(src, factor, base, scratch);
  markHoles(base, holes);
  const levels = [base];
  for (let prev = base; prev.width >> 1 >= minWidth && prev.height >> 1 >= 8; ) {
    const next = level(prev.width >> 1, prev.height >> 1, prev.scale * 2, reuse[levels.length]);
    halve(prev, next);
    levels.push(next);
    prev = next;
  }
  return levels;
}

/**
 * Box average by `f` (a power of two) as repeated 2x2 halving: the first halving reads the bytes
 * once, the rest work on a quarter of the data each.
 */
function boxDownscale(src: Raster, f: number, out: Level, scratch: Float32Array[]): void {
  const { data, offset, width: sw } = src;
  if (f === 1) {
    const { width: w, height: h, luma } = out;
    for (let y = 0; y < h; y++) for (let x = 0, o = offset + y * sw; x < w; x++) luma[y * w + x] = data[o + x]!;
    return;
  }
  let w = src.width >> 1;
  let h = src.height >> 1;
  let level = f === 2 ? out.luma : stage(scratch, 0, w * h);
  for (let y = 0; y < h; y++) {
    const a = offset + 2 * y * sw;
    const b = a + sw;
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const k = 2 * x;
      level[i] = 0.25 * (data[a + k]! + data[a + k + 1]! + data[b + k]! + data[b + k + 1]!);
    }
  }
  for (let g = 4, n = 1; g <= f; g *= 2, n++) {
    const from = level;
    const fw = w;
    w >>= 1;
    h >>= 1;
    level = g === f ? out.luma : stage(scratch, n & 1, w * h);
    for (let y = 0; y < h; y++) {
      const a = 2 * y * fw;
      const b = a + fw;
      for (let x = 0, i = y * w; x < w; x++, i++) {
        const k = 2 * x;
        level[i] = 0.25 * (from[a + k]! + from[a + k + 1]! + from[b + k]! + from[b + k + 1]!);
      }
    }
  }
}

function stage(scratch: Float32Array[], k: number, size: number): Float32Array {
  if (!scratch[k] || scratch[k]!.length < size) scratch[k] = new Float32Array(size);
  return scratch[k]!;
}

function markHoles(l: Level, holes: readonly PixelRect[]): void {
  const { width: w, height: h, scale, excluded } = l;
  for (const r of holes) {
    const x0 = Math.max(0, Math.floor(r.x0 / scale) - 1);
    const y0 = Math.max(0, Math.floor(r.y0 / scale) - 1);
    const x1 = Math.min(w, Math.ceil(r.x1 / scale) + 1);
    const y1 = Math.min(h, Math.ceil(r.y1 / scale) + 1);
    for (let y = y0; y < y1; y++) excluded.fill(1, y * w + x0, y * w + x1);
  }
}

function halve(from: Level, to: Level): void {
  const fw = from.width;
  const { width: w, height: h, luma, excluded } = to;
  for (let y = 0; y < h; y++) {
    const a = 2 * y * fw;
    const b = a + fw;
    for (let x = 0; x < w; x++) {
      const i = a + 2 * x;
      const j = b + 2 * x;
      luma[y * w + x] = 0.25 * (from.luma[i]! + from.luma[i + 1]! + from.luma[j]! + from.luma[j + 1]!);
      excluded[y * w + x] = from.excluded[i]! | from.excluded[i + 1]! | from.excluded[j]! | from.excluded[j + 1]!;
    }
  }
}
