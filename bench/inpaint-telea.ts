import { yuv420pLayout } from '../src/core/frame.js';

/**
 * Classical inpainting baseline: Telea's fast-marching method (J. Graphics Tools, 2004), the
 * algorithm behind OpenCV's INPAINT_TELEA. The hole is filled from its boundary inwards in order of
 * distance; each pixel is a weighted mean of known pixels within `radius`, weighted by direction
 * (along the distance gradient), distance and level-set proximity. The first-order gradient term of
 * the paper is left out: it overshoots on the hard edges overlays leave behind.
 * A benchmark baseline, not product code.
 */

const KNOWN = 0;
const BAND = 1;
const INSIDE = 2;
const FAR = 1e6;

/** Min-heap of pixel indices keyed by arrival time; stale entries are skipped on pop. */
class PixelHeap {
  private keys = new Float64Array(1024);
  private vals = new Int32Array(1024);
  size = 0;

  push(key: number, val: number): void {
    if (this.size === this.keys.length) {
      const k = new Float64Array(this.size * 2);
      k.set(this.keys);
      const v = new Int32Array(this.size * 2);
      v.set(this.vals);
      this.keys = k;
      this.vals = v;
    }
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent]! <= key) break;
      this.keys[i] = this.keys[parent]!;
      this.vals[i] = this.vals[parent]!;
      i = parent;
    }
    this.keys[i] = key;
    this.vals[i] = val;
  }

  pop(): number {
    const top = this.vals[0]!;
    const key = this.keys[--this.size]!;
    const val = this.vals[this.size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && this.keys[c + 1]! < this.keys[c]!) c++;
      if (this.keys[c]! >= key) break;
      this.keys[i] = this.keys[c]!;
      this.vals[i] = this.vals[c]!;
      i = c;
    }
    this.keys[i] = key;
    this.vals[i] = val;
    return top;
  }
}

/** Fills the pixels where `mask` is set, in place. */
export function teleaInpaintPlane(plane: Uint8Array, width: number, height: number, mask: Uint8Array, radius: number): void {
  const n = width * height;
  const flag = new Uint8Array(n);
  const T = new Float64Array(n);
  const heap = new PixelHeap();
  let any = false;
  for (let i = 0; i < n; i++) {
    if (mask[i]) {
      flag[i] = INSIDE;
      T[i] = FAR;
      any = true;
    }
  }
  if (!any) return;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (flag[i] !== KNOWN) continue;
      const touches =
        (x > 0 && flag[i - 1] === INSIDE) || (x < width - 1 && flag[i + 1] === INSIDE) ||
        (y > 0 && flag[i - width] === INSIDE) || (y < height - 1 && flag[i + width] === INSIDE);
      if (touches) {
        flag[i] = BAND;
        heap.push(0, i);
      }
    }
  }
  const settled = (i: number) => i >= 0 && flag[i] === KNOWN;
  // Eikonal update from two orthogonal neighbours (Sethian's upwind scheme, as in OpenCV).
  const solve = (a: number, b: number): number => {
    const ka = settled(a), kb = settled(b);
    if (ka && kb) {
      const ta = T[a]!, tb = T[b]!;
      const disc = 2 - (ta - tb) * (ta - tb);
      if (disc >= 0) {
        const r = Math.sqrt(disc);
        let s = (ta + tb - r) / 2;
        if (s >= ta && s >= tb) return s;
        s += r;
        if (s >= ta && s >= tb) return s;
      }
      return 1 + Math.min(ta, tb);
    }
    if (ka) return 1 + T[a]!;
    if (kb) return 1 + T[b]!;
    return FAR;
  };
  const r2 = radius * radius;
  while (heap.size > 0) {
    const p = heap.pop();
    if (flag[p] === KNOWN) continue;
    flag[p] = KNOWN;
    const px = p % width, py = (p - px) / width;
    for (const [nx, ny] of [[px - 1, py], [px + 1, py], [px, py - 1], [px, py + 1]] as const) {
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const q = ny * width + nx;
      if (flag[q] !== INSIDE) continue;
      const left = nx > 0 ? q - 1 : -1;
      const right = nx < width - 1 ? q + 1 : -1;
      const up = ny > 0 ? q - width : -1;
      const down = ny < height - 1 ? q + width : -1;
      const t = Math.min(solve(up, left), solve(down, left), solve(up, right), solve(down, right));
      T[q] = t;
      // Distance gradient by whichever neighbours are settled (central where both are).
      const gx = settled(left) && settled(right) ? (T[right]! - T[left]!) / 2 : settled(right) ? T[right]! - t : settled(left) ? t - T[left]! : 0;
      const gy = settled(up) && settled(down) ? (T[down]! - T[up]!) / 2 : settled(down) ? T[down]! - t : settled(up) ? t - T[up]! : 0;
      let sw = 0, sv = 0;
      const y0 = Math.max(0, ny - radius), y1 = Math.min(height - 1, ny + radius);
      const x0 = Math.max(0, nx - radius), x1 = Math.min(width - 1, nx + radius);
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0; xx <= x1; xx++) {
          const k = yy * width + xx;
          if (flag[k] === INSIDE) continue;
          const dx = nx - xx, dy = ny - yy;
          const d2 = dx * dx + dy * dy;
          if (d2 === 0 || d2 > r2) continue;
          let dir = Math.abs(dx * gx + dy * gy) / Math.sqrt(d2);
          if (dir <= 0.01) dir = 1e-6;
          const w = (dir / (d2 * Math.sqrt(d2))) / (1 + Math.abs(T[k]! - t));
          sw += w;
          sv += w * plane[k]!;
        }
      }
      if (sw > 0) plane[q] = Math.round(sv / sw);
      flag[q] = BAND;
      heap.push(t, q);
    }
  }
}

/** Inpaints a yuv420p frame under a luma-resolution mask; a chroma sample is filled if any of its 2x2 pixels is. */
export function teleaInpaintFrame(frame: Uint8Array, width: number, height: number, mask: Uint8Array, radius = 5): Buffer {
  const L = yuv420pLayout(width, height);
  const out = Buffer.from(frame);
  teleaInpaintPlane(out.subarray(0, L.ySize), width, height, mask, radius);
  const cmask = new Uint8Array(L.cSize);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (mask[y * width + x]) cmask[(y >> 1) * L.cWidth + (x >> 1)] = 1;
  const cr = Math.max(2, Math.ceil(radius / 2));
  teleaInpaintPlane(out.subarray(L.uOffset, L.uOffset + L.cSize), L.cWidth, L.cHeight, cmask, cr);
  teleaInpaintPlane(out.subarray(L.vOffset, L.vOffset + L.cSize), L.cWidth, L.cHeight, cmask, cr);
  return out;
}
