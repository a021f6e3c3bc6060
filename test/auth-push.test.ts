import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegProcess } from '../src/media/ffmpeg.js';
import type { ClearcastServer } from '../src/server.js';
import { probeStreams, publish } from './helpers/media.js';
import { freePort, startTestServer, waitFor } from './helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'clearcast-auth-'));

describe('publish authentication', () => {
  let server: ClearcastServer;
  beforeAll(async () => {
    server = await startTestServer({ rtmp: { auth: { mode: 'on', keys: { studio: 'correct-horse-battery' } } } });
  });
  afterAll(async () => server?.stop());

  it('refuses a missing or wrong secret and an unknown key, accepts the right one', async () => {
    for (const url of [server.urls.publish('studio'), `${server.urls.publish('studio')}?secret=wrong-secret-123`, `${server.urls.publish('stranger')}?secret=correct-horse-battery`]) {
      const p = publish(url, { width: 320, height: 180, seconds: 5 });
      await p.waitExit();
      expect(p.child.exitCode).not.toBe(0);
    }
    expect(server.registry.stats()).toHaveLength(0);
    const ok = publish(`${server.urls.publish('studio')}?secret=correct-horse-battery`, { width: 320, height: 180, seconds: 1 });
    await waitFor('authorised stream', () => server.registry.has('studio'));
    await ok.waitExit();
    expect(ok.child.exitCode).toBe(0);
  });
});

describe('push targets', () => {
  let server: ClearcastServer;
  let targetPort: number;
  beforeAll(async () => {
    targetPort = await freePort();
    server = await startTestServer({
      egress: {
        push: { relay: [`rtmp://127.0.0.1:${targetPort}/ingest/platform-key`, `rtmp://127.0.0.1:${await freePort()}/down/never`] },
        retryInitialDelayMs: 200, retryMaxDelayMs: 400,
      },
    });
  });
  afterAll(async () => server?.stop());

  it('delivers the clean stream to a destination that comes up late, while another stays down', async () => {
    const pub = publish(server.urls.publish('relay'), { width: 320, height: 180, seconds: 12 });
    await waitFor('stream running', () => server.registry.get('relay')?.stats().state === 'running');
    // The destination is down at first: the relay must keep retrying, then connect.
    await new Promise((r) => setTimeout(r, 1000));
    const out = join(dir, 'received.flv');
    const receiver = new FfmpegProcess({
      name: 'platform',
      args: ['-loglevel', 'info', '-y', '-listen', '1', '-timeout', '20', '-i', `rtmp://127.0.0.1:${targetPort}/ingest/platform-key`, '-t', '3', '-c', 'copy', out],
    });
    await receiver.waitExit();
    expect(receiver.child.exitCode, receiver.lastError()).toBe(0);
    const streams = await probeStreams(out);
    expect(streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');
    expect(Number(streams.find((s) => s.codec_type === 'video')?.nb_read_frames)).toBeGreaterThan(45);
    expect(streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');
    // The dead destination never disturbed the stream itself.
    const s = server.registry.get('relay')!.stats();
    expect(s.state).toBe('running');
    expect(s.framesEncoded).toBeGreaterThan(60);
    pub.child.kill('SIGKILL');
    await waitFor('stream end', () => !server.registry.has('relay'));
  });
});
