import type { Worker } from 'node:worker_threads';

interface Entry<T> {
  readonly seq: number;
  resolve(value: T): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * The frames posted to a worker thread that answers them in the order posted, each by its seq:
 * the promise each caller awaits, an optional deadline per frame, and failing them all when the
 * worker dies. A frame past its deadline is failed at once but still counted in `size` until the
 * worker answers it, since the worker is still busy with it.
 */
export class OrderedRequests<T> {
  private readonly entries: Entry<T>[] = [];

  /** `what` names the worker in errors; `timeoutMs` fails a frame not answered in time (none: wait). */
  constructor(private readonly what: string, private readonly timeoutMs?: number) {}

  /** Frames posted and not answered yet (timed-out ones included). */
  get size(): number {
    return this.entries.length;
  }

  /** Waits for frame `seq`'s answer: post the frame right after. */
  add(seq: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const entry: Entry<T> = { seq, resolve, reject, timer: undefined, settled: false };
      if (this.timeoutMs !== undefined) entry.timer = setTimeout(() => settle(entry, new Error(`${this.what} took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
      this.entries.push(entry);
    });
  }

  /**
   * The worker answered frame `seq` (an Error: it failed on it). Frames posted before it and not
   * answered are failed: the worker answers in order, so it skipped them. Returns false when
   * nobody waits for that answer any more (unknown, or already timed out): the caller drops it.
   */
  answer(seq: number, result: { value: T } | Error): boolean {
    const at = this.entries.findIndex((e) => e.seq === seq);
    if (at < 0) return false;
    const skipped = this.entries.splice(0, at + 1);
    const entry = skipped.pop()!;
    for (const e of skipped) settle(e, new Error(`${this.what} answered frame ${seq} before frame ${e.seq}`));
    if (entry.settled) return false;
    settle(entry, result instanceof Error ? result : undefined, result instanceof Error ? undefined : result);
    return true;
  }

  /** Fails every frame posted and not answered (the worker died or is being stopped). */
  failAll(err: Error): void {
    for (const e of this.entries.splice(0)) settle(e, err);
  }
}

function settle<T>(entry: Entry<T>, err: Error | undefined, result?: { value: T }): void {
  if (entry.settled) return;
  entry.settled = true;
  if (entry.timer) clearTimeout(entry.timer);
  if (err) entry.reject(err);
  else entry.resolve(result!.value);
}

/**
 * Waits for a worker asked to close to exit, terminating it if it has not within `deadlineMs` (a
 * worker stuck in a long native call must not hold up a stream's shutdown).
 */
export async function awaitWorkerExit(worker: Worker, exited: Promise<void>, deadlineMs: number): Promise<void> {
  const timer = setTimeout(() => void worker.terminate(), deadlineMs);
  await exited;
  clearTimeout(timer);
}
