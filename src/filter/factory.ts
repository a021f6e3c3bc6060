import type { Config } from '../config/schema.js';
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

/** `memory` (per server) lets a republished stream start from what its last publish learned. */
export function createFilter(config: Config, key: string, memory?: DetectionMemory<LearnedState>): Filter {
  switch (config.pipeline.filter) {
    case 'passthrough':
      return new PassThroughFilter();
    case 'manual':
      return new ManualRegionFilter(configuredRegions(config, key), { temporal: config.pipeline.temporalFill });
    case 'auto': {
      const { rememberS, ...detector } = config.pipeline.auto;
      const filter = new AutoFilter({ ...detector, temporal: config.pipeline.temporalFill, ...(memory && key !== '*' ? { memory: { key, store: memory } } : {}) });
      filter.setRegions(configuredRegions(config, key));
      return filter;
    }
  }
}
