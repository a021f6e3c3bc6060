import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { Rect } from '../core/frame.js';
import type { Rng } from './rng.js';
import { HEADLINES, latinFonts } from './assets.js';
import { drawSprite, drawnLogo, finishSprite, iconLogo, type Sprite } from './sprites.js';
import { chooseLines, chooseLook, renderCue, scheduleCues, type Cue, type SubtitleLook } from './subtitles.js';

/** What to put on a clip. Every field left out is drawn from the clip's seed. */
export type OverlaySpec =
  | {
      readonly kind: 'logo';
      readonly graphic?: 'drawn' | 'icon';
      /** Overall opacity, 0.3-1 (1 = opaque bug). */
      readonly opacity?: number;
      /** Logo width as a fraction of frame width, 0.03-0.15. */
      readonly widthFrac?: number;
      readonly placement?: 'corner' | 'anywhere';
    }
  | { readonly kind: 'subtitles'; readonly look?: Partial<SubtitleLook> }
  | {
      readonly kind: 'dynamic-logo';
      readonly motion?: 'blink' | 'fade' | 'pulse' | 'move';
      readonly graphic?: 'drawn' | 'icon';
      readonly opacity?: number;
      readonly widthFrac?: number;
    }
  | { readonly kind: 'ticker'; readonly opacity?: number };

export type LayerKind = OverlaySpec['kind'];

export interface Layer {
  readonly kind: LayerKind;
  /** Everything chosen for this layer, recorded in truth.json so a clip explains itself. */
  readonly params: Record<string, unknown>;
  /** Draws frame `f`'s state; returns the frame pixels it may touch, or null when not visible. */
  draw(ctx: SKRSContext2D, f: number): Rect | null;
}

export interface ClipGeometry {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly frames: number;
}

export async function buildLayer(spec: OverlaySpec, g: ClipGeometry, rng: Rng): Promise<Layer> {
  switch (spec.kind) {
    case 'logo':
      return staticLogo(spec, g, rng);
    case 'subtitles':
      return subtitles(spec, g, rng);
    case 'dynamic-logo':
      return dynamicLogo(spec, g, rng);
    case 'ticker':
      return ticker(spec, g, rng);
  }
}

/** A random mix for training data: usually a logo, often subtitles, sometimes something moving. */
export function randomOverlaySpecs(rng: Rng): OverlaySpec[] {
  const specs: OverlaySpec[] = [];
  if (rng.chance(0.7)) specs.push({ kind: 'logo' });
  if (rng.chance(0.6)) specs.push({ kind: 'subtitles' });
  if (rng.chance(0.3)) specs.push({ kind: 'dynamic-logo' });
  if (rng.chance(0.15)) specs.push({ kind: 'ticker' });
  if (specs.length === 0) specs.push({ kind: 'logo' });
  return specs;
}

async function logoSprite(rng: Rng, graphic: 'drawn' | 'icon' | undefined, widthFrac: number, frameW: number): Promise<Sprite> {
  const g = graphic ?? (rng.chance(0.4) ? 'icon' : 'drawn');
  return g === 'icon' ? iconLogo(rng, widthFrac * frameW) : drawnLogo(rng, widthFrac * frameW);
}

function placeLogo(rng: Rng, s: Sprite, g: ClipGeometry, placement: 'corner' | 'anywhere'): { x: number; y: number } {
  const w = s.canvas.width;
  const h = s.canvas.height;
  if (placement === 'anywhere') return { x: rng.int(0, g.width - w), y: rng.int(0, g.height - h) };
  const mx = Math.round(g.width * rng.range(0.02, 0.06));
  const my = Math.round(g.height * rng.range(0.03, 0.07));
  const right = rng.chance(0.5);
  const bottom = rng.chance(0.3);
  return { x: right ? g.width - w - mx : mx, y: bottom ? g.height - h - my : my };
}

async function staticLogo(spec: Extract<OverlaySpec, { kind: 'logo' }>, g: ClipGeometry, rng: Rng): Promise<Layer> {
  const opacity = spec.opacity ?? (rng.chance(0.5) ? 1 : rng.range(0.3, 0.9));
  const widthFrac = spec.widthFrac ?? rng.range(0.03, 0.15);
  const sprite = await logoSprite(rng, spec.graphic, widthFrac, g.width);
  const placement = spec.placement ?? (rng.chance(0.75) ? 'corner' : 'anywhere');
  const { x, y } = placeLogo(rng, sprite, g, placement);
  return {
    kind: 'logo',
    params: { ...sprite.description, opacity, widthFrac, placement, x, y },
    draw: (ctx) => drawSprite(ctx, sprite, x, y, opacity, g.width, g.height),
  };
}

async function subtitles(spec: Extract<OverlaySpec, { kind: 'subtitles' }>, g: ClipGeometry, rng: Rng): Promise<Layer> {
  const look = chooseLook(rng, g.height, spec.look ?? {});
  const margin = Math.round(g.height * rng.range(0.03, 0.07));
  const cues: Cue[] = scheduleCues(rng, g.frames, g.fps).map((t) => ({ ...t, lines: chooseLines(rng, look.script) }));
  const sprites = cues.map((c) => renderCue(c.lines, look, g.width));
  return {
    kind: 'subtitles',
    params: { look, margin, cues },
    draw: (ctx, f) => {
      const i = cues.findIndex((c) => f >= c.start && f < c.end);
      if (i < 0) return null;
      const s = sprites[i]!;
      const y = look.position === 'top' ? margin : g.height - margin - s.canvas.height;
      return drawSprite(ctx, s, 0, y, 1, g.width, g.height);
    },
  };
}

/** Opacity over time for the dynamic-logo kinds that do not move. */
function envelope(motion: 'blink' | 'fade' | 'pulse', rng: Rng, fps: number): (f: number) => number {
  if (motion === 'blink') {
    const on = Math.round(rng.range(0.5, 1.5) * fps);
    const off = Math.round(rng.range(0.3, 1.0) * fps);
    const phase = rng.int(0, on + off - 1);
    return (f) => ((f + phase) % (on + off) < on ? 1 : 0);
  }
  if (motion === 'fade') {
    const ramp = rng.range(0.4, 1.0) * fps;
    const hold = rng.range(1.0, 2.0) * fps;
    const rest = rng.range(0.5, 1.2) * fps;
    const period = 2 * ramp + hold + rest;
    const phase = rng.range(0, period);
    return (f) => {
      const t = (f + phase) % period;
      if (t < ramp) return t / ramp;
      if (t < ramp + hold) return 1;
      if (t < 2 * ramp + hold) return 1 - (t - ramp - hold) / ramp;
      return 0;
    };
  }
  const period = rng.range(1.0, 2.5) * fps;
  return (f) => 0.65 + 0.35 * Math.sin((2 * Math.PI * f) / period);
}

async function dynamicLogo(spec: Extract<OverlaySpec, { kind: 'dynamic-logo' }>, g: ClipGeometry, rng: Rng): Promise<Layer> {
  const motion = spec.motion ?? rng.pick(['blink', 'fade', 'pulse', 'move'] as const);
  const opacity = spec.opacity ?? rng.range(0.5, 1);
  const widthFrac = spec.widthFrac ?? rng.range(0.05, 0.12);
  const sprite = await logoSprite(rng, spec.graphic, widthFrac, g.width);
  const start = placeLogo(rng, sprite, g, 'corner');
  const params = { ...sprite.description, motion, opacity, widthFrac, x: start.x, y: start.y };
  if (motion === 'move') {
    // Sub-pixel drift, 0.1-0.5 px per frame: a bug sliding slowly along an edge.
    const speed = rng.range(0.1, 0.5);
    const angle = rng.range(0, 2 * Math.PI);
    const vx = speed * Math.cos(angle);
    const vy = speed * Math.sin(angle);
    const maxX = g.width - sprite.canvas.width;
    const maxY = g.height - sprite.canvas.height;
    const bounce = (p: number, max: number) => {
      const period = 2 * Math.max(1, max);
      const m = ((p % period) + period) % period;
      return m <= max ? m : period - m;
    };
    return {
      kind: 'dynamic-logo',
      params: { ...params, vx, vy },
      draw: (ctx, f) => drawSprite(ctx, sprite, bounce(start.x + vx * f, maxX), bounce(start.y + vy * f, maxY), opacity, g.width, g.height),
    };
  }
  const env = envelope(motion, rng, g.fps);
  return {
    kind: 'dynamic-logo',
    params,
    draw: (ctx, f) => drawSprite(ctx, sprite, start.x, start.y, opacity * env(f), g.width, g.height),
  };
}

async function ticker(spec: Extract<OverlaySpec, { kind: 'ticker' }>, g: ClipGeometry, rng: Rng): Promise<Layer> {
  const barH = Math.max(10, Math.round(g.height * rng.range(0.06, 0.09)));
  const barY = g.height - barH - (rng.chance(0.5) ? 0 : Math.round(g.height * 0.03));
  const barColour = rng.pick(['#102a6b', '#8b0f0f', '#1b1b1b', '#0b5d3b']);
  const barAlpha = spec.opacity ?? (rng.chance(0.5) ? 1 : rng.range(0.6, 0.9));
  const speed = rng.range(1, 2.5);
  const font = rng.pick(latinFonts());
  const size = Math.round(barH * 0.62);
  const text = HEADLINES.join('   \u2022   ');
  const probe = createCanvas(8, 8).getContext('2d');
  probe.font = `bold ${size}px "${font}"`;
  // measureText can disagree with what fallback glyphs really cover, so the repeat period comes
  // from the drawn ink (finishSprite) plus a gap, never from the measurement.
  const strip = createCanvas(Math.ceil(probe.measureText(text).width * 1.2) + size, barH);
  const sctx = strip.getContext('2d');
  sctx.font = `bold ${size}px "${font}"`;
  sctx.fillStyle = '#ffffff';
  sctx.textBaseline = 'middle';
  sctx.fillText(text, 0, barH / 2);
  const sprite = finishSprite(strip, { text: 'headlines', font, sizePx: size });
  const textW = sprite.x1 + 2 * size;
  const rect: Rect = { x: 0, y: barY, width: g.width, height: barH };
  return {
    kind: 'ticker',
    params: { barY, barH, barColour, barAlpha, speed, font },
    draw: (ctx, f) => {
      ctx.globalAlpha = barAlpha;
      ctx.fillStyle = barColour;
      ctx.fillRect(0, barY, g.width, barH);
      ctx.globalAlpha = 1;
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, barY, g.width, barH);
      ctx.clip();
      // The text loops: the strip starts off-frame right and repeats once it has fully passed.
      let x = g.width - ((speed * f) % textW);
      while (x > 0) x -= textW;
      for (; x < g.width; x += textW) drawSprite(ctx, sprite, x, barY, 1, g.width, g.height);
      ctx.restore();
      return rect;
    },
  };
}
