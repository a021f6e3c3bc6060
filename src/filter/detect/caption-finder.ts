import type { VideoFrame } from '../../core/frame.js';
import type { Region } from '../filter.js';
import { CaptionNetThread } from './caption-thread.js';
import { DEFAULT_SUBTITLE_MODEL } from './subtitle-net.js';
import type { SubtitleDetector } from './subtitles.js';

const MAX_FAILURES_IN_ROW = 3;

/**
 * Captions for the auto filter: the segmentation net when its model loads and runs, else the
 * classical detector (fail open: a missing or broken model costs caption quality, never the
 * stream). The model is loaded on the first frame; a failure is kept as the reason.
 */
export class CaptionFinder {
  private net: Promise<CaptionNetThread | undefined> | undefined;
  /** The net once loaded (observe starts its run without waiting a turn). */
  private loaded: CaptionNetThread | undefined;
  private classical: SubtitleDetector | undefined;
  private reason: string | undefined;
  private current: readonly Region[] = [];
  private failuresInRow = 0;

  /** `model`: path of the ONNX model (default the shipped one), or false for the classical detector only. */
  constructor(private readonly model: string | false | undefined, private readonly makeClassical: () => SubtitleDetector) {}

  get engine(): { engine: 'net' | 'classical'; reason?: string } {
    return this.model === false || this.classical ? { engine: 'classical', ...(this.reason ? { reason: this.reason } : {}) } : { engine: 'net' };
  }

  /**
   * Looks for captions in `frame`. Once the net is loaded the frame's bands are copied to its worker
   * before this returns (no await in between), so the caller's own work overlaps the net's.
   */
  observe(frame: VideoFrame): Promise<void> {
    if (this.model !== false && !this.classical) {
      if (this.loaded) return this.observeNet(this.loaded, frame);
      this.net ??= CaptionNetThread.open(this.model ?? DEFAULT_SUBTITLE_MODEL).then(
        (net) => (this.loaded = net),
        (err: unknown) => {
          this.reason = `caption model did not load: ${String((err as Error).message ?? err)}`;
          return undefined;
        },
      );
      return this.net.then((net) => (net ? this.observeNet(net, frame) : this.observeClassical(frame)));
    }
    return this.observeClassical(frame);
  }

  private async observeNet(net: CaptionNetThread, frame: VideoFrame): Promise<void> {
    try {
      // This frame's own answer: with the next frame's look already posted, net.regions() may be that one's.
      this.current = await net.observe(frame);
      this.failuresInRow = 0;
      return;
    } catch (err) {
      // One late run (a starved machine) costs this frame's captions; a model that keeps failing is dropped.
      this.current = [];
      if (++this.failuresInRow < MAX_FAILURES_IN_ROW) return;
      this.reason = `caption model failed ${MAX_FAILURES_IN_ROW} times in a row: ${String((err as Error).message ?? err)}`;
      this.loaded = undefined;
      void net.close().catch(() => undefined);
    }
    await this.observeClassical(frame);
  }

  /** Synchronous work behind a promise: a detector that throws rejects, as the net's path does. */
  private observeClassical(frame: VideoFrame): Promise<void> {
    try {
      this.classical ??= this.makeClassical();
      this.classical.observe(frame);
      this.current = this.classical.regions();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  regions(): readonly Region[] {
    return this.current;
  }

  async close(): Promise<void> {
    const net = await this.net;
    await net?.close();
  }
}
