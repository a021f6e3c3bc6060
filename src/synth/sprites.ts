import { createCanvas, loadImage, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { Rect } from '../core/frame.js';
import type { Rng } from './rng.js';
import { LOGO_WORDS, iconPaths, latinFonts } from './assets.js';

/** A pre-rendered overlay element and the tight box of its non-transparent pixels. */
export interface Sprite {
  readonly canvas: Canvas;
  /** Tight bounds of alpha > 0 within the canvas, exclusive right/bottom. */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** What was drawn, for truth.json. */
  readonly description: Record<string, unknown>;
}

export function finishSprite(canvas: Canvas, description: Record<string, unknown>): Sprite {
  const { width, height } = canvas;
  const a = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (a[(y * width + x) * 4 + 3] === 0) continue;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y >= y1) y1 = y + 1;
    }
  }
  if (x1 === 0) throw new Error(`sprite ${JSON.stringify(description)} drew nothing`);
  return { canvas, x0, y0, x1, y1, description };
}

/**
 * Draws a sprite at a (possibly fractional) position and returns the frame pixels it can touch,
 * clipped to the frame; null when it is invisible or off-frame. Fractional positions are what make
 * slow motion smooth: the canvas resamples bilinearly.
 */
export function drawSprite(ctx: SKRSContext2D, s: Sprite, x: number, y: number, alpha: number, frameW: number, frameH: number): Rect | null {
  if (alpha <= 0) return null;
  const fx = Number.isInteger(x) ? 0 : 1;
  const fy = Number.isInteger(y) ? 0 : 1;
  const x0 = Math.max(0, Math.floor(x + s.x0));
  const y0 = Math.max(0, Math.floor(y + s.y0));
  const x1 = Math.min(frameW, Math.floor(x + s.x1) + fx);
  const y1 = Math.min(frameH, Math.floor(y + s.y1) + fy);
  if (x1 <= x0 || y1 <= y0) return null;
  ctx.globalAlpha = Math.min(1, alpha);
  ctx.drawImage(s.canvas, x, y);
  ctx.globalAlpha = 1;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

const LOGO_COLOURS = ['#ffffff', '#e21b1b', '#1f5fd1', '#f2c12e', '#19a15f', '#111111', '#8e2de2', '#ff7a00'];

function polygon(ctx: SKRSContext2D, cx: number, cy: number, r: number, sides: number): void {
  ctx.beginPath();
  for (let i = 0; i < sides; i++) {
    const t = (i / sides) * 2 * Math.PI - Math.PI / 2;
    ctx.lineTo(cx + r * Math.cos(t), cy + r * Math.sin(t));
  }
  ctx.closePath();
}

/** A channel-bug-like graphic: a shape, a short word, or both. */
export function drawnLogo(rng: Rng, width: number): Sprite {
  const w = Math.max(8, Math.round(width));
  const h = Math.max(6, Math.round(w * rng.range(0.45, 1)));
  const pad = 2;
  const canvas = createCanvas(w + 2 * pad, h + 2 * pad);
  const ctx = canvas.getContext('2d');
  ctx.translate(pad, pad);
  const shape = rng.pick(['circle', 'roundrect', 'hexagon', 'ring', 'none'] as const);
  const fill = rng.pick(LOGO_COLOURS);
  let ink = rng.pick(LOGO_COLOURS.filter((c) => c !== fill));
  ctx.fillStyle = fill;
  ctx.strokeStyle = fill;
  const r = Math.min(w, h) / 2;
  if (shape === 'circle') {
    ctx.beginPath();
    ctx.ellipse(w / 2, h / 2, w / 2, h / 2, 0, 0, 2 * Math.PI);
    ctx.fill();
  } else if (shape === 'roundrect') {
    ctx.beginPath();
    ctx.roundRect(0, 0, w, h, r * rng.range(0.1, 0.6));
    ctx.fill();
  } else if (shape === 'hexagon') {
    polygon(ctx, w / 2, h / 2, r, 6);
    ctx.fill();
  } else if (shape === 'ring') {
    ctx.lineWidth = Math.max(1.5, r * 0.18);
    ctx.beginPath();
    ctx.ellipse(w / 2, h / 2, w / 2 - ctx.lineWidth / 2, h / 2 - ctx.lineWidth / 2, 0, 0, 2 * Math.PI);
    ctx.stroke();
    ink = fill;
  } else {
    ink = fill;
  }
  const word = rng.pick(LOGO_WORDS);
  const family = rng.pick(latinFonts());
  let size = h * 0.6;
  ctx.font = `bold ${size}px "${family}"`;
  const maxTextW = shape === 'none' ? w : w * 0.78;
  const measured = ctx.measureText(word).width;
  if (measured > maxTextW) {
    size *= maxTextW / measured;
    ctx.font = `bold ${size}px "${family}"`;
  }
  ctx.fillStyle = ink;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  if (shape === 'none') {
    ctx.lineWidth = Math.max(1, size * 0.08);
    ctx.strokeStyle = ink === '#111111' ? '#ffffff' : '#111111';
    ctx.strokeText(word, w / 2, h / 2);
  }
  ctx.fillText(word, w / 2, h / 2);
  return finishSprite(canvas, { graphic: 'drawn', shape, fill, ink, word, font: family });
}

/** A real icon from the installed theme; falls back to a drawn logo where no theme exists. */
export async function iconLogo(rng: Rng, width: number): Promise<Sprite> {
  const icons = iconPaths();
  if (icons.length === 0) return drawnLogo(rng, width);
  const path = rng.pick(icons);
  const img = await loadImage(path);
  const w = Math.max(8, Math.round(width));
  const h = Math.max(8, Math.round((w * img.height) / Math.max(1, img.width)));
  const canvas = createCanvas(w + 2, h + 2);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, 1, 1, w, h);
  return finishSprite(canvas, { graphic: 'icon', icon: path });
}
