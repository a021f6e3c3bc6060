import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { ModelInpainter } from './inpaint/index.js';
import { resolveModelPath } from './inpaint/preflight.js';
import type { Filter, Region } from './filter.js';
import { PassThroughFilter } from './filter.js';
import { AutoFilter, type LearnedState } from './auto-filter.js';
import type { DetectionMemory } from './detect/memory.js';
import { ManualRegionFilter } from './manual-region-filter.js';
import { ownEntry } from '../core/records.js';

/** Manual regions for a stream: those for every stream ("*") plus the stream's own. */
export function configuredRegions(config: Config, key: string): Region[] {
  const rects = [...(config.pipeline.regions['*'] ?? []), ...(key !== '*' ? ownEntry(config.pipeline.regions, key) ?? [] : [])];
  return rects.map((r, i) => ({
    id: r.id ?? `manual-${i}`,
    kind: 'manual' as const,
    rect: { x: r.x, y: r.y, width: r.width, height: r.height },
    enabled: true,
  }));
}

export interface FilterEnv {
  readonly log?: Logger;
  /** A file, not a live stream: every frame waits for its model result (frame-exact output). */
  readonly offline?: boolean;
  /** Per server: lets a republished stream start from what its last publish learned. */
  readonly memory?: DetectionMemory<LearnedState>;
  /** The server found the model unusable at start-up and said so once: streams run without it, quietly. */
  readonly modelUnusable?: boolean;
}

/** Offline runs wait this long for a model result: in practice, always. */
const OFFLINE_DEADLINE_MS = 60_000;

/**
 * The inpainting model when configured; undefined (classical fill only, with an error logged)
 * when it is off or its files cannot be read. Its weights load in the background.
 */
export function createModel(config: Config, env: FilterEnv = {}): ModelInpainter | undefined {
  const m = config.pipeline.model;
  if (!m.enabled || env.modelUnusable) return undefined;
  const modelPath = resolveModelPath(config);
  try {
    return new ModelInpainter({
      modelPath, executionProvider: m.executionProvider, threads: m.threads, maxInFlight: m.maxInFlight,
      deadlineMs: env.offline ? OFFLINE_DEADLINE_MS : m.deadlineMs, smoothing: m.smoothing, senseThreshold: m.senseThreshold, residualOver: m.residualOver, log: env.log,
    });
  } catch (err) {
    env.log?.error({ err: (err as Error).message }, 'model: not usable, classical fill only');
    return undefined;
  }
}

export function createFilter(config: Config, key: string, env: FilterEnv = {}): Filter {
  switch (config.pipeline.filter) {
    case 'passthrough':
      return new PassThroughFilter();
    case 'manual':
      return new ManualRegionFilter(configuredRegions(config, key), { temporal: config.pipeline.temporalFill, model: createModel(config, env) });
    case 'auto': {
      const { rememberS, logoNet, ...detector } = config.pipeline.auto;
      const memory = env.memory && key !== '*' ? { memory: { key, store: env.memory } } : {};
      const filter = new AutoFilter({ ...detector, ...(logoNet ? {} : { logoModel: false as const }), temporal: config.pipeline.temporalFill, model: createModel(config, env), ...memory });
      filter.setRegions(configuredRegions(config, key));
      return filter;
    }
  }
}
