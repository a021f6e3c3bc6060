/**
 * Worker-thread side of OnnxWorkerSession: owns one onnxruntime-node session. `run()` of the native
 * binding occupies its thread for the whole inference, so it lives here and never on the event
 * loop that moves frames. Messages are defined in onnx-protocol.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { nameThread } from '../core/thread-name.js';
import { copyOutputs, createOrtSession, toFeeds } from './ort-session.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './onnx-protocol.js';

const init = workerData as WorkerInit;
// Named after the model (cc-subtitle-seg, cc-logo-seg, cc-sttn-inpaint) for top -H and the bench's CPU split.
nameThread(`cc-${basename(init.modelPath, '.onnx')}`);
const port = parentPort!;
const post = (msg: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

function createSession(provider: string): Promise<ort.InferenceSession> {
  return createOrtSession(init.modelPath, provider, init.threads);
}

/**
 * onnxruntime-node ships CUDA's provider as a separate download (skipped offline): without its
 * library the attempt is not made, which also spares the native library's own error print.
 */
function missingProviderLibrary(provider: string): string | null {
  if (provider !== 'cuda' || process.platform !== 'linux') return null;
  const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  const lib = 'libonnxruntime_providers_cuda.so';
  return existsSync(join(bin, lib)) ? null : `${lib} is not installed beside onnxruntime-node (${bin})`;
}

async function open(): Promise<ort.InferenceSession | undefined> {
  try {
    const missing = missingProviderLibrary(init.provider);
    if (missing) throw new Error(missing);
    const session = await createSession(init.provider);
    post({ type: 'ready', provider: init.provider, fallbackReason: null, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
    return session;
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? String(err);
    if (init.provider === 'cpu') {
      post({ type: 'failed', message: reason });
      return undefined;
    }
    try {
      const session = await createSession('cpu');
      post({ type: 'ready', provider: 'cpu', fallbackReason: reason, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
      return session;
    } catch (err2) {
      post({ type: 'failed', message: (err2 as Error).message });
      return undefined;
    }
  }
}

// The native library prints its own error for a provider that cannot load; the main thread logs
// one clear line instead. (The level is process-wide and set before the first session exists.)
if (init.provider !== 'cpu') ort.env.logLevel = 'fatal';
const ready = open();

port.on('message', (req: WorkerRequest) => {
  void (async () => {
    const session = await ready;
    if (req.type === 'close') {
      await session?.release();
      port.close();
      return;
    }
    if (!session) return post({ type: 'error', id: req.id, message: 'session failed to load' });
    try {
      const feeds = toFeeds(req.inputs);
      const t0 = performance.now();
      const results = await session.run(feeds);
      const ms = performance.now() - t0;
      // Copies, so the buffers can be transferred, not cloned.
      const outputs = copyOutputs(results);
      post({ type: 'result', id: req.id, outputs, ms }, Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer));
    } catch (err) {
      post({ type: 'error', id: req.id, message: (err as Error).message });
    }
  })();
});
