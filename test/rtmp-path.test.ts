import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClearcastServer } from '../src/server.js';
import { BOX, decodeFrame, lumaDiff, packetTimes, probeStreams, publish, recordHttpFlv } from './helpers/media.js';
import { startTestServer, waitFor } from './helpers/server.js';

const W = 640;
const H = 360;
const dir = mkdtempSync(join(tmpdir(), 'clearcast-rtmp-'));

describe('live RTMP path (real ffmpeg publisher, real node-media-server)', () => {
  let server: ClearcastServer;

  beforeAll(async () => {
    server = await startTestServer({ pipeline: { filter: 'manual', regions: { '*': [BOX] } } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('filters the region, keeps the rest, keeps every frame and the audio in sync', async () => {
    const key = 'alpha';
    const cleanFile = join(dir, 'clean.flv');
    const liveFile = join(dir, 'live.flv');
    // Players attach before the publisher so they see the stream from its first frame.
    const cleanRec = recordHttpFlv(server.urls.cleanFlv(key), cleanFile);
    const liveRec = recordHttpFlv(server.urls.cleanFlv(key).replace('/clean/', '/live/'), liveFile);
    await new Promise((r) => setTimeout(r, 500));
    const pub = publish(server.urls.publish(key), { width: W, height: H, seconds: 4 });
    const pipeline = await waitFor('stream to start', () => server.registry.get(key));
    await pub.waitExit();
    expect(pub.child.exitCode).toBe(0);
    // The pipeline drains (frames in flight are not lost), then the clean path goes idle.
    await waitFor('stream to end', () => !server.registry.has(key));
    await waitFor('pipeline to drain', () => pipeline.stats().state === 'ended');
    const finalStats = pipeline.stats();
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all([cleanRec.stop(), liveRec.stop()]);

    const streams = await probeStreams(cleanFile);
    const video = streams.find((s) => s.codec_type === 'video')!;
    const audio = streams.find((s) => s.codec_type === 'audio');
    expect(video.codec_name).toBe('h264');
    expect([video.width, video.height]).toEqual([W, H]);
    const frames = Number(video.nb_read_frames);
    // Every frame the pipeline encoded reached the viewer, and every decoded frame is accounted for.
    expect(frames).toBe(finalStats!.framesEncoded);
    expect(finalStats!.framesEncoded + finalStats!.dropped).toBe(finalStats!.framesDecoded);
    expect(Math.abs(frames - 120)).toBeLessThanOrEqual(3);
    expect(audio?.codec_name).toBe('aac');
    expect(Number(audio?.nb_read_packets)).toBeGreaterThan(150); // 4 s of AAC at 48 kHz is ~188 packets

    // Sync: audio and video of the clean stream cover the same span of the source timeline.
    const vt = await packetTimes(cleanFile, 'v');
    const at = await packetTimes(cleanFile, 'a');
    expect(Math.abs(vt[0]! - at[0]!)).toBeLessThan(0.1);
    expect(Math.abs(Math.max(...vt) - Math.max(...at))).toBeLessThan(0.2);

    // The scene is static: any clean frame can be compared with any original frame.
    const clean = await decodeFrame(cleanFile, 60);
    const original = await decodeFrame(liveFile, 60);
    const d = lumaDiff(clean, original, W, H, BOX);
    expect(d.inside).toBeGreaterThan(20);
    expect(d.outside).toBeLessThan(2.5);
  });

  it('ends a vanished publisher\'s pipeline and accepts the same key again at once', async () => {
    const key = 'bravo';
    const first = publish(server.urls.publish(key), { width: W, height: H, seconds: 30 });
    await waitFor('first publish to run', () => server.registry.get(key)?.stats().state === 'running');
    first.child.kill('SIGKILL'); // no RTMP goodbye: the TCP connection just drops
    await waitFor('pipeline to be torn down', () => !server.registry.has(key), 10_000);

    const cleanFile = join(dir, 'republish.flv');
    const rec = recordHttpFlv(server.urls.cleanFlv(key), cleanFile);
    const second = publish(server.urls.publish(key), { width: W, height: H, seconds: 2 });
    await second.waitExit();
    expect(second.child.exitCode).toBe(0);
    await waitFor('second pipeline to end', () => !server.registry.has(key));
    await new Promise((r) => setTimeout(r, 300));
    await rec.stop();
    const video = (await probeStreams(cleanFile)).find((s) => s.codec_type === 'video')!;
    expect(Number(video.nb_read_frames)).toBeGreaterThan(40);
  });

  it('a failing stream and garbage on the RTMP port leave another stream running', async () => {
    const healthy = publish(server.urls.publish('steady'), { width: W, height: H, seconds: 30 });
    const doomed = publish(server.urls.publish('doomed'), { width: W, height: H, seconds: 30 });
    await waitFor('both streams running', () =>
      server.registry.get('steady')?.stats().state === 'running' && server.registry.get('doomed')?.stats().state === 'running');

    // Garbage: a client that speaks no RTMP at all; NMS may wait for more bytes, so we hang up ourselves.
    await new Promise<void>((resolve) => {
      const sock = connect(server.config.rtmp.port, '127.0.0.1', () => sock.write(Buffer.alloc(4096, 0x5a)));
      const t = setTimeout(() => sock.destroy(), 1000);
      sock.on('close', () => { clearTimeout(t); resolve(); });
      sock.on('error', () => {});
    });

    // A decoder crash in one stream (fault injection on its real ffmpeg child).
    const decoderPid = server.registry.get('doomed')!.childPids().decoder;
    expect(decoderPid).toBeTypeOf('number');
    process.kill(decoderPid!, 'SIGKILL');
    await waitFor('failed stream to be removed', () => !server.registry.has('doomed'));
    // Its publisher was disconnected with the pipeline.
    await doomed.waitExit();

    const before = server.registry.get('steady')!.stats().framesEncoded;
    await new Promise((r) => setTimeout(r, 1500));
    const after = server.registry.get('steady')!.stats();
    expect(after.state).toBe('running');
    expect(after.framesEncoded - before).toBeGreaterThan(30);
    healthy.child.kill('SIGKILL');
    await waitFor('steady to end', () => !server.registry.has('steady'));
  });

  it('survives a publisher sending corrupt video, and the next stream is served normally', async () => {
    const bad = publish(server.urls.publish('garbled'), { width: W, height: H, seconds: 3, corrupt: 50 });
    await waitFor('garbled stream to start', () => server.registry.has('garbled'));
    await bad.waitExit();
    await waitFor('garbled stream to end', () => !server.registry.has('garbled'), 10_000);
    const health = await fetch(`http://127.0.0.1:${server.config.server.httpPort}/healthz`);
    expect(health.status).toBe(200);

    const good = publish(server.urls.publish('after'), { width: W, height: H, seconds: 2 });
    const pipeline = await waitFor('next stream', () => server.registry.get('after'));
    await good.waitExit();
    expect(good.child.exitCode).toBe(0);
    await waitFor('next stream to drain', () => pipeline.stats().state === 'ended');
    expect(pipeline.stats().framesEncoded).toBeGreaterThan(55);
  });

  it('refuses publishing to the clean path and unknown applications', async () => {
    const base = server.urls.rtmpBase;
    for (const url of [`${base}/clean/intruder`, `${base}/other/intruder`]) {
      const p = publish(url, { width: W, height: H, seconds: 5 });
      await p.waitExit();
      expect(p.child.exitCode).not.toBe(0);
    }
    expect(server.registry.has('intruder')).toBe(false);
  });
});
