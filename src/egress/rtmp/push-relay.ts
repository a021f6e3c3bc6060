import type { Logger } from '../../core/log.js';
import { FfmpegProcess } from '../../media/ffmpeg.js';

/** Stream keys and secrets often ride in the URL: log the host only. */
export function redactUrl(url: string): string {
  const m = /^(rtmps?:\/\/[^/]+)/.exec(url);
  return m ? `${m[1]}/***` : '***';
}

/** ffmpeg names the URL in its errors ("rtmp://host/app/KEY: Connection refused"): every URL in a text, host only. */
export function redactUrls(text: string): string {
  return text.replace(/\brtmps?:\/\/[^\s'"]+/g, (url) => redactUrl(url));
}

/** Seconds of no progress before ffmpeg gives up on a connection, either side (ffmpeg wants microseconds). */
const IO_TIMEOUT_US = '5000000';

export interface PushRelayOptions {
  readonly source: string;
  readonly target: string;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly log: Logger;
}

/**
 * Copies the clean stream to one external RTMP destination in its own ffmpeg child (no
 * re-encode). A destination that is down or drops us is retried with exponential backoff and
 * jitter; it never touches the pipeline or the other destinations.
 */
export class PushRelay {
  private proc: FfmpegProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private stopped = false;
  attempts = 0;
  private startedAt = 0;

  constructor(private readonly opts: PushRelayOptions) {
    this.delayMs = opts.initialDelayMs;
    this.log = opts.log.child({ push: redactUrl(opts.target) });
  }

  private readonly log: Logger;

  start(): void {
    if (this.stopped) return;
    this.attempts++;
    this.startedAt = performance.now();
    const proc = new FfmpegProcess({
      name: `push ${redactUrl(this.opts.target)}`,
      // rw_timeout on the output too: a destination that stops reading would otherwise block the relay forever.
      args: ['-loglevel', 'error', '-rw_timeout', IO_TIMEOUT_US, '-i', this.opts.source, '-c', 'copy', '-f', 'flv', '-rw_timeout', IO_TIMEOUT_US, this.opts.target],
    });
    this.proc = proc;
    proc.on('exit', (_code, _signal, reason) => {
      if (this.stopped) return;
      // A connection that held for a while earns a fresh, short backoff.
      if (performance.now() - this.startedAt > 10_000) this.delayMs = this.opts.initialDelayMs;
      const jitter = 1 + (Math.random() * 0.4 - 0.2);
      const wait = Math.round(this.delayMs * jitter);
      this.log.warn({ reason: redactUrls(reason), retryInMs: wait, attempts: this.attempts }, 'push destination failed; retrying');
      this.timer = setTimeout(() => this.start(), wait);
      this.delayMs = Math.min(this.opts.maxDelayMs, this.delayMs * 2);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.proc?.kill();
  }
}
