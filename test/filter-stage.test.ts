import { describe, expect, it } from 'vitest';
import type { VideoFrame } from '../src/core/frame.js';
import { createLogger } from '../src/core/log.js';
import type { Filter, FilterContext, FilterResult } from '../src/filter/filter.js';
import { FilterStage } from '../src/filter/stage.js';

const log = createLogger('silent');
const frame = (seq: number): VideoFrame => ({ seq, ptsMs: seq * 33, width: 4, height: 2, data: Buffer.alloc(12, seq), arrivedAt: performance.now() });

/** A filter whose speed and failures the test controls. */
class ScriptedFilter implements Filter {
  readonly name = 'scripted';
  behindSeen: boolean[] = [];
  constructor(private readonly delayMs: number, private readonly failOn = new Set<number>()) {}
  async process(f: VideoFrame, ctx: FilterContext): Promise<FilterResult> {
    this.behindSeen.push(ctx.behind);
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failOn.has(f.seq)) throw new Error(`boom on ${f.seq}`);
    return { data: Buffer.alloc(f.data.length, 200), degraded: ctx.behind };
  }
}

describe('FilterStage', () => {
  it('degrades before it drops, bounds its queue, and counts both', async () => {
    const filter = new ScriptedFilter(20);
    const out: number[] = [];
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 3, degradeAt: 2, log, onOutput: (f) => out.push(f.seq) });
    for (let i = 0; i < 10; i++) stage.push(frame(i)); // a burst far faster than the filter
    await stage.drained();
    const s = stage.stats();
    expect(s.framesIn).toBe(10);
    expect(s.dropped).toBe(10 - 1 - 3); // one in the filter, three waiting, the rest dropped oldest-first
    expect(out).toEqual([0, 7, 8, 9]);
    expect(s.degraded).toBeGreaterThan(0);
    expect(filter.behindSeen[0]).toBe(false);
    expect(filter.behindSeen[1]).toBe(true);
  });

  it('fails open: a throwing filter passes the original frame through and is counted', async () => {
    const filter = new ScriptedFilter(0, new Set([1]));
    const outputs = new Map<number, Buffer>();
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 10, degradeAt: 10, log, onOutput: (f, d) => outputs.set(f.seq, d) });
    for (let i = 0; i < 3; i++) {
      stage.push(frame(i));
      await stage.drained();
    }
    expect(outputs.get(0)![0]).toBe(200);
    expect(outputs.get(1)![0]).toBe(1); // unfiltered input
    expect(outputs.get(2)![0]).toBe(200);
    expect(stage.stats().filterErrors).toBe(1);
  });

  it('bypass skips the filter entirely', async () => {
    const filter = new ScriptedFilter(0);
    const outputs: Buffer[] = [];
    const stage = new FilterStage({ filter, windowFrames: 2, maxQueued: 4, degradeAt: 4, log, onOutput: (_f, d) => outputs.push(d) });
    stage.bypass = true;
    stage.push(frame(5));
    await stage.drained();
    expect(outputs[0]![0]).toBe(5);
    expect(filter.behindSeen).toHaveLength(0);
    expect(stage.stats().bypassed).toBe(1);
  });
});
