import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/log.js';
import { compiledWorker } from '../core/paths.js';
import { RecentSamples } from '../core/stats.js';
import type { ExecutionProvider, NamedTensors, WorkerInit, WorkerReply, WorkerRequest } from './onnx-protocol.js';

export type { ExecutionProvider, NamedTensor, NamedTensors } from './onnx-protocol.js';

export interface OnnxSessionOptions {
  readonly modelPath: string;
  readonly executionProvider: ExecutionProvider;
  /** Intra-op threads of the session (the worker itself is one more thread, mostly waiting). */
  readonly threads: number;
  /** Requests allowed in the worker at once; more are refused (SessionBusyError), never queued without bound. */
  readonly maxInFlight: number;
  readonly log?: Logger;
}

/** Thrown by run() when maxInFlight requests are already in the worker: the caller decides what to reuse. */
export class SessionBusyError extends Error {
  constructor(limit: number) {
    super(`onnx session busy (${limit} requests in flight)`);
    this.name = 'SessionBusyError';
  }
}

export interface OnnxSessionStats {
  /** The provider really running the model (cpu after a fallback). */
  readonly provider: ExecutionProvider;
  readonly requestedProvider: ExecutionProvider;
  /** Why the requested provider could not load; null when it did. */
  readonly fallbackReason: string | null;
  readonly runs: number;
  readonly errors: number;
  readonly busy: number;
  readonly inferenceMs: { p50: number; p99: number };
}

let liveWorkers = 0;

/** Model worker threads running now, all sessions together (Node lists no handle for a worker; leak checks read this). */
export function liveOnnxWorkers(): number {
  return liveWorkers;
}

/**
 * A generic ONNX model in a worker thread (onnxruntime-node): load, pick the execution provider
 * with a CPU fallback (one log line, counted in stats), run named float32 inputs with a bound on
 * requests in flight, close. Model-specific pre- and post-processing stays with the caller.
 */
export class OnnxWorkerSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (o: NamedTensors) => void; reject: (e: Error) => void }>();
  private readonly inferenceMs = new RecentSamples(600);
  private counters = { runs: 0, errors: 0, busy: 0 };
  private closed = false;
  private exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly opts: OnnxSessionOptions,
    readonly provider: ExecutionProvider,
    readonly fallbackReason: string | null,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (msg: WorkerReply) => this.onReply(msg));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => this.failAll(new Error('onnx worker exited')));
  }

  /** Starts the worker and loads the model; rejects when no provider, not even CPU, can run it. */
  static open(opts: OnnxSessionOptions): Promise<OnnxWorkerSession> {
    if (!existsSync(opts.modelPath)) return Promise.reject(new Error(`model file not found: ${opts.modelPath}`));
    const init: WorkerInit = { modelPath: opts.modelPath, provider: opts.executionProvider, threads: opts.threads };
    const worker = new Worker(compiledWorker(import.meta.url, 'onnx-worker.js'), { workerData: init });
    liveWorkers++;
    worker.once('exit', () => liveWorkers--);
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`onnx worker exited with code ${code} while loading ${opts.modelPath}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (msg: WorkerReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (msg.type === 'failed') {
          void worker.terminate();
          reject(new Error(`cannot load ${opts.modelPath}: ${msg.message}`));
        } else if (msg.type === 'ready') {
          if (msg.fallbackReason !== null) {
            opts.log?.warn({ requested: opts.executionProvider, provider: msg.provider, reason: msg.fallbackReason }, `model: execution provider ${opts.executionProvider} could not load, running on cpu`);
          }
          resolve(new OnnxWorkerSession(worker, opts, msg.provider, msg.fallbackReason, msg.inputNames, msg.outputNames));
        } else {
          reject(new Error(`onnx worker: unexpected first message ${msg.type}`));
        }
      });
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** True while a new run() would be refused. */
  get busy(): boolean {
    return this.pending.size >= this.opts.maxInFlight;
  }

  /** Runs the model; input arrays are transferred to the worker (the caller must not reuse them). */
  run(inputs: NamedTensors): Promise<NamedTensors> {
    if (this.closed) return Promise.reject(new Error('onnx session is closed'));
    if (this.busy) {
      this.counters.busy++;
      return Promise.reject(new SessionBusyError(this.opts.maxInFlight));
    }
    const id = this.nextId++;
    const transfer = [...new Set(Object.values(inputs).map((t) => t.data.buffer as ArrayBuffer))];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, inputs } satisfies WorkerRequest, transfer);
    });
  }

  stats(): OnnxSessionStats {
    return {
      provider: this.provider,
      requestedProvider: this.opts.executionProvider,
      fallbackReason: this.fallbackReason,
      ...this.counters,
      inferenceMs: { p50: this.inferenceMs.percentile(50), p99: this.inferenceMs.percentile(99) },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    // A worker stuck in a long native run is not waited for beyond a moment.
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  private onReply(msg: WorkerReply): void {
    if (msg.type !== 'result' && msg.type !== 'error') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'result') {
      this.counters.runs++;
      this.inferenceMs.add(msg.ms);
      p.resolve(msg.outputs);
    } else {
      this.counters.errors++;
      p.reject(new Error(`onnx run failed: ${msg.message}`));
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** A session shared by every user of the same model file, provider and thread count (one worker for all streams). */
export interface SessionLease {
  readonly session: OnnxWorkerSession;
  /** Closes the worker when the last user releases it. */
  release(): Promise<void>;
}

const shared = new Map<string, { opening: Promise<OnnxWorkerSession>; users: number }>();

export async function acquireSession(opts: OnnxSessionOptions): Promise<SessionLease> {
  const key = JSON.stringify([opts.modelPath, opts.executionProvider, opts.threads, opts.maxInFlight]);
  let entry = shared.get(key);
  if (!entry) {
    entry = { opening: OnnxWorkerSession.open(opts), users: 0 };
    shared.set(key, entry);
    // A failed load is not cached: the next stream tries again.
    entry.opening.catch(() => shared.delete(key));
  }
  entry.users++;
  const session = await entry.opening.catch((err: unknown) => {
    entry.users--;
    throw err;
  });
  let released = false;
  return {
    session,
    async release() {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      shared.delete(key);
      await session.close();
    },
  };
}
