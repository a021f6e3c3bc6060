import type { Config } from '../config/schema.js';
import type { Filter, Region } from './filter.js';
import { PassThroughFilter } from './filter.js';
import { AutoFilter } from './auto-filter.js';
import { ManualRegionFilter } from './manual-region-filter.js';

/** Manual regions for a stream: those for every stream ("*") plus the stream's own. */
export function configuredRegions(config: Config, key: string): Region[] {
  const rects = [...(config.pipeline.regions['*'] ?? []), ...(key !== '*' ? config.pipeline.regions[key] ?? [] : [])];
  return rects.map((r, i) => ({
    id: r.id ?? `manual-${i}`,
    kind: 'manual' as const,
    rect: { x: r.x, y: r.y, width: r.width, height: r.height },
    enabled: true,
  }));
}

export function createFilter(config: Config, key: string): Filter {
  switch (config.pipeline.filter) {
    case 'passthrough':
      return new PassThroughFilter();
    case 'manual':
      return new ManualRegionFilter(configuredRegions(config, key), { temporal: config.pipeline.temporalFill });
    case 'auto': {
      const filter = new AutoFilter({ ...config.pipeline.auto, temporal: config.pipeline.temporalFill });
      filter.setRegions(configuredRegions(config, key));
      return filter;
    }
  }
}
