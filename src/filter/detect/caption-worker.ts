/**
 * Worker-thread side of CaptionNetThread: owns one stream's caption net and everything around it
 * (reading the bands, the inference, grouping pixels into lines, the masks at full size), so that
 * none of it runs on the main thread that fills and moves frames. Frames are handled one at a
 * time, in the order posted; each answer is what SubtitleNetDetector would give in any thread.
 */
import { basename } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { nameThread } from '../../core/thread-name.js';
import { copyOutputs, createOrtSession, toFeeds } from '../../ml/ort-session.js';
import type { CaptionInit, CaptionReply, CaptionRequest } from './caption-protocol.js';
import type { InferenceRunner, Tensors } from './onnx-session.js';
import { SubtitleNetDetector } from './subtitle-net.js';

const init = workerData as CaptionInit;
// Named after the model, as the generic model worker is (cc-subtitle-seg): the bench's CPU split reads it.
nameThread(`cc-${basename(init.modelPath, '.onnx')}`);
const port = parentPort!;
const post = (msg: CaptionReply): void => port.postMessage(msg);

/** The model in this thread: one intra-op thread, as the main thread has the other core. */
class LocalRunner implements InferenceRunner {
  constructor(private readonly session: ort.InferenceSession) {}

  async run(inputs: Tensors): Promise<Tensors> {
    // Copied: the detector keeps the last probabilities for the next frame.
    return copyOutputs(await this.session.run(toFeeds(inputs)));
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

/** The frame's luma at full size; only the rows the net reads are ever written (and read). */
let luma = Buffer.alloc(0);

async function start(): Promise<SubtitleNetDetector | undefined> {
  try {
    const detector = new SubtitleNetDetector(new LocalRunner(await createOrtSession(init.modelPath, 'cpu', 1)), init.params);
    post({ type: 'ready' });
    return detector;
  } catch (err) {
    post({ type: 'failed', message: (err as Error).message.split('\n')[0] ?? String(err) });
    port.close();
    return undefined;
  }
}

const ready = start();
// One frame at a time: the detector's state (the last frame's lines) follows the order posted.
let turn: Promise<void> = Promise.resolve();

port.on('message', (req: CaptionRequest) => {
  turn = turn.then(async () => {
    const detector = await ready;
    if (!detector) return;
    if (req.type === 'close') {
      await detector.close();
      port.close();
      return;
    }
    try {
      const size = req.width * req.height;
      if (luma.length !== size) luma = Buffer.alloc(size);
      let at = 0;
      for (const [y0, y1] of req.rows) {
        const n = (y1 - y0) * req.width;
        if (y0 < 0 || y1 > req.height || at + n > req.luma.length) throw new Error(`rows ${y0}-${y1} do not fit a ${req.width}x${req.height} frame`);
        luma.set(req.luma.subarray(at, at + n), y0 * req.width);
        at += n;
      }
      await detector.observe({ seq: req.seq, ptsMs: req.ptsMs, width: req.width, height: req.height, data: luma, arrivedAt: 0 });
      post({ type: 'observed', seq: req.seq, regions: detector.regions() });
    } catch (err) {
      post({ type: 'error', seq: req.seq, message: (err as Error).message });
    }
  });
});
