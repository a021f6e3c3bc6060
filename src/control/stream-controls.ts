import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { Rect } from '../core/frame.js';
import type { Logger } from '../core/log.js';
import { configuredRegions } from '../filter/factory.js';
import type { Filter, FilterSettings, Region } from '../filter/filter.js';
import type { StreamPipeline } from '../stream/pipeline.js';
import { rectMessageSchema, settingsSchema } from './protocol.js';
import { JsonStateFile } from './state-file.js';
import { ownEntry, setOwnEntry } from '../core/records.js';

const zoneSchema = z.object({ id: z.string(), rect: rectMessageSchema, enabled: z.boolean() }).strict();
const keyControlsSchema = z.object({
  added: z.array(zoneSchema),
  exclusions: z.array(zoneSchema),
  /** Enabled/disabled overrides for regions we do not own: from config or a detector. */
  overrides: z.record(z.string(), z.boolean()),
  bypass: z.boolean(),
  settings: settingsSchema,
}).strict();
const stateSchema = z.object({ version: z.literal(1), streams: z.record(z.string(), keyControlsSchema) }).strict();

type KeyControls = z.infer<typeof keyControlsSchema>;
type Zone = z.infer<typeof zoneSchema>;

export type RegionSource = 'config' | 'control' | 'detector';

export interface RegionView {
  id: string;
  kind: Region['kind'] | 'exclusion';
  source: RegionSource;
  rect: Rect;
  enabled: boolean;
  confidence?: number;
  /** Detected regions: learning, active or lost. */
  state?: Region['state'];
  /** Translucent logos: the blend learned (alpha, colour, how); the per-pixel matte stays in process. */
  blend?: { alpha: number; colour: string; source: 'motion' | 'ring' };
}

export interface StreamControlView {
  key: string;
  regions: RegionView[];
  bypass: boolean;
  settings: FilterSettings;
}

/** A request that is well formed but cannot be done (unknown region, read-only region, ...). */
export class ControlError extends Error {}

const MAX_ZONES_PER_STREAM = 64;

function empty(): KeyControls {
  return { added: [], exclusions: [], overrides: {}, bypass: false, settings: {} };
}

/**
 * What operators changed per stream key (regions, exclusion zones, toggles, bypass, settings), kept
 * on disk and applied to a stream's filter whenever it starts or the state changes. Keyed by stream
 * key, not by pipeline, so a republished stream comes back as the operator left it.
 */
export class StreamControls {
  private readonly file: JsonStateFile<z.infer<typeof stateSchema>>;
  private readonly streams: Record<string, KeyControls>;

  constructor(private readonly config: Config, log: Logger) {
    this.file = new JsonStateFile(join(config.server.dataDir, 'control-state.json'), stateSchema, log);
    this.streams = this.file.load({ version: 1, streams: {} }).streams;
  }

  private controls(key: string): KeyControls {
    return ownEntry(this.streams, key) ?? empty();
  }

  /** Applies a change and writes it to disk before anyone is told it happened. */
  private change(key: string, mutate: (c: KeyControls) => void): void {
    const c = structuredClone(this.controls(key));
    mutate(c);
    setOwnEntry(this.streams, key, c);
    this.file.save({ version: 1, streams: this.streams });
  }

  /** Manual regions for the filter: configured ones (with operator toggles) plus operator-added ones. */
  manualRegions(key: string): Region[] {
    const c = this.controls(key);
    const fromConfig = configuredRegions(this.config, key).map((r) => ({ ...r, enabled: ownEntry(c.overrides, r.id) ?? r.enabled }));
    return [...fromConfig, ...c.added.map((z) => ({ id: z.id, kind: 'manual' as const, rect: z.rect, enabled: z.enabled }))];
  }

  view(key: string, filter?: Filter): StreamControlView {
    const c = this.controls(key);
    const configIds = new Set(configuredRegions(this.config, key).map((r) => r.id));
    const manual = this.manualRegions(key).map((r): RegionView => ({
      id: r.id, kind: r.kind, source: configIds.has(r.id) ? 'config' : 'control', rect: r.rect, enabled: r.enabled,
    }));
    const detected = (filter?.detectedRegions?.() ?? []).map((r): RegionView => ({
      id: r.id, kind: r.kind, source: 'detector', rect: r.rect, enabled: ownEntry(c.overrides, r.id) ?? r.enabled,
      ...(r.confidence !== undefined ? { confidence: r.confidence } : {}),
      ...(r.state !== undefined ? { state: r.state } : {}),
      ...(r.blend ? { blend: { alpha: Math.round(r.blend.alpha * 1000) / 1000, colour: r.blend.colour, source: r.blend.source } } : {}),
    }));
    const exclusions = c.exclusions.map((z): RegionView => ({ id: z.id, kind: 'exclusion', source: 'control', rect: z.rect, enabled: z.enabled }));
    return { key, regions: [...manual, ...detected, ...exclusions], bypass: c.bypass, settings: c.settings };
  }

  setEnabled(key: string, id: string, enabled: boolean, filter?: Filter): void {
    const view = this.view(key, filter).regions.find((r) => r.id === id);
    if (!view) throw new ControlError(`regionId: no region "${id}" on stream "${key}"`);
    this.change(key, (c) => {
      const own = view.kind === 'exclusion' ? c.exclusions : c.added;
      const zone = own.find((z) => z.id === id);
      if (zone) zone.enabled = enabled;
      else setOwnEntry(c.overrides, id, enabled);
    });
  }

  add(key: string, rect: Rect, exclusion: boolean): string {
    const c = this.controls(key);
    if (c.added.length + c.exclusions.length >= MAX_ZONES_PER_STREAM) throw new ControlError(`stream "${key}" already has ${MAX_ZONES_PER_STREAM} regions and zones`);
    const id = `${exclusion ? 'x' : 'm'}-${randomUUID().slice(0, 8)}`;
    this.change(key, (d) => (exclusion ? d.exclusions : d.added).push({ id, rect: { ...rect }, enabled: true }));
    return id;
  }

  move(key: string, id: string, rect: Rect): void {
    this.change(key, (c) => {
      this.ownZone(key, c, id).rect = { ...rect };
    });
  }

  remove(key: string, id: string): void {
    this.change(key, (c) => {
      const zone = this.ownZone(key, c, id);
      c.added = c.added.filter((z) => z !== zone);
      c.exclusions = c.exclusions.filter((z) => z !== zone);
    });
  }

  private ownZone(key: string, c: KeyControls, id: string): Zone {
    const zone = c.added.find((z) => z.id === id) ?? c.exclusions.find((z) => z.id === id);
    if (zone) return zone;
    if (configuredRegions(this.config, key).some((r) => r.id === id)) throw new ControlError(`regionId: "${id}" comes from the config file; it can be toggled, not moved or removed`);
    throw new ControlError(`regionId: no operator-added region or zone "${id}" on stream "${key}"`);
  }

  setBypass(key: string, on: boolean): void {
    this.change(key, (c) => { c.bypass = on; });
  }

  setSettings(key: string, settings: FilterSettings): void {
    this.change(key, (c) => { c.settings = { ...c.settings, ...settings }; });
  }

  /** Pushes the key's state into its running pipeline (takes effect from the next filtered frame). */
  applyTo(pipeline: StreamPipeline): void {
    const c = this.controls(pipeline.key);
    const filter = pipeline.filter;
    filter.setRegions?.(this.manualRegions(pipeline.key));
    const disabledIds = Object.entries(c.overrides).filter(([, on]) => !on).map(([id]) => id);
    filter.setControls?.({ disabledIds, exclusions: c.exclusions.filter((z) => z.enabled).map((z) => z.rect), settings: c.settings });
    pipeline.setBypass(c.bypass);
  }
}
