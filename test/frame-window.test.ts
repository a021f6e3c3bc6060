import { describe, expect, it } from 'vitest';
import type { VideoFrame } from '../src/core/frame.js';
import { FrameWindow } from '../src/filter/frame-window.js';

const frame = (seq: number): VideoFrame => ({ seq, ptsMs: seq * 33, width: 2, height: 2, data: Buffer.alloc(6), arrivedAt: 0 });

describe('FrameWindow', () => {
  it('keeps only the newest frames, newest at age 0', () => {
    const w = new FrameWindow(3);
    for (let i = 0; i < 5; i++) w.push(frame(i));
    expect(w.size).toBe(3);
    expect(w.at(0)?.seq).toBe(4);
    expect(w.at(2)?.seq).toBe(2);
    expect(w.at(3)).toBeUndefined();
    expect(w.frames().map((f) => f.seq)).toEqual([2, 3, 4]);
  });

  it('clears and refuses a useless capacity', () => {
    const w = new FrameWindow(2);
    w.push(frame(1));
    w.clear();
    expect(w.size).toBe(0);
    expect(w.at(0)).toBeUndefined();
    expect(() => new FrameWindow(0)).toThrow(RangeError);
  });
});
