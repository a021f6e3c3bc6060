import { createCanvas } from '@napi-rs/canvas';
import type { Rng } from './rng.js';
import { CJK_LINES, LATIN_LINES, cjkFonts, latinFonts } from './assets.js';
import { finishSprite, type Sprite } from './sprites.js';

/** Real captions stay 1.5-4 s and leave gaps between them; the detector must cope with both. */
export const CUE_MIN_S = 1.5;
export const CUE_MAX_S = 4;
export const GAP_MIN_S = 0.12;
export const GAP_MAX_S = 1.0;

export interface Cue {
  /** First frame shown. */
  readonly start: number;
  /** First frame no longer shown. */
  readonly end: number;
  readonly lines: readonly string[];
}

/** Cue timings for a clip; the last cue may run past the clip's end (it is simply cut). */
export function scheduleCues(rng: Rng, frames: number, fps: number): { start: number; end: number }[] {
  const cues: { start: number; end: number }[] = [];
  let t = Math.round(rng.range(0, 0.6) * fps);
  while (t < frames) {
    const len = Math.round(rng.range(CUE_MIN_S, CUE_MAX_S) * fps);
    cues.push({ start: t, end: t + len });
    t += len + Math.max(1, Math.round(rng.range(GAP_MIN_S, GAP_MAX_S) * fps));
  }
  return cues;
}

export type SubtitleStyle = 'outline' | 'shadow' | 'box';

export interface SubtitleLook {
  readonly script: 'latin' | 'cjk';
  readonly font: string;
  readonly sizePx: number;
  readonly colour: string;
  readonly style: SubtitleStyle;
  readonly position: 'bottom' | 'top';
}

export function chooseLook(rng: Rng, frameH: number, want: Partial<SubtitleLook>): SubtitleLook {
  const cjk = cjkFonts();
  const script = want.script === 'cjk' && cjk.length === 0 ? 'latin' : (want.script ?? (cjk.length && rng.chance(0.3) ? 'cjk' : 'latin'));
  return {
    script,
    font: want.font ?? rng.pick(script === 'cjk' ? cjk : latinFonts()),
    sizePx: want.sizePx ?? Math.round(frameH * rng.range(0.05, 0.075)),
    colour: want.colour ?? (rng.chance(0.7) ? '#ffffff' : '#ffe14a'),
    style: want.style ?? rng.pick(['outline', 'shadow', 'box'] as const),
    position: want.position ?? (rng.chance(0.2) ? 'top' : 'bottom'),
  };
}

export function chooseLines(rng: Rng, script: 'latin' | 'cjk'): string[] {
  const pool = script === 'cjk' ? CJK_LINES : LATIN_LINES;
  const first = rng.pick(pool);
  if (!rng.chance(0.4)) return [first];
  let second = rng.pick(pool);
  if (second === first) second = pool[(pool.indexOf(first) + 1) % pool.length]!;
  return [first, second];
}

/** One cue's picture, as wide as the frame, lines centred; the caller places it vertically. */
export function renderCue(lines: readonly string[], look: SubtitleLook, frameW: number): Sprite {
  let size = look.sizePx;
  const probe = createCanvas(8, 8).getContext('2d');
  const fontFor = (px: number) => `${px}px "${look.font}"`;
  probe.font = fontFor(size);
  const widest = Math.max(...lines.map((l) => probe.measureText(l).width));
  if (widest > frameW * 0.9) size = Math.floor((size * frameW * 0.9) / widest);
  const lineH = Math.ceil(size * 1.3);
  const pad = Math.ceil(size * 0.35);
  const canvas = createCanvas(frameW, lineH * lines.length + 2 * pad);
  const ctx = canvas.getContext('2d');
  ctx.font = fontFor(size);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const cx = frameW / 2;
  if (look.style === 'box') {
    const w = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 2 * pad;
    ctx.fillStyle = 'rgba(0,0,0,0.75)';
    ctx.fillRect(Math.round(cx - w / 2), 0, Math.round(w), canvas.height);
  }
  lines.forEach((line, i) => {
    const y = pad + lineH * (i + 0.5);
    if (look.style === 'outline') {
      ctx.lineJoin = 'round';
      ctx.lineWidth = Math.max(2, size * 0.14);
      ctx.strokeStyle = '#000000';
      ctx.strokeText(line, cx, y);
    } else if (look.style === 'shadow') {
      ctx.shadowColor = 'rgba(0,0,0,0.85)';
      ctx.shadowBlur = Math.max(1, size * 0.08);
      ctx.shadowOffsetX = Math.max(1, Math.round(size * 0.07));
      ctx.shadowOffsetY = Math.max(1, Math.round(size * 0.07));
    }
    ctx.fillStyle = look.colour;
    ctx.fillText(line, cx, y);
    ctx.shadowColor = 'rgba(0,0,0,0)';
  });
  return finishSprite(canvas, { lines, ...look, sizePx: size });
}
