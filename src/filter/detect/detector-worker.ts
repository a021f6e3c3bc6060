/**
 * Worker-thread side of DetectorThread: owns one stream's StaticOverlayDetector, so that its
 * statistics (about a third of the mask-free filter's time at 720p) run beside the fill on the
 * main thread instead of before it. Frames are handled one at a time, in the order posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DetectorInit, DetectorReply, DetectorRequest } from './detector-protocol.js';
import { nameThread } from '../../core/thread-name.js';
import { StaticOverlayDetector } from './static-detector.js';

nameThread('cc-logo-stats');
const port = parentPort!;
const detector = new StaticOverlayDetector((workerData as DetectorInit).options);
const post = (msg: DetectorReply): void => port.postMessage(msg);
const NO_PIXELS = Buffer.alloc(0);

port.on('message', (req: DetectorRequest) => {
  if (req.type === 'close') {
    port.close();
    return;
  }
  if (req.type === 'exclusions') {
    detector.setExclusions(req.rects);
    return;
  }
  try {
    // Frames the detector does not sample come without pixels (DetectorThread.observe): it only counts them.
    const data = req.data ? Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength) : NO_PIXELS;
    detector.observe({ seq: req.seq, ptsMs: req.ptsMs, width: req.width, height: req.height, data, arrivedAt: 0 });
    post({ type: 'observed', seq: req.seq, regions: detector.regions(), learning: detector.learning });
  } catch (err) {
    post({ type: 'error', seq: req.seq, message: (err as Error).message });
  }
});
