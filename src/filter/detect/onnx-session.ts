import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * An ONNX model run by onnxruntime-node (CPU) in a worker thread, so inference overlaps the
 * filter's own work on the main thread. Deliberately tiny, behind `InferenceRunner`, so a shared
 * model layer can replace it without touching the detectors that use it.
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
export type Tensors = Readonly<Record<string, Tensor>>;

export interface InferenceRunner {
  run(inputs: Tensors): Promise<Tensors>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Threads onnxruntime may use for one run (default 1: the other core is the main thread's). */
  readonly threads?: number;
  /** A run that takes longer fails (a wedged worker must not stall the stream). */
  readonly timeoutMs?: number;
}

// Plain CommonJS, evaluated as the worker's script: runs the same from src/ under vitest and from
// dist/ (a .ts worker file would need a loader in the worker).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const message = (err) => String((err && err.message) || err);
ort.InferenceSession.create(workerData.model, {
  intraOpNumThreads: workerData.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
}).then((session) => {
  parentPort.postMessage({ ready: true });
  parentPort.on('message', async ({ id, inputs }) => {
    try {
      const feeds = {};
      for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
      const results = await session.run(feeds);
      const outputs = {};
      const transfer = [];
      for (const [name, t] of Object.entries(results)) {
        const data = new Float32Array(t.data);
        outputs[name] = { data, dims: Array.from(t.dims) };
        transfer.push(data.buffer);
      }
      parentPort.postMessage({ id, outputs }, transfer);
    } catch (err) {
      parentPort.postMessage({ id, error: message(err) });
    }
  });
}, (err) => parentPort.postMessage({ ready: false, error: message(err) }));
`;

interface Pending {
  resolve: (t: Tensors) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class WorkerOnnxSession implements InferenceRunner {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker, private readonly timeoutMs: number) {
    worker.on('message', (m: { id: number; outputs?: Tensors; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.outputs) p.resolve(m.outputs);
      else p.reject(new Error(`onnx run failed: ${m.error}`));
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`onnx worker exited (code ${code})`)));
  }

  /** Loads the model in a new worker; rejects with onnxruntime's reason if it cannot. */
  static async open(modelPath: string, opts: SessionOptions = {}): Promise<WorkerOnnxSession> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { model: modelPath, ortPath, threads: opts.threads ?? 1 } });
    const ready = await new Promise<{ ready: boolean; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      throw new Error(`cannot load ${modelPath}: ${ready.error}`);
    }
    // An idle model must not keep the process alive.
    worker.unref();
    return new WorkerOnnxSession(worker, opts.timeoutMs ?? 2000);
  }

  /** Inputs are copied before they cross to the worker: the caller may reuse its buffers at once. */
  run(inputs: Tensors): Promise<Tensors> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const copies: Record<string, Tensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(inputs)) {
      const data = new Float32Array(t.data);
      copies[name] = { data, dims: [...t.dims] };
      transfer.push(data.buffer);
    }
    return new Promise<Tensors>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`onnx run took longer than ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, inputs: copies }, transfer);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
