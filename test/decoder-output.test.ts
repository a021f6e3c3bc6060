import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { VideoFrame } from '../src/core/frame.js';
import { FrameDecoder } from '../src/media/decoder.js';
import { liveSocketReaders, SocketReader } from '../src/media/socket-reader.js';
import { createServer } from 'node:net';

/** Decodes ffmpeg's test source; returns the frames and ffmpeg's exit reason. */
async function decode(outputThread: boolean, inputArgs: readonly string[]): Promise<{ frames: VideoFrame[]; exit: string }> {
  const frames: VideoFrame[] = [];
  let exit = '';
  const decoder = new FrameDecoder({
    name: 'test decoder',
    inputArgs,
    lowDelay: false,
    outputThread,
    onFrame: (f) => frames.push(f),
  });
  decoder.process.on('exit', (_code, _signal, reason) => (exit = reason));
  await decoder.finished();
  await decoder.kill();
  return { frames, exit };
}

/** A decoder of an endless real-time test source through the output thread; `seen` resolves at its first frame. */
function liveDecoder(): { decoder: FrameDecoder; seen: Promise<void>; frames: () => number } {
  let got = 0;
  let first: () => void;
  const seen = new Promise<void>((resolve) => (first = resolve));
  const decoder = new FrameDecoder({
    name: 'test decoder',
    inputArgs: ['-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30'],
    lowDelay: false,
    outputThread: true,
    onFrame: () => {
      if (got++ === 0) first();
    },
  });
  return { decoder, seen, frames: () => got };
}

const sha = (frames: readonly VideoFrame[]): string => {
  const h = createHash('sha1');
  for (const f of frames) h.update(f.data);
  return h.digest('hex');
};

describe('live decoder output through its own thread', () => {
  const source = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=1.5'];

  it('gives the same frames, in order, as through stdout, and ends its thread', async () => {
    const before = liveSocketReaders();
    const threaded = await decode(true, source);
    const piped = await decode(false, source);
    expect(threaded.frames.length).toBe(45);
    expect(threaded.frames.map((f) => f.ptsMs)).toEqual(piped.frames.map((f) => f.ptsMs));
    expect(threaded.frames.every((f) => f.width === 320 && f.height === 240 && f.data.length === 320 * 240 * 1.5)).toBe(true);
    expect(sha(threaded.frames)).toBe(sha(piped.frames));
    expect(liveSocketReaders()).toBe(before);
  });

  it('ends, thread included, when ffmpeg fails before it opens its output', async () => {
    const before = liveSocketReaders();
    const broken = await decode(true, ['-f', 'lavfi', '-i', 'no_such_source_filter']);
    expect(broken.frames).toHaveLength(0);
    expect(broken.exit).toMatch(/exited/);
    expect(liveSocketReaders()).toBe(before);
  });

  it('is stopped with its decoder mid-stream, leaving no thread behind', async () => {
    const before = liveSocketReaders();
    const { decoder, seen, frames } = liveDecoder();
    await seen;
    await decoder.kill();
    expect(frames()).toBeGreaterThan(0);
    expect(liveSocketReaders()).toBe(before);
  });
});

describe('socket reader', () => {
  it('hands over each announced unit in one piece, whatever the chunks the socket brings, and the rest at the end', async () => {
    const got: Buffer[] = [];
    const reader = SocketReader.create('test', (chunk) => got.push(Buffer.from(chunk)))!;
    const units = [1000, 2500, 700, 4096];
    const stream = Buffer.from(Array.from({ length: units.reduce((a, b) => a + b, 0) + 333 }, (_, i) => (i * 7) % 251));
    for (const u of units) reader.expect(u);
    // The child's side: listens, writes in odd chunk sizes, then goes away.
    const server = createServer((socket) => {
      let at = 0;
      const step = () => {
        if (at >= stream.length) return socket.end();
        const n = Math.min(613, stream.length - at);
        socket.write(stream.subarray(at, at + n), () => setTimeout(step, 1));
        at += n;
      };
      step();
    });
    await new Promise<void>((resolve) => server.listen(reader.path, resolve));
    await new Promise<void>((resolve) => server.once('connection', (s) => s.once('close', () => resolve())));
    await reader.drained();
    server.close();
    await reader.close();
    expect(got.map((b) => b.length).slice(0, units.length)).toEqual(units);
    expect(Buffer.concat(got).equals(stream)).toBe(true);
    expect(reader.error).toBeUndefined();
  });

  it('says once, with the reason, when its thread ends before the output did, and keeps what came before', async () => {
    const failures: string[] = [];
    const got: Buffer[] = [];
    const reader = SocketReader.create('test', (chunk) => got.push(Buffer.from(chunk)), (message) => failures.push(message))!;
    reader.expect(1000);
    let connected: () => void;
    const open = new Promise<void>((resolve) => (connected = resolve));
    // The child's side writes one whole unit and stays connected.
    const server = createServer((socket) => socket.write(Buffer.alloc(1000, 7), () => connected()));
    await new Promise<void>((resolve) => server.listen(reader.path, resolve));
    await open;
    while (got.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await reader.abortThread();
    await reader.close();
    server.close();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^output thread exited \(code \d+\) before the output ended$/);
    expect(reader.error).toBe(failures[0]);
    expect(Buffer.concat(got).equals(Buffer.alloc(1000, 7))).toBe(true);
  });
});

describe('a decoder whose output reader fails', () => {
  it('is stopped with the reader\'s reason (the pipeline reports it), not ffmpeg\'s broken pipe', async () => {
    const before = liveSocketReaders();
    const { decoder, seen } = liveDecoder();
    const exit = new Promise<string>((resolve) => decoder.process.on('exit', (_code, _signal, reason) => resolve(reason)));
    await seen;
    // The reader's thread gone mid-stream, as a crash would leave it.
    await decoder.outputReader!.abortThread();
    expect(await exit).toMatch(/^test decoder stopped: output thread/);
    await decoder.kill();
    expect(liveSocketReaders()).toBe(before);
  });
});
