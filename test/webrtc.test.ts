import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildren } from '../src/media/ffmpeg.js';
import type { ClearcastServer } from '../src/server.js';
import { BOX, decodeFrame, fractionNear, probeStreams, publish, recordHttpFlv } from './helpers/media.js';
import { startTestServer, waitFor } from './helpers/server.js';
import { whepView, whipPublish } from './helpers/webrtc.js';

const W = 640;
const H = 360;
/** Luma of the clip's solid red box (BT.601 limited range). */
const RED_Y = 82;
const SECRET = 'whip-secret-123';
const dir = mkdtempSync(join(tmpdir(), 'clearcast-webrtc-'));

/** Open UDP sockets in this process: ICE sockets of ended sessions (ours and the clients') must be closed. */
const udpSockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWRAP').length;

describe('WHIP ingest and WHEP egress (werift clients, real ffmpeg)', () => {
  let server: ClearcastServer;

  beforeAll(async () => {
    server = await startTestServer({
      rtmp: { auth: { mode: 'on', keys: { wa: SECRET, wb: SECRET, wc: SECRET, wd: SECRET, rw: SECRET, wv: SECRET } } },
      // The region is configured for the keys under test only: the filter must find it by key.
      pipeline: { filter: 'manual', regions: { '*': [], wa: [BOX], wb: [BOX], wd: [BOX], rw: [BOX], wv: [BOX] } },
      webrtc: { peerTimeoutMs: 2000 },
      // Far apart, so a viewer's quick first picture proves the keyframe-on-join path.
      encoder: { keyframeIntervalS: 10 },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('WHIP in -> WHEP out: frames arrive with the region filtered; DELETE ends both sessions', async () => {
    const key = 'wa';
    const socketsBefore = udpSockets();
    const pub = await whipPublish(server.config, server.urls.whip(key), { width: W, height: H, seconds: 60, token: SECRET, opus: true });
    expect(pub.result.status).toBe(201);
    expect(pub.result.location).toMatch(new RegExp(`^/whip/${key}/[0-9a-f-]+$`));
    const pipeline = await waitFor('pipeline running', () => server.registry.get(key)?.stats().state === 'running' && server.registry.get(key));
    const viewer = await whepView(server.config, server.urls.whep(key), { audio: true });
    expect(viewer.result.status).toBe(201);
    await waitFor('decoded frames at the viewer', () => viewer.frames.length >= 5 || undefined, 20_000);
    // The publisher's Opus is relayed to the viewer (20 ms packets: ~50 a second).
    await waitFor('Opus at the viewer', () => viewer.audioPackets() > 25 || undefined, 5000);
    const frame = viewer.frames.at(-1)!;
    expect([frame.width, frame.height]).toEqual([W, H]);
    // The red box is gone in what the viewer sees; the bars around it are intact.
    expect(fractionNear(frame.data, W, BOX, RED_Y, 12)).toBeLessThan(0.2);
    const beside = { x: BOX.x + BOX.width + 20, y: BOX.y, width: 40, height: BOX.height };
    expect(fractionNear(frame.data, W, beside, RED_Y, 12)).toBeLessThan(0.2);
    expect(pipeline.stats().framesDecoded).toBeGreaterThan(5);

    const viewerDelete = await fetch(new URL(viewer.result.location!, server.urls.http), { method: 'DELETE' });
    expect(viewerDelete.status).toBe(200);
    expect(server.whep.viewerCount(key)).toBe(0);
    await viewer.close();
    expect(await pub.stop(server.urls.http)).toBe(200);
    await waitFor('stream gone', () => !server.registry.has(key));
    await waitFor('pipeline ended', () => pipeline.stats().state === 'ended');
    await waitFor('no ffmpeg children left', () => liveChildren.size === 0 || undefined, 10_000);
    await waitFor('ICE sockets closed', () => udpSockets() <= socketsBefore || undefined, 5000);
  });

  it('VP8 WHIP in -> H.264 WHEP out: the VP8 publisher is decoded from IVF, filtered and re-encoded', async () => {
    const key = 'wv';
    const pub = await whipPublish(server.config, server.urls.whip(key), { width: W, height: H, seconds: 60, token: SECRET, codec: 'vp8' });
    expect(pub.result.status).toBe(201);
    expect(pub.result.answer).toMatch(/a=rtpmap:\d+ VP8\/90000/i);
    const pipeline = await waitFor('pipeline running', () => server.registry.get(key)?.stats().state === 'running' && server.registry.get(key), 20_000);
    const viewer = await whepView(server.config, server.urls.whep(key));
    await waitFor('decoded frames at the viewer', () => viewer.frames.length >= 5 || undefined, 20_000);
    const frame = viewer.frames.at(-1)!;
    expect([frame.width, frame.height]).toEqual([W, H]);
    expect(fractionNear(frame.data, W, BOX, RED_Y, 12)).toBeLessThan(0.2);
    // Pts survive the IVF path: the decoder's frames are matched to their arrivals (latency stats exist).
    // (The viewer can hold its 5th frame before the pipeline has booked it, so wait for a few more.)
    await waitFor('latency samples from matched pts', () => pipeline.stats().addedLatencyMs.samples >= 10 || undefined, 5000);
    await viewer.close();
    expect(await pub.stop(server.urls.http)).toBe(200);
    await waitFor('stream gone', () => !server.registry.has(key));
  });

  it('refuses a wrong token, a taken key, a non-SDP body and an oversized offer', async () => {
    const noToken = await whipPublish(server.config, server.urls.whip('wb'), { seconds: 1 });
    expect(noToken.result.status).toBe(401);
    await noToken.vanish();
    const wrong = await whipPublish(server.config, server.urls.whip('wb'), { seconds: 1, token: 'not-the-secret' });
    expect(wrong.result.status).toBe(401);
    await wrong.vanish();
    expect(server.registry.has('wb')).toBe(false);

    const first = await whipPublish(server.config, server.urls.whip('wb'), { seconds: 30, token: SECRET });
    expect(first.result.status).toBe(201);
    const second = await whipPublish(server.config, server.urls.whip('wb'), { seconds: 1, token: SECRET });
    expect(second.result.status).toBe(409);
    await second.vanish();

    const json = await fetch(server.urls.whip('wc'), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body: '{}' });
    expect(json.status).toBe(415);
    const huge = await fetch(server.urls.whip('wc'), {
      method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${SECRET}` }, body: `v=0\r\n${'a=x\r\n'.repeat(20_000)}`,
    });
    expect(huge.status).toBe(413);
    const unknown = await fetch(`${server.urls.http}/whip/wb/00000000-0000-0000-0000-000000000000`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(await first.stop(server.urls.http)).toBe(200);
    await waitFor('stream gone', () => !server.registry.has('wb'));
  });

  it('a publisher and a viewer that vanish without DELETE are ended; nothing leaks', async () => {
    const key = 'wd';
    const socketsBefore = udpSockets();
    const pub = await whipPublish(server.config, server.urls.whip(key), { width: W, height: H, seconds: 60, token: SECRET });
    await waitFor('pipeline running', () => server.registry.get(key)?.stats().state === 'running');
    const viewer = await whepView(server.config, server.urls.whep(key));
    await waitFor('frames at the viewer', () => viewer.frames.length >= 3 || undefined, 20_000);
    // Scheduled keyframes are 10 s apart here: a second viewer sees a picture this soon only because
    // its arrival asked the encoder for one.
    const joinedAt = performance.now();
    const second = await whepView(server.config, server.urls.whep(key));
    await waitFor('frames at the second viewer', () => second.frames.length >= 1 || undefined, 5000);
    expect(performance.now() - joinedAt).toBeLessThan(3000);
    expect(server.whep.viewerCount(key)).toBe(2);
    // No DELETE: the server must notice on its own; the other viewer must not notice at all.
    await viewer.close();
    await waitFor('first viewer session ended', () => server.whep.viewerCount(key) === 1 || undefined, 10_000);
    // The second viewer also loses a packet: it must get a picture again by asking (PLI), well
    // before the next scheduled keyframe, as a browser does.
    const lostAt = performance.now();
    second.loseNextVideoPacket();
    const seqAfterLoss = second.frames.at(-1)!.seq;
    await waitFor('the second viewer still receiving', () => second.frames.at(-1)!.seq > seqAfterLoss + 15 || undefined, 5000);
    expect(second.keyframeRequests()).toBeGreaterThanOrEqual(1);
    expect(performance.now() - lostAt).toBeLessThan(3000);
    expect(server.registry.get(key)?.stats().state).toBe('running');
    await second.close();
    await waitFor('second viewer session ended', () => server.whep.viewerCount(key) === 0 || undefined, 10_000);

    await pub.vanish();
    await waitFor('stream ended after the publisher vanished', () => !server.registry.has(key), 15_000);
    await waitFor('no ffmpeg children left', () => liveChildren.size === 0 || undefined, 10_000);
    await waitFor('ICE sockets closed', () => udpSockets() <= socketsBefore || undefined, 5000);
  });

  it('WHIP in -> RTMP out: clean/<key> over HTTP-FLV carries the filtered stream, its Opus as AAC', async () => {
    const key = 'rw';
    const file = join(dir, 'whip-to-rtmp.flv');
    const rec = recordHttpFlv(server.urls.cleanFlv(key), file);
    await new Promise((r) => setTimeout(r, 300));
    const pub = await whipPublish(server.config, server.urls.whip(key), { width: W, height: H, seconds: 60, token: SECRET, opus: true });
    const pipeline = await waitFor('pipeline running', () => server.registry.get(key)?.stats().state === 'running' && server.registry.get(key));
    await waitFor('60 frames encoded', () => pipeline.stats().framesEncoded >= 60 || undefined, 20_000);
    expect(await pub.stop(server.urls.http)).toBe(200);
    await waitFor('stream gone', () => !server.registry.has(key));
    await new Promise((r) => setTimeout(r, 300));
    await rec.stop();
    const video = (await probeStreams(file)).find((s) => s.codec_type === 'video')!;
    expect(video.codec_name).toBe('h264');
    expect([video.width, video.height]).toEqual([W, H]);
    expect(Number(video.nb_read_frames)).toBeGreaterThanOrEqual(50);
    const frame = await decodeFrame(file, 40);
    expect(fractionNear(frame, W, BOX, RED_Y, 12)).toBeLessThan(0.2);
    const audio = (await probeStreams(file)).find((s) => s.codec_type === 'audio');
    expect(audio?.codec_name).toBe('aac');
    expect(Number(audio?.nb_read_packets)).toBeGreaterThan(20);
    await waitFor('no Opus->AAC child left', () => ![...liveChildren].some((c) => c.spawnargs.includes('aac') && c.spawnargs.includes('-protocol_whitelist')) || undefined, 5000);
  });

  it('RTMP in -> WHEP out: an RTMP publisher\'s clean stream reaches a WHEP viewer, filtered, with its AAC as Opus', async () => {
    const key = 'rw';
    const viewer = await whepView(server.config, server.urls.whep(key), { audio: true });
    expect(viewer.result.status).toBe(201);
    // The viewer came first: the feed attaches when the RTMP stream starts.
    const pub = publish(`${server.urls.publish(key)}?secret=${SECRET}`, { width: W, height: H, seconds: 60 });
    await waitFor('decoded frames at the viewer', () => viewer.frames.length >= 5 || undefined, 20_000);
    const frame = viewer.frames.at(-1)!;
    expect([frame.width, frame.height]).toEqual([W, H]);
    expect(fractionNear(frame.data, W, BOX, RED_Y, 12)).toBeLessThan(0.2);
    // 20 ms Opus frames: 25 packets is half a second of the publisher's tone.
    await waitFor('Opus transcoded from AAC at the viewer', () => viewer.audioPackets() > 25 || undefined, 10_000);
    await viewer.close();
    pub.child.kill('SIGKILL');
    await waitFor('stream gone', () => !server.registry.has(key), 10_000);
    // The transcoder went with the stream.
    await waitFor('no AAC->Opus child left', () => ![...liveChildren].some((c) => c.spawnargs.includes('libopus')) || undefined, 5000);
    await waitFor('viewer session ended', () => server.whep.viewerCount(key) === 0 || undefined, 10_000);
  });
});
