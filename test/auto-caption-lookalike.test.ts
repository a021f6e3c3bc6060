import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Region } from '../src/filter/filter.js';
import { AutoFilter, releaseLearned, type LearnedState } from '../src/filter/auto-filter.js';
import { DetectionMemory } from '../src/filter/detect/memory.js';
import { DetectorThread } from '../src/filter/detect/detector-thread.js';
import type { LogoNetFinder } from '../src/filter/detect/logo-net.js';
import { FrameWindow } from '../src/filter/frame-window.js';
import { synthesizeClip } from '../src/synth/index.js';
import { frameOf } from './helpers/clip-frames.js';

const PHOTO = join(import.meta.dirname, 'fixtures', 'media', 'skimage-coffee.jpg');

describe('a logo-net region over a caption', () => {
  // A boxed caption's words on their box pass for a word on a logo's plate, and the net's region
  // outlives the cue. The net is scripted here (a region over the caption's box on every frame);
  // the caption net, the logo detector and the filter are real.
  it("is the caption's while the caption is there, after it has gone, and across a reconnect", async () => {
    const c = await synthesizeClip({ id: 'boxed', seed: 21, width: 320, height: 240, fps: 25, frames: 100, source: { kind: 'static', photo: PHOTO }, overlays: [{ kind: 'subtitles', look: { style: 'box' } }] });
    const boxes = c.truth.rects.map((frame) => frame.find((r) => r.kind === 'subtitles')?.rect);
    const shown = boxes.findIndex((b) => b !== undefined);
    const gone = boxes.findIndex((b, f) => f > shown && b === undefined);
    expect(shown).toBeGreaterThan(0);
    expect(gone).toBeGreaterThan(shown + 10);
    const box = boxes[shown]!;
    const lookalike: Region = { id: 'logo-net-1', kind: 'logo', rect: { x: box.x + 4, y: box.y, width: 40, height: box.height }, enabled: true, state: 'active', confidence: 0.6, mask: new Uint8Array(40 * box.height).fill(1) };
    const net = { observe: async () => undefined, regions: () => [lookalike], close: async () => undefined, stopped: undefined } as unknown as LogoNetFinder;
    const store = new DetectionMemory<LearnedState>(60_000, 64, undefined, (state) => void releaseLearned(state));
    store.park('k', { detector: new DetectorThread({}), blend: undefined, ticker: undefined, logoNet: net });
    const window = new FrameWindow(8);
    const seen: { captions: boolean; lookalike: boolean }[] = [];
    const run = async (filter: AutoFilter, from: number, to: number) => {
      for (let f = from; f < to; f++) {
        const frame = frameOf(c, f);
        window.push(frame);
        await filter.process(frame, { window, behind: false });
        const regions = filter.detectedRegions();
        seen.push({ captions: regions.some((r) => r.kind === 'subtitle' && r.state === 'active'), lookalike: regions.some((r) => r.id === lookalike.id) });
      }
    };
    const end = Math.min(c.input.length, gone + 10);
    const first = new AutoFilter({ memory: { key: 'k', store } });
    let second: AutoFilter | undefined;
    try {
      await run(first, 0, end);
      // The publisher reconnects: what was learned, this included, is parked and taken back.
      await first.close();
      second = new AutoFilter({ memory: { key: 'k', store } });
      await run(second, end - 5, end);
    } finally {
      await second?.close();
      store.clear();
    }
    // Before the caption: the net's region stands (nothing says it is a caption's).
    expect(seen.slice(0, shown).every((s) => s.lookalike)).toBe(true);
    // The caption was found, and from then on the region is never reported: the cue's end and a reconnect included.
    const found = seen.findIndex((s) => s.captions);
    expect(found).toBeGreaterThanOrEqual(shown);
    expect(found).toBeLessThan(gone);
    expect(seen.slice(gone + 5).some((s) => s.captions)).toBe(false);
    expect(seen.slice(found).every((s) => !s.lookalike)).toBe(true);
  });
});
