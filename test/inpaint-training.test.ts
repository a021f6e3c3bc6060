import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { readModelInfo } from '../src/filter/inpaint/index.js';
import { OnnxWorkerSession } from '../src/ml/onnx-session.js';
import { findMedia } from '../src/synth/media.js';
import { writeShards } from '../src/training/synth-train.js';

/**
 * The training smoke test: the real pipeline end to end on tiny data. The synthesiser writes
 * training clips, Debian's PyTorch trains a couple of steps (stage 1, then resumed into stage 2),
 * the checkpoint is exported to ONNX, and onnxruntime-node (in its worker) must reproduce
 * PyTorch's outputs.
 */
const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const MEDIA = join(import.meta.dirname, 'fixtures', 'media');
const tmp = mkdtempSync(join(tmpdir(), 'clearcast-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Parity tolerances: the fill is in byte levels (0..255), the overlay a probability. */
const FILL_TOLERANCE = 0.01;
const OVERLAY_TOLERANCE = 1e-4;

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const py = (script: string, args: string[]) => run(PYTHON, [join(PROJECT_ROOT, 'training', script), ...args], { timeout: 150_000, maxBuffer: 16 << 20 });

describe('inpainting model training pipeline (smoke)', () => {
  it('trains on synthesised clips, resumes, exports ONNX, and onnxruntime-node matches PyTorch', async () => {
    const media = findMedia(MEDIA);
    expect(media).toBeDefined();
    const data = join(tmp, 'data');
    const ids = await writeShards({ out: data, count: 3, width: 192, height: 128, frames: 18, seed: 9, media: media!, holdout: new Set() });
    expect(ids).toHaveLength(3);

    const out = join(tmp, 'run');
    const common = ['--data', data, '--out', out, '--val-clips', '1', '--val-items', '2', '--eval-every', '1000', '--log-every', '1', '--budget-min', '30'];
    await py('train.py', [...common, '--max-steps', '1', '--stage1-frac', '1']);
    await py('train.py', [...common, '--max-steps', '2', '--stage1-frac', '0']);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    const starts = log.filter((r) => r.event === 'start');
    expect(starts.map((r) => r.step)).toEqual([0, 1]);
    expect(log.filter((r) => r.event === 'train').map((r) => [r.step, r.stage])).toEqual([[1, 1], [2, 2]]);
    const end = log.filter((r) => r.event === 'end').at(-1)!;
    expect(end.step).toBe(2);
    expect(Number(end.psnr_model_true_mask)).toBeGreaterThan(Number(end.psnr_input));

    const onnx = join(tmp, 'smoke.onnx');
    const parity = join(tmp, 'parity');
    await py('export.py', ['--ckpt', join(out, 'ckpt', 'last.pt'), '--out', onnx, '--parity', parity]);
    const info = readModelInfo(onnx);
    expect(info.trainingSteps).toBe(2);

    const shapes = JSON.parse(readFileSync(join(parity, 'parity.json'), 'utf8')) as Record<string, number[]>;
    expect(shapes.frames).toEqual([2, info.refAges.length, 3, info.cropHeight, info.cropWidth]);
    const session = await OnnxWorkerSession.open({ modelPath: onnx, executionProvider: 'cpu', threads: 1, maxInFlight: 1 });
    try {
      const outputs = await session.run({
        frames: { data: readF32(join(parity, 'frames.f32')), dims: shapes.frames! },
        masks: { data: readF32(join(parity, 'masks.f32')), dims: shapes.masks! },
      });
      expect(outputs.fill!.dims).toEqual(shapes.fill);
      expect(maxAbsDiff(outputs.fill!.data, readF32(join(parity, 'fill.f32')))).toBeLessThan(FILL_TOLERANCE);
      expect(maxAbsDiff(outputs.overlay!.data, readF32(join(parity, 'overlay.f32')))).toBeLessThan(OVERLAY_TOLERANCE);
      expect(maxAbsDiff(outputs.base!.data, readF32(join(parity, 'base.f32')))).toBeLessThan(FILL_TOLERANCE);
    } finally {
      await session.close();
    }
  }, 240_000);
});
