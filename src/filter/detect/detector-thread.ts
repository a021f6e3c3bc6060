import { Worker } from 'node:worker_threads';
import type { Rect, VideoFrame } from '../../core/frame.js';
import { awaitWorkerExit, OrderedRequests } from '../../core/ordered-requests.js';
import { compiledWorker } from '../../core/paths.js';
import type { Region } from '../filter.js';
import type { DetectorInit, DetectorReply, DetectorRequest } from './detector-protocol.js';
import { DEFAULT_STATIC_DETECTOR, type StaticDetectorOptions } from './static-detector.js';

/** What the static-overlay detector reports after one frame. */
export interface LogoSnapshot {
  readonly regions: readonly Region[];
  readonly learning: boolean;
}

let liveWorkers = 0;

/** Detector worker threads running now, all streams together (Node lists no handle for a worker; leak checks read this). */
export function liveDetectorWorkers(): number {
  return liveWorkers;
}

/** Only the detector's own (plain-data) options cross to the worker; the filter's options also hold objects. */
function detectorOptions(opts: Partial<StaticDetectorOptions>): Partial<StaticDetectorOptions> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(DEFAULT_STATIC_DETECTOR) as (keyof StaticDetectorOptions)[]) if (opts[k] !== undefined) out[k] = opts[k];
  return out as Partial<StaticDetectorOptions>;
}

/**
 * A stream's static-overlay detector (StaticOverlayDetector) in its own worker thread. The main
 * thread posts a copy of each frame it wants looked at and gets back, in order, the regions as they
 * stand after that frame; meanwhile it fills. Frames posted ahead (the next frame, already queued)
 * are looked at while the current one is filled, and each frame's answer is the same as the
 * detector's would be in this thread. A worker that fails rejects every pending and later frame:
 * the filter's error then opens the stage (viewers get the stream unfiltered).
 */
export class DetectorThread {
  private readonly worker: Worker;
  private readonly pending = new OrderedRequests<LogoSnapshot>('detector worker');
  private failure: Error | undefined;
  private closed = false;
  private latest: LogoSnapshot = { regions: [], learning: true };
  private readonly exited: Promise<void>;
  /** Frames posted, counted as the detector counts them: it reads the pixels of one in `sampleEvery` only. */
  private frames = 0;
  private readonly sampleEvery: number;

  constructor(opts: Partial<StaticDetectorOptions> = {}) {
    const init: DetectorInit = { options: detectorOptions(opts) };
    this.sampleEvery = init.options.sampleEvery ?? DEFAULT_STATIC_DETECTOR.sampleEvery;
    this.worker = new Worker(compiledWorker(import.meta.url, 'detector-worker.js'), { workerData: init });
    // A parked detector (a stream waiting for its publisher to come back) must not keep the process alive.
    this.worker.unref();
    liveWorkers++;
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.once('exit', () => {
      liveWorkers--;
      this.fail(new Error('detector worker exited'));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('message', (msg: DetectorReply) => this.onReply(msg));
  }

  /**
   * The answer to the last frame answered. A filter reads its own frame's answer, not this (frames
   * posted ahead may already be answered); this is for a filter that takes the detector over after
   * a reconnect, so that what was found is removed from the new stream's first frame on.
   */
  get last(): LogoSnapshot {
    return this.latest;
  }

  /** True once the worker has failed (or ended): every frame from now on is refused. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Posts the frame (a copy of its pixels when the detector samples it; the others only count);
   * resolves with the regions after it, once the frames posted before it are done.
   */
  observe(frame: VideoFrame): Promise<LogoSnapshot> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('detector is closed'));
    // A copy: the frame's bytes stay with the pipeline (the fill reads them, egress encodes them).
    // Only for the frames the statistics sample: a 720p frame is 1.4 MB to copy and move across.
    const data = this.frames++ % this.sampleEvery === 0 ? new Uint8Array(frame.data) : undefined;
    const answer = this.pending.add(frame.seq);
    this.post({ type: 'observe', seq: frame.seq, width: frame.width, height: frame.height, ptsMs: frame.ptsMs, data }, data ? [data.buffer] : []);
    return answer;
  }

  /** Exclusion zones from the next frame posted on (see StaticOverlayDetector.setExclusions). */
  setExclusions(rects: readonly Rect[]): void {
    if (!this.failure && !this.closed) this.post({ type: 'exclusions', rects: rects.map((r) => ({ ...r })) });
  }

  /** Ends the worker once the frames posted are done; resolves when it has exited. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (!this.failure) this.post({ type: 'close' });
    }
    // A worker that does not end on its own within a second is stopped.
    await awaitWorkerExit(this.worker, this.exited, 1000);
  }

  private post(msg: DetectorRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private onReply(msg: DetectorReply): void {
    if (msg.type === 'error') {
      this.pending.answer(msg.seq, new Error(`detector: frame ${msg.seq}: ${msg.message}`));
      return;
    }
    const snapshot = { regions: msg.regions, learning: msg.learning };
    if (this.pending.answer(msg.seq, { value: snapshot })) this.latest = snapshot;
  }

  private fail(err: Error): void {
    // Closing on purpose is not a failure: nothing is pending by then.
    this.failure ??= this.closed && this.pending.size === 0 ? new Error('detector is closed') : err;
    this.pending.failAll(err);
  }
}
