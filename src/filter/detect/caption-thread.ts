import { Worker } from 'node:worker_threads';
import type { VideoFrame } from '../../core/frame.js';
import { awaitWorkerExit, OrderedRequests } from '../../core/ordered-requests.js';
import { compiledWorker } from '../../core/paths.js';
import type { Region } from '../filter.js';
import type { CaptionInit, CaptionReply, CaptionRequest } from './caption-protocol.js';
import { bandRows } from './subtitle-bands.js';
import { DEFAULT_SUBTITLE_MODEL, DEFAULT_SUBTITLE_NET_PARAMS, type SubtitleNetParams } from './subtitle-net.js';

export interface CaptionThreadOptions {
  /** An answer later than this fails its frame (a wedged worker must not stall the stream). */
  readonly timeoutMs?: number;
  /** Frames posted and not answered at most; one more is refused. */
  readonly maxInFlight?: number;
}

let liveWorkers = 0;

/** Caption worker threads running now, all streams together (leak checks read this). */
export function liveCaptionWorkers(): number {
  return liveWorkers;
}

/**
 * A stream's caption net (SubtitleNetDetector) in its own worker thread, with all of its pre- and
 * post-processing: the main thread only copies out the rows of the caption bands and gets back
 * the caption regions, full-size masks included. At 720p that is ~7 ms a frame the main thread
 * no longer spends (reading the bands ~2, lines and masks ~5), which it needs for the fill.
 * Same interface as SubtitleNetDetector: observe a frame, then read its regions.
 */
export class CaptionNetThread {
  private readonly pending: OrderedRequests<readonly Region[]>;
  private current: readonly Region[] = [];
  private failure: Error | undefined;
  private closed = false;
  private readonly exited: Promise<void>;

  private constructor(private readonly worker: Worker, timeoutMs: number, private readonly maxInFlight: number) {
    this.pending = new OrderedRequests('caption worker', timeoutMs);
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (msg: CaptionReply) => this.onReply(msg));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => this.fail(new Error('caption worker exited')));
  }

  /** Starts the worker and loads the model; rejects with onnxruntime's reason (and the path) if it cannot. */
  static open(modelPath = DEFAULT_SUBTITLE_MODEL, params: SubtitleNetParams = DEFAULT_SUBTITLE_NET_PARAMS, opts: CaptionThreadOptions = {}): Promise<CaptionNetThread> {
    const init: CaptionInit = { modelPath, params };
    const worker = new Worker(compiledWorker(import.meta.url, 'caption-worker.js'), { workerData: init });
    // A parked stream (waiting for its publisher to come back) must not keep the process alive.
    worker.unref();
    liveWorkers++;
    worker.once('exit', () => liveWorkers--);
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`caption worker exited with code ${code} while loading ${modelPath}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (msg: CaptionReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (msg.type === 'ready') resolve(new CaptionNetThread(worker, opts.timeoutMs ?? 2000, opts.maxInFlight ?? 2));
        else {
          void worker.terminate();
          reject(new Error(`cannot load ${modelPath}: ${msg.type === 'failed' ? msg.message : `unexpected first message ${msg.type}`}`));
        }
      });
    });
  }

  /**
   * Posts the frame's caption-band rows (a copy); resolves with that frame's regions (also what
   * regions() gives until the next answer: with the next frame already posted, that may come first).
   */
  observe(frame: VideoFrame): Promise<readonly Region[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('caption detector is closed'));
    if (this.pending.size >= this.maxInFlight) return Promise.reject(new Error(`caption worker busy (${this.maxInFlight} frames in flight)`));
    const rows = bandRows(frame.width, frame.height);
    const luma = new Uint8Array(rows.reduce((n, [y0, y1]) => n + (y1 - y0) * frame.width, 0));
    let at = 0;
    for (const [y0, y1] of rows) {
      luma.set(frame.data.subarray(y0 * frame.width, y1 * frame.width), at);
      at += (y1 - y0) * frame.width;
    }
    const answer = this.pending.add(frame.seq);
    const msg: CaptionRequest = { type: 'observe', seq: frame.seq, width: frame.width, height: frame.height, ptsMs: frame.ptsMs, rows, luma };
    this.worker.postMessage(msg, [luma.buffer]);
    return answer;
  }

  /** The regions after the last frame answered. */
  regions(): readonly Region[] {
    return this.current;
  }

  /** Ends the worker once the frames posted are done; resolves when it has exited. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (!this.failure) this.worker.postMessage({ type: 'close' } satisfies CaptionRequest);
    }
    // A worker stuck in a long native run is not waited for beyond a moment.
    await awaitWorkerExit(this.worker, this.exited, 2000);
  }

  private onReply(msg: CaptionReply): void {
    if (msg.type === 'error') this.pending.answer(msg.seq, new Error(`caption net: frame ${msg.seq}: ${msg.message}`));
    // A frame that timed out is still answered, and dropped here.
    else if (msg.type === 'observed' && this.pending.answer(msg.seq, { value: msg.regions })) this.current = msg.regions;
  }

  private fail(err: Error): void {
    // Closing on purpose is not a failure: nothing is pending by then.
    this.failure ??= this.closed && this.pending.size === 0 ? new Error('caption detector is closed') : err;
    this.pending.failAll(err);
  }
}
