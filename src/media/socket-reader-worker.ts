/**
 * Worker-thread side of SocketReader: connects to the UNIX socket an ffmpeg child listens on for
 * its output and passes what arrives to the main thread, a unit (a frame) at a time: the main
 * thread announces where each unit ends (the decoder's showinfo line comes before the frame's
 * bytes). This thread's event loop does nothing else, so the child never waits on a main thread
 * busy filtering.
 */
import { connect, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { nameThread } from '../core/thread-name.js';
import type { SocketReaderInit, SocketReaderReply, SocketReaderRequest } from './socket-reader.js';

const { path, name } = workerData as SocketReaderInit;
nameThread(`cc-out-${name}`.slice(0, 15));
const port = parentPort!;
const post = (msg: SocketReaderReply, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
/** Set by the main thread once the child has exited: stop trying to connect. */
let childGone = false;
let done = false;
/** Stream offsets where the units the main thread announced end, oldest first; how far this thread has passed bytes on. */
const boundaries: number[] = [];
let passed = 0;
/** Bytes received and not passed on yet: held[0] is stream offset `passed`. */
let held: Uint8Array = new Uint8Array(0);
let filled = 0;
/** Passes on what has waited too long for its boundary (a unit the main thread never announced). */
let stale: NodeJS.Timeout | undefined;

function finish(msg?: SocketReaderReply): void {
  if (done) return;
  done = true;
  clearTimeout(stale);
  if (filled > 0) pass(filled);
  if (msg) post(msg);
  post({ type: 'end' });
  port.close();
}

function pass(n: number): void {
  const data = held.slice(0, n);
  post({ type: 'data', data }, [data.buffer]);
  held.copyWithin(0, n, filled);
  filled -= n;
  passed += n;
}

/** Passes on every whole unit held; the rest waits for its boundary, or STALE_MS. */
function flush(): void {
  for (;;) {
    // A unit the stale timer already passed on (in pieces) is behind us.
    while (boundaries.length && boundaries[0]! <= passed) boundaries.shift();
    const end = boundaries[0];
    if (end === undefined || passed + filled < end) break;
    pass(end - passed);
  }
  // Bytes nobody announces (the showinfo lines stopped coming) are not held without bound.
  if (filled > MAX_HELD_BYTES) pass(filled);
  clearTimeout(stale);
  stale = filled > 0 ? setTimeout(() => filled > 0 && pass(filled), STALE_MS) : undefined;
}

/** Two 1080p frames. */
const MAX_HELD_BYTES = 2 * 1920 * 1080 * 1.5;

/** A unit's bytes that came before the main thread announced it wait at most this long. */
const STALE_MS = 20;

port.on('message', (req: SocketReaderRequest) => {
  if (req.type === 'boundary') {
    boundaries.push(req.at);
    flush();
    return;
  }
  childGone = true;
  if (!socket) finish();
});

let socket: Socket | undefined;

function onData(chunk: Buffer): void {
  if (filled + chunk.length > held.length) {
    const bigger = new Uint8Array(2 * (filled + chunk.length));
    bigger.set(held.subarray(0, filled));
    held = bigger;
  }
  held.set(chunk, filled);
  filled += chunk.length;
  flush();
}

/** The child listens once it opens its output, which may be a while: try every few ms until then. */
function tryConnect(): void {
  if (childGone) return finish();
  const s = connect(path);
  s.once('connect', () => {
    socket = s;
    s.on('data', onData);
  });
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (socket !== s && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')) {
      setTimeout(tryConnect, 2);
      return;
    }
    finish({ type: 'error', message: err.message });
  });
  s.on('close', () => {
    if (socket === s) finish();
  });
}

tryConnect();
