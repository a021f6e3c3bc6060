import { isAbsolute, join } from 'node:path';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { acquireSession, type SessionLease } from '../../ml/onnx-session.js';
import { readModelInfo } from './model-info.js';

/** What the server found when it opened the configured model before taking streams. */
export type ModelCheck =
  | { readonly state: 'off' }
  | { readonly state: 'ready'; readonly lease: SessionLease }
  | { readonly state: 'unusable'; readonly reason: string };

export function resolveModelPath(config: Config): string {
  const p = config.pipeline.model.path;
  return isAbsolute(p) ? p : join(PROJECT_ROOT, p);
}

/**
 * Opens the configured model once at start-up (sidecar contract and weights, in the same worker
 * every stream will share), so a missing or corrupt file is found before the first publisher
 * rather than by each stream's log. The caller decides what an unusable model means
 * (`pipeline.model.onMissing`). A ready lease keeps the worker warm until the server stops.
 */
export async function checkModel(config: Config, log?: Logger): Promise<ModelCheck> {
  const m = config.pipeline.model;
  if (!m.enabled) return { state: 'off' };
  const modelPath = resolveModelPath(config);
  try {
    readModelInfo(modelPath);
    const lease = await acquireSession({ modelPath, executionProvider: m.executionProvider, threads: m.threads, maxInFlight: m.maxInFlight, log });
    return { state: 'ready', lease };
  } catch (err) {
    return { state: 'unusable', reason: (err as Error).message };
  }
}
