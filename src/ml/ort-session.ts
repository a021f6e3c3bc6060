import * as ort from 'onnxruntime-node';

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
