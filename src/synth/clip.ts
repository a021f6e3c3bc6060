import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Rect } from '../core/frame.js';
import { decodeYuv, encodeYuv } from './ffmpeg-io.js';
import type { LayerKind } from './layers.js';

/**
 * On-disk form of a synthetic clip (format documented in src/synth/README.md). Video goes in
 * FFV1 so that ffmpeg, `clearcast process` and the benchmark all read the same bits back.
 */

export const CLIP_FORMAT = 'clearcast-synth/1';
/** Pixels with alpha at or above this (of 255) count as overlay: below it the blend moves a pixel by under 2 levels. */
export const MASK_ALPHA_MIN = 3;

export const CLIP_FILES = {
  input: 'input.mkv',
  clean: 'clean.mkv',
  overlay: 'overlay.mkv',
  alpha: 'alpha.u8.gz',
  truth: 'truth.json',
} as const;

export interface LayerRect {
  readonly layer: number;
  readonly kind: LayerKind;
  readonly rect: Rect;
}

/** What identifies and sizes a clip, shared by its spec and its record. */
export interface ClipHeader {
  readonly id: string;
  readonly seed: number;
  /** Even sizes: yuv420p chroma then lines up with luma exactly. */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly frames: number;
}

export interface ClipTruth extends ClipHeader {
  readonly format: typeof CLIP_FORMAT;
  readonly maskAlphaMin: number;
  readonly source: Record<string, unknown>;
  readonly layers: readonly { kind: LayerKind; params: Record<string, unknown> }[];
  /** Per frame, the box each visible layer may touch (what delogo and manual regions are given). */
  readonly rects: readonly (readonly LayerRect[])[];
}

export interface ClipData {
  readonly truth: ClipTruth;
  readonly input: Buffer[];
  readonly clean: Buffer[];
  readonly overlay: Buffer[];
  /** Luma-resolution alpha per frame, 0..255. */
  readonly alpha: Uint8Array[];
}

export async function writeClip(dir: string, clip: ClipData): Promise<void> {
  const { width, height, fps } = clip.truth;
  await mkdir(dir, { recursive: true });
  await Promise.all<unknown>([
    encodeYuv(join(dir, CLIP_FILES.input), width, height, fps, clip.input),
    encodeYuv(join(dir, CLIP_FILES.clean), width, height, fps, clip.clean),
    encodeYuv(join(dir, CLIP_FILES.overlay), width, height, fps, clip.overlay),
    writeFile(join(dir, CLIP_FILES.alpha), gzipSync(Buffer.concat(clip.alpha), { level: 6 })),
    writeFile(join(dir, CLIP_FILES.truth), JSON.stringify(clip.truth)),
  ]);
}

export async function readTruth(dir: string): Promise<ClipTruth> {
  const truth = JSON.parse(await readFile(join(dir, CLIP_FILES.truth), 'utf8')) as ClipTruth;
  if (truth.format !== CLIP_FORMAT) throw new Error(`${dir}: unknown clip format ${String(truth.format)}`);
  return truth;
}

export async function readAlpha(dir: string, truth: ClipTruth): Promise<Uint8Array[]> {
  const raw = gunzipSync(await readFile(join(dir, CLIP_FILES.alpha)));
  const size = truth.width * truth.height;
  if (raw.length !== size * truth.frames) throw new Error(`${dir}: alpha holds ${raw.length} bytes, expected ${size * truth.frames}`);
  return Array.from({ length: truth.frames }, (_, f) => new Uint8Array(raw.buffer, raw.byteOffset + f * size, size));
}

/** Decodes one of the clip's videos (input, clean, overlay, or a method's output of the same size). */
export function readVideo(path: string, truth: ClipTruth): Promise<Buffer[]> {
  return decodeYuv(path, { width: truth.width, height: truth.height, exactSize: true });
}

export async function readClip(dir: string): Promise<ClipData> {
  const truth = await readTruth(dir);
  const [input, clean, overlay, alpha] = await Promise.all([
    readVideo(join(dir, CLIP_FILES.input), truth),
    readVideo(join(dir, CLIP_FILES.clean), truth),
    readVideo(join(dir, CLIP_FILES.overlay), truth),
    readAlpha(dir, truth),
  ]);
  return { truth, input, clean, overlay, alpha };
}

/** The true overlay mask of one frame: alpha >= MASK_ALPHA_MIN. */
export function trueMask(alpha: Uint8Array, threshold = MASK_ALPHA_MIN): Uint8Array {
  const m = new Uint8Array(alpha.length);
  for (let i = 0; i < alpha.length; i++) m[i] = alpha[i]! >= threshold ? 1 : 0;
  return m;
}
