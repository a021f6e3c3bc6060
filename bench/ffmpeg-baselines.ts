import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rect } from '../src/core/frame.js';
import { type ClipData, trueMask } from '../src/synth/clip.js';
import { runFfmpeg, writeGrayPng } from '../src/synth/ffmpeg-io.js';

/**
 * ffmpeg's own logo removers, given the ground truth they need. Both are static filters, so a
 * changing overlay becomes a series of instances, each switched on for its frames with `enable`.
 */

/** x264 lossless, as `processFile({ lossless: true })` writes: every method's output is encoded alike. */
export const METHOD_OUTPUT_ARGS: readonly string[] = ['-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-an'];

interface Span<T> {
  readonly start: number;
  /** Inclusive, as ffmpeg's between(). */
  end: number;
  readonly value: T;
}

/** Runs of consecutive frames with an equal value (by key). */
export function runsOf<T>(values: readonly T[], key: (v: T) => string): Span<T>[] {
  const spans: Span<T>[] = [];
  values.forEach((value, f) => {
    const last = spans[spans.length - 1];
    if (last && last.end === f - 1 && key(last.value) === key(value)) last.end = f;
    else spans.push({ start: f, end: f, value });
  });
  return spans;
}

/** delogo refuses rectangles touching the frame edge: keep them 1 px inside. */
export function clampForDelogo(r: Rect, width: number, height: number): Rect | null {
  const x0 = Math.max(1, r.x);
  const y0 = Math.max(1, r.y);
  const x1 = Math.min(width - 1, r.x + r.width);
  const y1 = Math.min(height - 1, r.y + r.height);
  return x1 - x0 >= 1 && y1 - y0 >= 1 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

const enable = (s: Span<unknown>) => `enable='between(n,${s.start},${s.end})'`;

async function runGraph(inputPath: string, outputPath: string, graph: string[], scriptPath: string): Promise<number> {
  await writeFile(scriptPath, graph.length ? graph.join(',\n') : 'null');
  const { wallMs } = await runFfmpeg(['-y', '-i', inputPath, '-filter_script:v', scriptPath, ...METHOD_OUTPUT_ARGS, outputPath]);
  return wallMs;
}

/** delogo over each layer's true box, per run of frames where that box does not change. */
export async function runDelogo(clip: ClipData, inputPath: string, outputPath: string, workDir: string): Promise<number> {
  const { width, height, rects } = clip.truth;
  const graph: string[] = [];
  for (let layer = 0; layer < clip.truth.layers.length; layer++) {
    const perFrame = rects.map((fr) => fr.find((r) => r.layer === layer)?.rect ?? null);
    for (const span of runsOf(perFrame, (r) => JSON.stringify(r))) {
      const r = span.value && clampForDelogo(span.value, width, height);
      if (r) graph.push(`delogo=x=${r.x}:y=${r.y}:w=${r.width}:h=${r.height}:${enable(span)}`);
    }
  }
  return runGraph(inputPath, outputPath, graph, join(workDir, 'delogo.txt'));
}

/** Above this many distinct masks, frames are grouped and given the union of their masks. */
const MAX_REMOVELOGO_MASKS = 48;

/** removelogo with the true mask of each run of frames (unions when the overlay moves continuously). */
export async function runRemovelogo(clip: ClipData, inputPath: string, outputPath: string, workDir: string): Promise<number> {
  const { width, height, frames } = clip.truth;
  const masks = clip.alpha.map((a) => trueMask(a));
  let spans = runsOf(masks, (m) => Buffer.from(m).toString('base64'));
  if (spans.length > MAX_REMOVELOGO_MASKS) {
    const chunk = Math.ceil(frames / MAX_REMOVELOGO_MASKS);
    spans = [];
    for (let start = 0; start < frames; start += chunk) {
      const end = Math.min(frames, start + chunk) - 1;
      const union = new Uint8Array(width * height);
      for (let f = start; f <= end; f++) masks[f]!.forEach((v, i) => (union[i] ||= v));
      spans.push({ start, end, value: union });
    }
  }
  const graph: string[] = [];
  for (const [k, span] of spans.entries()) {
    if (!span.value.some((v) => v)) continue;
    const png = join(workDir, `removelogo-${k}.png`);
    await writeGrayPng(png, width, height, span.value.map((v) => (v ? 255 : 0)));
    graph.push(`removelogo=f=${png}:${enable(span)}`);
  }
  return runGraph(inputPath, outputPath, graph, join(workDir, 'removelogo.txt'));
}
