/**
 * Frame indices drawn into the picture (16 cells of 32x32 luma, top left) and read back after a
 * lossy path: the latency benchmarks match each received frame to when it was sent.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { yuv420pLayout } from '../src/core/frame.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import type { StreamPipeline, StreamStats } from '../src/stream/pipeline.js';

const BITS = 16;
const CELL = 32; // survives x264 at any sane bitrate

function writeBarcode(y: Buffer, width: number, index: number): void {
  for (let b = 0; b < BITS; b++) {
    const v = (index >> b) & 1 ? 235 : 16;
    for (let row = 0; row < CELL; row++) y.fill(v, row * width + b * CELL, row * width + (b + 1) * CELL);
  }
}

export function readBarcode(y: Buffer, width: number): number {
  let index = 0;
  for (let b = 0; b < BITS; b++) {
    const centre = (CELL / 2) * width + b * CELL + CELL / 2;
    if (y[centre]! > 128) index |= 1 << b;
  }
  return index;
}

/** A yuv420p frame: a moving gradient (so the encoder has real work) under the barcode of `index`. */
export function barcodeFrame(frameSize: number, width: number, height: number, index: number): Buffer {
  const frame = Buffer.alloc(frameSize, 128);
  for (let row = CELL; row < height; row += 1) frame.fill((row + index * 4) & 0xff, row * width, (row + 1) * width);
  writeBarcode(frame, width, index);
  return frame;
}

export { percentile } from '../src/core/stats.js';

export const r1 = (v: number): number => Math.round(v * 10) / 10;

export interface PacedRun {
  /** performance.now() when each frame index was handed to the publisher. */
  readonly sent: Map<number, number>;
  /** The stream's stats at the end (undefined if it never started). */
  readonly stats: StreamStats | undefined;
}

/**
 * Feeds `seconds` of barcode frames to a publisher's encoder paced like a camera (frame i at
 * t0 + i/fps), and resets the stream's latency stats after the warm-up so they cover the same
 * frames as the barcode figures.
 */
export async function sendPaced(
  o: { seconds: number; width: number; height: number; fps: number }, warmupS: number,
  write: (frame: Buffer) => void, stream: () => StreamPipeline | undefined,
): Promise<PacedRun> {
  const layout = yuv420pLayout(o.width, o.height);
  const total = Math.round(o.seconds * o.fps);
  const sent = new Map<number, number>();
  const t0 = performance.now();
  let stats: StreamStats | undefined;
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / o.fps - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const frame = barcodeFrame(layout.frameSize, o.width, o.height, i);
    sent.set(i, performance.now());
    write(frame);
    if (i === warmupS * o.fps) stream()?.resetLatencyStats();
    if (i % o.fps === 0) stats = stream()?.stats() ?? stats;
  }
  return { sent, stats: stream()?.stats() ?? stats };
}

/** The options every barcode latency bench takes: how long, what picture, where the JSON goes. */
export function latencyBenchCommand(name: string, defaultSeconds: number, jsonFile: string): Command {
  return new Command(name)
    .option('--seconds <n>', 'seconds sent per run; the first 2 s (warm-up) are not measured', Number, defaultSeconds)
    .option('--width <n>', 'frame width', Number, 1280)
    .option('--height <n>', 'frame height', Number, 720)
    .option('--fps <n>', 'frame rate', Number, 30)
    .option('--json <file>', 'write results as JSON', join(PROJECT_ROOT, 'bench', 'out', jsonFile));
}
