import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultsWith } from '../src/config/load.js';
import { StreamControls } from '../src/control/stream-controls.js';
import { createLogger } from '../src/core/log.js';
import type { Filter, Region } from '../src/filter/filter.js';

const dir = mkdtempSync(join(tmpdir(), 'clearcast-blend-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('control view of a translucent logo', () => {
  it('carries the learned blend (alpha, colour, source) but not the per-pixel matte', () => {
    const controls = new StreamControls(defaultsWith({ server: { dataDir: dir } }), createLogger('silent'));
    const logo: Region = {
      id: 'logo-1', kind: 'logo', rect: { x: 10, y: 10, width: 4, height: 2 }, enabled: true, confidence: 0.9, state: 'active',
      blend: { alpha: 0.41234, colour: '#8e2de2', source: 'motion', matte: new Uint8Array(8).fill(105) },
    };
    const opaque: Region = { id: 'logo-2', kind: 'logo', rect: { x: 40, y: 10, width: 4, height: 2 }, enabled: true, state: 'active' };
    // The control plane reads a filter through its narrow interface: the detected regions.
    const filter = { detectedRegions: () => [logo, opaque] } as unknown as Filter;
    const views = controls.view('k', filter).regions;
    expect(views.find((r) => r.id === 'logo-1')?.blend).toEqual({ alpha: 0.412, colour: '#8e2de2', source: 'motion' });
    expect(views.find((r) => r.id === 'logo-2')?.blend).toBeUndefined();
    expect(JSON.stringify(views)).not.toContain('matte');
  });
});
