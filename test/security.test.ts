import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ClearcastServer } from '../src/server.js';
import { publish } from './helpers/media.js';
import { MediaStreamTrack } from 'werift';
import { createPeer } from '../src/webrtc/peer.js';
import { listeningAddresses, udpBoundAddresses } from './helpers/resources.js';
import { captureLog, freePort, startTestServer, waitFor, type CapturedLog } from './helpers/server.js';

const PUBLISH_SECRET = 'publish-secret-5e1f';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const READ_TOKEN = 'read-token-fedcba9876543210';
const PUSH_KEY = 'platform-stream-key-77aa';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Status of a WebSocket upgrade to `url` (101 when accepted). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.on('error', () => {});
  });
}

/** A raw RTMP publish URL with a query (secret) that tests can vary. */
const withSecret = (url: string, secret: string): string => `${url}?secret=${secret}`;

describe('security: auth, secrets in logs, listeners', () => {
  let server: ClearcastServer;
  let log: CapturedLog;

  beforeAll(async () => {
    // Trace level: every line anything writes, NMS's included, is checked for secrets.
    log = captureLog('trace');
    server = await startTestServer({
      rtmp: { auth: { mode: 'on', keys: { studio: PUBLISH_SECRET } } },
      control: { requireAuth: 'on', adminToken: ADMIN_TOKEN, readToken: READ_TOKEN },
      egress: { push: { studio: [`rtmp://127.0.0.1:${await freePort()}/app/${PUSH_KEY}`] }, retryInitialDelayMs: 100, retryMaxDelayMs: 200 },
    }, log.logger);
  });

  afterAll(async () => server?.stop());

  it('binds every listener to loopback by default, WebRTC media sockets included', async () => {
    const c = server.config;
    expect(c.server.bind).toBe('127.0.0.1');
    for (const port of [c.rtmp.port, c.rtmp.httpFlvPort, c.server.httpPort]) expect(listeningAddresses(port)).toEqual(['127.0.0.1']);
    // A WHEP viewer's session: our answer offers loopback only, and its UDP socket is bound there.
    const pc = createPeer(c, ['h264']);
    pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(server.urls.whep('studio'), { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
    expect(res.status).toBe(201);
    const candidates = [...(await res.text()).matchAll(/^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ host/gm)].map((m) => ({ address: m[1]!, port: Number(m[2]) }));
    expect(candidates.length).toBeGreaterThan(0);
    for (const cand of candidates) {
      expect(cand.address).toBe('127.0.0.1');
      expect(udpBoundAddresses(cand.port)).toEqual(['127.0.0.1']);
    }
    expect((await fetch(new URL(res.headers.get('location')!, server.urls.http), { method: 'DELETE' })).status).toBe(200);
    await pc.close();
  });

  it('never writes a publish secret, bearer or control token, or push key to the log, whatever happens', async () => {
    // Right and wrong secrets over RTMP, the push relay failing against a dead destination.
    const ok = publish(withSecret(server.urls.publish('studio'), PUBLISH_SECRET), { width: 320, height: 180, seconds: 30 });
    await waitFor('authorised stream', () => server.registry.has('studio'));
    await waitFor('the relay to fail at least once', () => log.find(/push destination failed/).length > 0, 30_000);
    ok.child.kill('SIGKILL');
    const wrong = publish(withSecret(server.urls.publish('studio'), `${PUBLISH_SECRET}x`), { width: 320, height: 180, seconds: 2 });
    await wrong.waitExit();
    // WHIP with the secret as bearer (a bad offer: refused after auth), the control plane with both tokens.
    const whip = await fetch(server.urls.whip('studio'), { method: 'POST', headers: { authorization: `Bearer ${PUBLISH_SECRET}`, 'content-type': 'application/sdp' }, body: 'v=0\r\nnot really' });
    expect(whip.status).toBe(400);
    expect((await fetch(`${server.urls.http}/api/streams`, { headers: { authorization: `Bearer ${READ_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${server.urls.http}/metrics?token=${READ_TOKEN}`)).status).toBe(200);
    expect(await upgradeStatus(`${server.urls.http.replace('http', 'ws')}/control?token=${ADMIN_TOKEN}`)).toBe(101);
    expect(await upgradeStatus(`${server.urls.http.replace('http', 'ws')}/control?token=${ADMIN_TOKEN}x`)).toBe(401);
    await waitFor('stream ended', () => !server.registry.has('studio'));
    await sleep(300);

    const text = log.text();
    expect(text.length).toBeGreaterThan(2000); // the check below means something: plenty was logged
    expect(log.find(/publish refused/).length).toBeGreaterThan(0);
    for (const secret of [PUBLISH_SECRET, ADMIN_TOKEN, READ_TOKEN, PUSH_KEY]) expect(text).not.toContain(secret);
  });

  it('redacts secret-named fields even when code passes them to the logger', () => {
    server.log.info({ secret: 'field-secret-1', token: 'field-token-2', req: { headers: { authorization: 'Bearer field-auth-3' } } }, 'careless line');
    const line = log.find(/careless line/)[0]!;
    expect(JSON.stringify(line)).not.toMatch(/field-(secret|token|auth)/);
    expect(line.secret).toBe('[redacted]');
  });

  it('refuses stream keys with path tricks on every protocol', async () => {
    for (const key of ['..', '..%2Fclean%2Fx', 'a.b', 'x'.repeat(65)]) {
      const res = await fetch(`${server.urls.http}/whip/${key}`, { method: 'POST', headers: { authorization: `Bearer ${PUBLISH_SECRET}`, 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
      expect(res.status, key).toBeGreaterThanOrEqual(400); // 400 bad key; 405 where the URL itself resolves ".." away
      expect(res.status, key).toBeLessThan(500);
    }
    // RTMP: node-media-server refuses the characters itself; our admission refuses the length.
    for (const key of ['a.b', 'x'.repeat(65)]) {
      const p = publish(withSecret(`${server.urls.rtmpBase}/live/${key}`, PUBLISH_SECRET), { width: 320, height: 180, seconds: 3 });
      await p.waitExit();
      expect(p.child.exitCode).not.toBe(0);
    }
    expect(server.registry.stats()).toEqual([]);
  });
});

describe('security: stream keys named like Object.prototype members', () => {
  const PROTO_KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
  let server: ClearcastServer;

  beforeAll(async () => {
    server = await startTestServer({ rtmp: { auth: { mode: 'on', keys: { studio: PUBLISH_SECRET } } } });
  });

  afterAll(async () => server?.stop());

  it('are refused like any unknown key (once, before a fix, "constructor" crashed the server before auth)', async () => {
    for (const key of PROTO_KEYS) {
      const p = publish(withSecret(server.urls.publish(key), PUBLISH_SECRET), { width: 320, height: 180, seconds: 3 });
      await p.waitExit();
      expect(p.child.exitCode, key).not.toBe(0);
      const res = await fetch(server.urls.whip(key), { method: 'POST', headers: { authorization: `Bearer ${PUBLISH_SECRET}`, 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
      expect(res.status, key).toBe(key === '__proto__' ? 400 : 401); // reserved: not a valid key at all
    }
    expect(server.registry.stats()).toEqual([]);
    expect((await fetch(`${server.urls.http}/healthz`)).status).toBe(200);
  });

  it('are ordinary keys to the control plane (but "__proto__", which JSON drops, is reserved): state is kept per key, nothing leaks between them', async () => {
    const { ControlClient } = await import('./helpers/control-client.js');
    const c = await ControlClient.open(`ws://127.0.0.1:${server.config.server.httpPort}/control`);
    const reserved = await c.request({ type: 'regions.list', key: '__proto__' });
    expect(reserved).toMatchObject({ type: 'error', error: 'key: the stream key "__proto__" is reserved' });
    for (const key of PROTO_KEYS.filter((k) => k !== '__proto__')) {
      const added = await c.request({ type: 'region.add', key, rect: { x: 2, y: 2, width: 10, height: 10 } });
      expect(added.type, key).toBe('ack');
      const toggled = await c.request({ type: 'region.enable', key, regionId: added.regionId as string, enabled: false });
      expect(toggled.type, key).toBe('ack');
    }
    for (const key of PROTO_KEYS.filter((k) => k !== '__proto__')) {
      const listed = await c.request({ type: 'regions.list', key });
      const regions = (listed.state as { regions: { enabled: boolean }[] }).regions;
      expect(regions, key).toHaveLength(1);
      expect(regions[0]!.enabled).toBe(false);
    }
    expect((await c.request({ type: 'regions.list', key: 'other' })).state).toMatchObject({ regions: [] });
    await c.close();
  });
});

describe('security: rate limits on every HTTP endpoint', () => {
  let server: ClearcastServer;

  beforeAll(async () => {
    // One request a second (bursts of 2): slow enough that nothing refills while a test runs its requests.
    server = await startTestServer({ server: { requestsPerSecond: 1 }, webrtc: { offersPerMinute: 2 } });
  });

  afterAll(async () => server?.stop());

  /** Status of one request (raw http: fetch's connection pool must not hide a refused connection). */
  function status(method: string, path: string, body?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${server.urls.http}${path}`, { method, headers: body ? { 'content-type': 'application/sdp' } : {} }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('answers 429 on every path once a client has used its budget, and serves it again a moment later', async () => {
    const burst = await Promise.all(Array.from({ length: 8 }, () => status('GET', '/healthz')));
    expect(burst.filter((s) => s === 200)).toHaveLength(2);
    expect(burst.filter((s) => s === 429)).toHaveLength(6);
    // The bucket is per client, not per path: everything is behind it.
    for (const [method, path] of [['GET', '/'], ['GET', '/api/streams'], ['GET', '/metrics'], ['GET', '/app.js'], ['POST', '/whip/k'], ['POST', '/whep/k'], ['GET', '/no/such/path']] as const) {
      expect(await status(method, path, method === 'POST' ? 'v=0\r\n' : undefined), `${method} ${path}`).toBe(429);
    }
    expect(await upgradeStatus(`${server.urls.http.replace('http', 'ws')}/control`)).toBe(429);
    await sleep(2200);
    expect(await status('GET', '/healthz')).toBe(200);
  });

  it('limits WHIP/WHEP offers per client apart from other requests (webrtc.offersPerMinute)', async () => {
    await sleep(2200);
    // Burst of one offer (2 a minute): the first is answered (400: no real offer), the next refused
    // although the request budget (2) still allows it.
    expect(await status('POST', '/whep/k', 'v=0\r\n')).toBe(400);
    expect(await status('POST', '/whip/k', 'v=0\r\n')).toBe(429);
    await sleep(1100);
    expect(await status('GET', '/healthz')).toBe(200);
  });
});
