import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The sidecar JSON that training/export.py writes next to the ONNX file: the model's contract
 * (crop shape, which past frames it reads, tensor names), so the runtime never hard-codes what
 * training chose.
 */
const infoSchema = z.object({
  format: z.literal('clearcast-inpaint/1'),
  inputs: z.tuple([z.literal('frames'), z.literal('masks')]),
  outputs: z.tuple([z.literal('fill'), z.literal('overlay'), z.literal('base')]),
  cropHeight: z.number().int().positive(),
  cropWidth: z.number().int().positive(),
  refAges: z.array(z.number().int().min(0)).min(1).refine((a) => a[0] === 0, 'the first reference must be the current frame (age 0)'),
  params: z.number().int().positive(),
  trainingSteps: z.number().int().nullable().optional(),
  trainingMinutes: z.number().nullable().optional(),
});

export type InpaintModelInfo = z.infer<typeof infoSchema>;

/** models/x.onnx -> models/x.json */
export function sidecarPath(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.json';
}

export function readModelInfo(modelPath: string): InpaintModelInfo {
  const path = sidecarPath(modelPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the model's sidecar ${path}: ${(err as Error).message}`);
  }
  const parsed = infoSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
