import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { awaitWorkerExit, OrderedRequests } from '../src/core/ordered-requests.js';

describe('OrderedRequests', () => {
  it('gives each frame its own answer, in the order posted', async () => {
    const req = new OrderedRequests<string>('test worker');
    const a = req.add(1);
    const b = req.add(2);
    expect(req.size).toBe(2);
    expect(req.answer(1, { value: 'one' })).toBe(true);
    expect(req.size).toBe(1);
    expect(req.answer(2, new Error('broke on 2'))).toBe(true);
    await expect(a).resolves.toBe('one');
    await expect(b).rejects.toThrow('broke on 2');
    expect(req.size).toBe(0);
    // An answer nobody asked for is dropped.
    expect(req.answer(3, { value: 'three' })).toBe(false);
  });

  it('fails a frame past its deadline but counts it until the worker answers, then drops that answer', async () => {
    const req = new OrderedRequests<number>('slow worker', 10);
    const late = req.add(7);
    await expect(late).rejects.toThrow('slow worker took longer than 10 ms');
    expect(req.size).toBe(1);
    expect(req.answer(7, { value: 7 })).toBe(false);
    expect(req.size).toBe(0);
  });

  it('fails the frames a worker skipped, and every frame when it dies', async () => {
    const req = new OrderedRequests<number>('test worker');
    const skipped = req.add(1);
    const answered = req.add(2);
    const waiting = [req.add(3), req.add(4)];
    expect(req.answer(2, { value: 2 })).toBe(true);
    await expect(skipped).rejects.toThrow('test worker answered frame 2 before frame 1');
    await expect(answered).resolves.toBe(2);
    req.failAll(new Error('worker exited'));
    for (const w of waiting) await expect(w).rejects.toThrow('worker exited');
    expect(req.size).toBe(0);
  });
});

describe('awaitWorkerExit', () => {
  it('stops a worker that does not end on its own within the deadline', async () => {
    const worker = new Worker('setInterval(() => {}, 1000);', { eval: true });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    await new Promise((resolve) => worker.once('online', resolve));
    const t0 = performance.now();
    await awaitWorkerExit(worker, exited, 50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    // Exited: a second terminate has nothing left to stop.
    await expect(worker.terminate()).resolves.toBeUndefined();
  });
});
