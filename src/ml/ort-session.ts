import * as ort from 'onnxruntime-node';
import type { NamedTensors } from './onnx-protocol.js';

/**
 * An onnxruntime-node session as every worker of ours opens one. Only for worker threads: `run()`
 * of the native binding occupies its thread for the whole inference.
 */
export function createOrtSession(modelPath: string, provider: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: [provider],
    // A provider that cannot load is reported once, by the main thread: onnxruntime's own error
    // print would be a second, noisier line.
    logSeverityLevel: provider === 'cpu' ? 2 : 4,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

/** Named float32 inputs as onnxruntime's feeds (the arrays are used as they are, not copied). */
export function toFeeds(inputs: Readonly<NamedTensors>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
  return feeds;
}

/** A run's outputs copied out of the native tensors' memory: kept past the run, or transferred to another thread. */
export function copyOutputs(results: ort.InferenceSession.OnnxValueMapType): NamedTensors {
  const outputs: NamedTensors = {};
  for (const [name, t] of Object.entries(results)) outputs[name] = { data: new Float32Array(t.data as Float32Array), dims: [...t.dims] };
  return outputs;
}
