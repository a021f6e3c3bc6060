import { describe, expect, it } from 'vitest';
import { withPlate, type MaskedRect } from '../src/filter/detect/plate.js';

const W = 160, H = 120;

/** Brick-like texture, mid to light (60-200). */
function texture(): Uint8Array {
  const l = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) l[y * W + x] = 130 + 50 * Math.sin(x / 3.1) * Math.cos(y / 2.3) + ((Math.imul(x * 7919 + y, 2654435761) >>> 27) - 16);
  return l;
}

/** A disc of level 30, radius r, centred at (cx, cy), with the region drawn on it (a "word" box of level 220 inside). */
function disc(l: Uint8Array, cx: number, cy: number, r: number): void {
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) l[y * W + x] = 30;
}

/** The region as the net finds it: the word's box, with a word's strokes (a grid of bars) drawn into the picture. */
function word(l: Uint8Array, x0: number, y0: number, w: number, h: number): MaskedRect {
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if ((x - x0) % 4 < 2) l[y * W + x] = 220;
  return { rect: { x: x0, y: y0, width: w, height: h }, mask: new Uint8Array(w * h).fill(1) };
}

/** Pixels of `r` (in frame coordinates) inside the disc, and outside it. */
function count(r: MaskedRect, cx: number, cy: number, radius: number): { inside: number; outside: number } {
  let inside = 0, outside = 0;
  for (let y = 0; y < r.rect.height; y++) {
    for (let x = 0; x < r.rect.width; x++) {
      if (!r.mask[y * r.rect.width + x]) continue;
      const fx = r.rect.x + x, fy = r.rect.y + y;
      if ((fx - cx) ** 2 + (fy - cy) ** 2 <= radius * radius) inside++;
      else outside++;
    }
  }
  return { inside, outside };
}

describe('logo plates', () => {
  it('grows a word found on a disc to the whole disc', () => {
    const l = texture();
    disc(l, 60, 50, 14);
    const found = word(l, 50, 46, 21, 8);
    const plate = withPlate(found, l, W, H);
    expect(plate).toBeDefined();
    const { inside, outside } = count(plate!, 60, 50, 14);
    // The disc holds ~615 pixels; the word's box 168.
    expect(inside).toBeGreaterThan(0.9 * Math.PI * 14 * 14);
    expect(outside).toBeLessThan(20);
  });

  it('keeps dark scene that touches the disc out of it (a lamp bracket)', () => {
    const l = texture();
    disc(l, 60, 50, 14);
    // A dark bar (a bracket, 3 px thick) from the disc to a dark pole at the left.
    for (let y = 49; y < 52; y++) for (let x = 20; x < 48; x++) l[y * W + x] = 36;
    for (let y = 0; y < H; y++) for (let x = 14; x < 22; x++) l[y * W + x] = 34;
    const found = word(l, 50, 46, 21, 8);
    const plate = withPlate(found, l, W, H);
    expect(plate).toBeDefined();
    const { inside, outside } = count(plate!, 60, 50, 14);
    expect(inside).toBeGreaterThan(0.9 * Math.PI * 14 * 14);
    expect(plate!.rect.x).toBeGreaterThanOrEqual(44);
    expect(outside).toBeLessThan(30);
  });

  it('does not grow a word over flat scene that runs on (a sky)', () => {
    const l = texture();
    for (let y = 0; y < 70; y++) l.fill(30, y * W, (y + 1) * W);
    const found = word(l, 50, 30, 21, 8);
    expect(withPlate(found, l, W, H)).toBeUndefined();
  });

  it('does not take flat scene in a corner of the frame (a blown-out sky)', () => {
    const l = texture();
    // White from the top right corner down to a line of texture: flat, bounded, but running into the frame's sides.
    for (let y = 0; y < 24; y++) l.fill(235, y * W + 124, (y + 1) * W);
    const found = word(l, 136, 8, 14, 8);
    expect(withPlate(found, l, W, H)).toBeUndefined();
  });

  it('does not grow a word over textured scene', () => {
    const l = texture();
    const found = word(l, 50, 46, 21, 8);
    expect(withPlate(found, l, W, H)).toBeUndefined();
  });

  it('does not take a flat patch whose edge is a gentle slope', () => {
    const l = texture();
    // A dark patch fading out over many levels: no clear edge where the flat level ends.
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const d = Math.hypot(x - 60, y - 50);
        if (d < 30) l[y * W + x] = d <= 14 ? 30 : 30 + (d - 14) * 1.5;
      }
    }
    const found = word(l, 50, 46, 21, 8);
    expect(withPlate(found, l, W, H)).toBeUndefined();
  });
});
