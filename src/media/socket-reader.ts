import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { compiledWorker } from '../core/paths.js';

/** Messages between SocketReader (main) and socket-reader-worker.ts. */
export interface SocketReaderInit {
  readonly path: string;
  readonly name: string;
}
/** 'boundary': a unit (a frame) ends at stream offset `at`. */
export type SocketReaderRequest = { readonly type: 'child-gone' } | { readonly type: 'boundary'; readonly at: number };
export type SocketReaderReply = { readonly type: 'data'; readonly data: Uint8Array } | { readonly type: 'end' } | { readonly type: 'error'; readonly message: string };

const MAX_SOCKET_PATH = 100;

let liveWorkers = 0;

/** Socket reader threads running now (leak checks read this). */
export function liveSocketReaders(): number {
  return liveWorkers;
}

/**
 * An ffmpeg child's output read by a worker thread, through a UNIX socket the child listens on
 * (`-listen 1 unix:<path>`). The live decoder's raw frames are 1.4 MB at 720p: read from the child's
 * stdout on the main thread, each frame waited in a ~200 KB socket buffer for the event loop to come
 * round several times, which a busy filter held up for tens of milliseconds, and the decoder with
 * it (bench:latency, auto at 720p: decode p50 80-320 ms). `onData` gets the bytes in order, one
 * unit (a frame) per call as expect() announces them.
 */
export class SocketReader {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private readonly ended: Promise<void>;
  private failure: string | undefined;
  private announced = 0;
  private closing = false;
  private finished = false;

  private constructor(readonly path: string, private readonly dir: string, name: string, onData: (chunk: Buffer) => void, onFailure: ((message: string) => void) | undefined) {
    const init: SocketReaderInit = { path, name };
    this.worker = new Worker(compiledWorker(import.meta.url, 'socket-reader-worker.js'), { workerData: init });
    this.worker.unref();
    liveWorkers++;
    // Once: after a failure the rest of the child's output is lost, whatever else goes wrong.
    const failed = (message: string): void => {
      if (this.failure !== undefined) return;
      this.failure = message;
      onFailure?.(message);
    };
    this.exited = new Promise((resolve) => this.worker.once('exit', (code) => {
      liveWorkers--;
      if (!this.closing && !this.finished) failed(`output thread exited (code ${code}) before the output ended`);
      resolve();
    }));
    let ended: () => void;
    this.ended = new Promise((resolve) => (ended = resolve));
    void this.exited.then(() => ended());
    this.worker.on('error', (err) => failed(`output thread failed: ${err.message}`));
    this.worker.on('message', (msg: SocketReaderReply) => {
      if (msg.type === 'data') onData(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
      else if (msg.type === 'end') {
        this.finished = true;
        ended();
      } else failed(`output socket: ${msg.message}`);
    });
  }

  /**
   * A socket path (in a fresh temporary folder) and its reader; undefined where UNIX sockets are not
   * files (Windows). `onFailure` is told, once, when the reading stops short (a socket error, the
   * thread failing or gone): what the child wrote after that is lost.
   */
  static create(name: string, onData: (chunk: Buffer) => void, onFailure?: (message: string) => void): SocketReader | undefined {
    if (process.platform === 'win32') return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'clearcast-'));
    const path = join(dir, 'out.sock');
    // A socket's path must fit sockaddr_un (108 bytes with its NUL): a long TMPDIR falls back to stdout.
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
    return new SocketReader(path, dir, name, onData, onFailure);
  }

  /** The argument that makes ffmpeg's output this socket (after the output's format options). */
  get url(): string {
    return `unix:${this.path}`;
  }

  /**
   * The next unit (a frame) is `bytes` long: the thread hands each announced unit over in one piece,
   * which the decoder then takes as the frame without a copy. Bytes never announced still come, a
   * little later (the calls' sizes depend on this, never their content).
   */
  expect(bytes: number): void {
    this.announced += bytes;
    this.worker.postMessage({ type: 'boundary', at: this.announced } satisfies SocketReaderRequest);
  }

  /** Why the reading stopped short, if it did. */
  get error(): string | undefined {
    return this.failure;
  }

  /** The child has exited: resolves once everything it wrote has been handed to onData. */
  drained(): Promise<void> {
    this.worker.postMessage({ type: 'child-gone' } satisfies SocketReaderRequest);
    return this.ended;
  }

  /** Fault injection (tests): ends the thread now, as a crash would, without telling the reader it is closing. */
  async abortThread(): Promise<void> {
    await this.worker.terminate();
  }

  /** Stops the thread and removes the socket's folder. */
  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
