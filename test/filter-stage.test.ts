import { describe, expect, it } from 'vitest';
import type { VideoFrame } from '../src/core/frame.js';
import { createLogger } from '../src/core/log.js';
import type { Filter, FilterContext, FilterResult } from '../src/filter/filter.js';
import { FilterStage } from '../src/filter/stage.js';

const log = createLogger('silent');
/** Short pauses keep the test quick; the mechanism is the same at the shipped 500 ms / 5 s. */
const failOpen = { deadlineMs: 150, retryAfterMs: 400, maxRetryAfterMs: 1600 };
const frame = (seq: number, intervalMs = 33): VideoFrame => ({ seq, ptsMs: seq * intervalMs, width: 4, height: 2, data: Buffer.alloc(12, seq % 200), arrivedAt: performance.now() });

/** A filter whose speed and failures the test controls. */
class ScriptedFilter implements Filter {
  readonly name = 'scripted';
  behindSeen: boolean[] = [];
  /** Per call: the seq of the frame offered as next (queued behind this one), -1 when none. */
  nextSeen: number[] = [];
  constructor(private readonly delayMs: number, private readonly failOn = new Set<number>()) {}
  async process(f: VideoFrame, ctx: FilterContext): Promise<FilterResult> {
    this.behindSeen.push(ctx.behind);
    this.nextSeen.push(ctx.next?.seq ?? -1);
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failOn.has(f.seq)) throw new Error(`boom on ${f.seq}`);
    return { data: Buffer.alloc(f.data.length, 200), degraded: ctx.behind };
  }
}

describe('FilterStage', () => {
  it('degrades before it drops, bounds its queue, and counts both', async () => {
    const filter = new ScriptedFilter(20);
    const out: number[] = [];
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 3, degradeAt: 2, log, failOpen, onOutput: (f) => out.push(f.seq) });
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

  it('offers the frame queued behind the current one as next, and nothing when the queue is empty', async () => {
    const filter = new ScriptedFilter(20);
    const out: number[] = [];
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 8, degradeAt: 8, log, failOpen, onOutput: (f) => out.push(f.seq) });
    for (let i = 0; i < 3; i++) stage.push(frame(i));
    await stage.drained();
    expect(out).toEqual([0, 1, 2]);
    // Frame 0 went to the filter as it was pushed (nothing queued yet); 1 had 2 behind it; 2 was last.
    expect(filter.nextSeen).toEqual([-1, 2, -1]);
  });

  it('lets a cold start queue longer: the first frames wait, later bursts are bounded as usual', async () => {
    const filter = new ScriptedFilter(5);
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 3, degradeAt: 2, log, failOpen, startupFrames: 10, startupMaxQueued: 10, onOutput: () => {} });
    for (let i = 0; i < 10; i++) stage.push(frame(i));
    await stage.drained();
    expect(stage.stats().dropped).toBe(0);
    for (let i = 10; i < 20; i++) stage.push(frame(i));
    await stage.drained();
    expect(stage.stats().dropped).toBe(10 - 1 - 3);
  });

  it('paces frames by the room downstream; at the end of a stream keeps every one', async () => {
    const filter = new ScriptedFilter(0);
    const out: number[] = [];
    // Downstream takes one frame per release; the test releases them one by one.
    let release: (() => void) | undefined;
    let room = 0;
    const stage = new FilterStage({
      filter, windowFrames: 4, maxQueued: 3, degradeAt: 2, log, failOpen,
      onOutput: (f) => { out.push(f.seq); room--; },
      downstreamRoom: () => (room > 0 ? undefined : new Promise<void>((r) => { release = () => { room++; r(); }; })),
    });
    stage.lossless = true;
    for (let i = 0; i < 10; i++) stage.push(frame(i));
    for (let released = 0; released < 10; released++) {
      await new Promise((r) => setTimeout(r, 5));
      expect(out.length).toBe(released); // nothing goes out without room
      release!();
    }
    await stage.drained();
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stage.stats().dropped).toBe(0);
  });

  it('fails open: a throwing filter passes the original frame through and is counted', async () => {
    const filter = new ScriptedFilter(0, new Set([1]));
    const outputs = new Map<number, Buffer>();
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 10, degradeAt: 10, log, failOpen, onOutput: (f, d) => outputs.set(f.seq, d) });
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
    const stage = new FilterStage({ filter, windowFrames: 2, maxQueued: 4, degradeAt: 4, log, failOpen, onOutput: (_f, d) => outputs.push(d) });
    stage.bypass = true;
    stage.push(frame(5));
    await stage.drained();
    expect(outputs[0]![0]).toBe(5);
    expect(filter.behindSeen).toHaveLength(0);
    expect(stage.stats().bypassed).toBe(1);
  });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Marks its output (luma 200) and answers after `delayMs`, or never while `hang` is set. */
class UnreliableFilter implements Filter {
  readonly name = 'unreliable';
  calls = 0;
  cancels = 0;
  hang = false;
  /** Settles the call left hanging (as a worker restarted on cancel would). */
  private release: (() => void) | undefined;
  constructor(public delayMs = 0, private readonly settleOnCancel = false) {}
  async process(f: VideoFrame): Promise<FilterResult> {
    this.calls++;
    if (this.hang) await new Promise<void>((resolve) => { this.release = resolve; });
    else if (this.delayMs) await sleep(this.delayMs);
    return { data: Buffer.alloc(f.data.length, 200), degraded: false };
  }
  cancel(): void {
    this.cancels++;
    if (this.settleOnCancel) this.answer();
  }
  answer(): void {
    this.hang = false;
    this.release?.();
    this.release = undefined;
  }
}

/** Feeds frames at `fps` (pts and wall clock alike) and records what comes out, and when. */
function camera(stage: FilterStage, fps: number) {
  let seq = 0;
  const timer = setInterval(() => stage.push(frame(seq++, 1000 / fps)), 1000 / fps);
  return { stop: () => clearInterval(timer), sent: () => seq };
}

function recorder() {
  const out: { seq: number; filtered: boolean; at: number }[] = [];
  return { out, onOutput: (f: VideoFrame, d: Buffer) => out.push({ seq: f.seq, filtered: d[0] === 200, at: performance.now() }) };
}

describe('FilterStage fail-open watchdog', () => {
  it('a filter that hangs: frames flow unfiltered within the deadline, counted; filtering resumes by itself once it answers', async () => {
    const filter = new UnreliableFilter();
    const rec = recorder();
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 4, degradeAt: 2, log, failOpen, onOutput: rec.onOutput });
    const cam = camera(stage, 30);
    await sleep(300);
    expect(rec.out.length).toBeGreaterThan(5);
    expect(rec.out.every((o) => o.filtered)).toBe(true);

    filter.hang = true;
    const hungAt = performance.now();
    await sleep(600);
    const s = stage.stats();
    expect(s.failOpen).toMatchObject({ active: true, reason: 'timeout', trips: 1, timeouts: 1 });
    expect(filter.cancels).toBe(1);
    // The picture kept coming: unfiltered frames left within the deadline (plus a frame or two) of the hang.
    const firstUnfiltered = rec.out.find((o) => !o.filtered && o.at > hungAt)!;
    expect(firstUnfiltered.at - hungAt).toBeLessThan(failOpen.deadlineMs + 200);
    const afterTrip = rec.out.filter((o) => o.at > firstUnfiltered.at);
    expect(afterTrip.length).toBeGreaterThan(8);
    expect(afterTrip.every((o) => !o.filtered)).toBe(true);
    // One call in flight at a time: the hung filter is not called again while its call is out.
    const callsWhileHung = filter.calls;
    await sleep(failOpen.retryAfterMs);
    expect(filter.calls).toBe(callsWhileHung);
    expect(s.failOpen.frames).toBeGreaterThan(5);

    filter.answer();
    await waitUntil(() => rec.out.at(-1)?.filtered === true, 2000);
    const back = stage.stats().failOpen;
    expect(back.active).toBe(false);
    expect(back.trips).toBe(1);
    cam.stop();
    await stage.drained();
    const st = stage.stats();
    // Every frame is accounted for: filtered, failed open, or dropped while the hung call held the queue.
    expect(st.framesOut + st.dropped).toBe(st.framesIn);
    expect(rec.out.filter((o) => !o.filtered)).toHaveLength(st.failOpen.frames);
    await stage.close();
  });

  it('a filter that ignores being behind and stays slower than the frame rate is taken out within about a second, and retried after the pause', async () => {
    const filter = new UnreliableFilter(80); // 80 ms per frame at 30 fps (33 ms budget)
    const rec = recorder();
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 4, degradeAt: 2, log, failOpen, onOutput: rec.onOutput });
    const t0 = performance.now();
    const cam = camera(stage, 30);
    await waitUntil(() => stage.stats().failOpen.active, 3000);
    const trippedAfter = performance.now() - t0;
    expect(trippedAfter).toBeLessThan(1800);
    expect(stage.stats().failOpen).toMatchObject({ reason: 'slow', trips: 1, timeouts: 0 });
    // Out of the path, the stream runs at full rate again: nothing dropped while it is out.
    const dropsAtTrip = stage.stats().dropped;
    await sleep(failOpen.retryAfterMs - 100);
    expect(stage.stats().dropped - dropsAtTrip).toBeLessThanOrEqual(4);
    // Retried after the pause; still slow, so out again, with a doubled pause.
    await waitUntil(() => stage.stats().failOpen.trips === 2, 4000);
    // A filter that got fast again is kept.
    filter.delayMs = 1;
    await waitUntil(() => !stage.stats().failOpen.active, 4000);
    const resumedAt = performance.now();
    await sleep(1300);
    expect(stage.stats().failOpen.active).toBe(false);
    expect(rec.out.filter((o) => o.at > resumedAt).every((o) => o.filtered)).toBe(true);
    cam.stop();
    await stage.drained();
    await stage.close();
  });

  it('a slow filter that reuses its last fill when told it is behind stays in the path', async () => {
    const filter: Filter = {
      name: 'cooperative',
      async process(f, ctx) {
        await sleep(ctx.behind ? 1 : 80);
        return { data: Buffer.alloc(f.data.length, 200), degraded: ctx.behind };
      },
    };
    const rec = recorder();
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 4, degradeAt: 2, log, failOpen, onOutput: rec.onOutput });
    const cam = camera(stage, 30);
    await sleep(1800);
    cam.stop();
    await stage.drained();
    const s = stage.stats();
    expect(s.failOpen.trips).toBe(0);
    expect(s.degraded).toBeGreaterThan(10);
    expect(rec.out.every((o) => o.filtered)).toBe(true);
    await stage.close();
  });

  it('a filter that settles its call when cancelled is back after the pause', async () => {
    const filter = new UnreliableFilter(0, true);
    const rec = recorder();
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 4, degradeAt: 2, log, failOpen, onOutput: rec.onOutput });
    const cam = camera(stage, 30);
    await sleep(100);
    filter.hang = true;
    await waitUntil(() => stage.stats().failOpen.active, 1000);
    await waitUntil(() => !stage.stats().failOpen.active && rec.out.at(-1)?.filtered === true, failOpen.retryAfterMs + 1000);
    expect(filter.cancels).toBe(1);
    cam.stop();
    await stage.drained();
    await stage.close();
  });

  it('close() does not wait forever on a hung filter', async () => {
    const filter = new UnreliableFilter();
    filter.hang = true;
    let closed = false;
    Object.assign(filter, { close: () => new Promise<void>(() => {}) });
    const stage = new FilterStage({ filter, windowFrames: 4, maxQueued: 4, degradeAt: 2, log, failOpen, onOutput: () => {} });
    stage.push(frame(0));
    const closing = stage.close().then(() => { closed = true; });
    await sleep(failOpen.deadlineMs * 4);
    expect(closed).toBe(true);
    await closing;
  });
});

async function waitUntil(probe: () => boolean, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
