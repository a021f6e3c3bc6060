/** Messages between OnnxWorkerSession (main thread) and onnx-worker.ts. */

export interface NamedTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
export type NamedTensors = Record<string, NamedTensor>;

export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

export interface WorkerInit {
  readonly modelPath: string;
  readonly provider: ExecutionProvider;
  readonly threads: number;
}

export type WorkerRequest = { type: 'run'; id: number; inputs: NamedTensors } | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; provider: ExecutionProvider; fallbackReason: string | null; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; outputs: NamedTensors; ms: number }
  | { type: 'error'; id: number; message: string };
