import { OnnxWorkerSession, type NamedTensors } from '../../ml/onnx-session.js';

/**
 * The caption net's view of a model: run named float32 tensors, close. Backed by the shared ONNX
 * layer (src/ml: onnxruntime-node in a worker thread); what this adds is what a per-frame
 * detector needs: inputs copied (the caller reuses its buffers at once) and a per-run time limit
 * (a wedged worker must not stall the stream: the caller falls back to the classical detector).
 */
export type Tensors = Readonly<NamedTensors>;

export interface InferenceRunner {
  run(inputs: Tensors): Promise<Tensors>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Threads onnxruntime may use for one run (default 1: the other core is the main thread's). */
  readonly threads?: number;
  /** A run that takes longer fails. */
  readonly timeoutMs?: number;
}

export class WorkerOnnxSession implements InferenceRunner {
  private constructor(private readonly session: OnnxWorkerSession, private readonly timeoutMs: number) {}

  /** Loads the model in a new worker; rejects with onnxruntime's reason (and the path) if it cannot. */
  static async open(modelPath: string, opts: SessionOptions = {}): Promise<WorkerOnnxSession> {
    const session = await OnnxWorkerSession.open({ modelPath, executionProvider: 'cpu', threads: opts.threads ?? 1, maxInFlight: 2 });
    return new WorkerOnnxSession(session, opts.timeoutMs ?? 2000);
  }

  run(inputs: Tensors): Promise<Tensors> {
    const copies: NamedTensors = {};
    for (const [name, t] of Object.entries(inputs)) copies[name] = { data: new Float32Array(t.data), dims: [...t.dims] };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`onnx run took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([this.session.run(copies), late]).finally(() => clearTimeout(timer));
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
