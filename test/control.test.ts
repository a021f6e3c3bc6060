import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FfmpegProcess } from '../src/media/ffmpeg.js';
import type { ClearcastServer } from '../src/server.js';
import { ControlClient, type Msg } from './helpers/control-client.js';
import { BOX, publish } from './helpers/media.js';
import { startTestServer, waitFor } from './helpers/server.js';

const ADMIN = 'admin-token-0123456789';
const READ = 'read-token-0123456789ab';

const controlUrl = (s: ClearcastServer, query = ''): string => `ws://127.0.0.1:${s.config.server.httpPort}/control${query}`;
const stateOf = (m: Msg): { regions: { id: string; enabled: boolean; source: string; kind: string; rect: unknown }[]; bypass: boolean; settings: Record<string, unknown> } => m.state as never;

describe('control WebSocket on a loopback server (no token needed)', () => {
  let server: ClearcastServer;
  let dataDir: string;
  let a: ControlClient;
  let b: ControlClient;
  let pub: FfmpegProcess | undefined;

  beforeAll(async () => {
    server = await startTestServer({ pipeline: { filter: 'manual', regions: { '*': [BOX] } } });
    dataDir = server.config.server.dataDir;
    a = await ControlClient.open(controlUrl(server));
    b = await ControlClient.open(controlUrl(server));
  });

  afterAll(async () => {
    pub?.child.kill('SIGKILL');
    await a?.close();
    await b?.close();
    await server?.stop();
  });

  it('greets with the role and lists streams', async () => {
    const welcome = await a.next((m) => m.type === 'welcome');
    expect(welcome.role).toBe('admin');
    expect(welcome.v).toBe(1);
    const ack = await a.request({ type: 'streams.list' });
    expect(ack).toMatchObject({ type: 'ack', request: 'streams.list', streams: [] });
  });

  it('answers malformed messages with an error naming the problem and stays up', async () => {
    a.sendRaw('{not json');
    expect((await a.next((m) => m.type === 'error' && m.error === 'not JSON')).error).toBe('not JSON');
    const version = await a.request({ v: 2, type: 'streams.list' });
    expect(version.error).toMatch(/^v: protocol version 1 expected, got 2/);
    const unknown = await a.request({ type: 'explode' });
    expect(unknown.type).toBe('error');
    expect(unknown.error).toMatch(/^type:/);
    const badRect = await a.request({ type: 'region.add', key: 'x', rect: { x: -5, y: 0, width: 10, height: 10 } });
    expect(badRect.error).toMatch(/^rect\.x:/);
    const badKey = await a.request({ type: 'regions.list', key: '../etc' });
    expect(badKey.error).toMatch(/^key:/);
    const extra = await a.request({ type: 'bypass', key: 'x', on: true, sneaky: 1 });
    expect(extra.error).toMatch(/sneaky/);
    a.sendRaw(Buffer.from([1, 2, 3]));
    await a.next((m) => m.type === 'error' && /binary/.test(String(m.error)));
    expect((await a.request({ type: 'streams.list' })).type).toBe('ack');
  });

  it('refuses oversized messages: ours with an error reply, huge ones by closing only that connection', async () => {
    const big = JSON.stringify({ v: 1, id: 'big', type: 'settings.set', key: 'x', settings: { note: 'y'.repeat(100) }, pad: 'z'.repeat(20_000) });
    a.sendRaw(big);
    const err = await a.next((m) => m.type === 'error' && /exceeds the limit/.test(String(m.error)));
    expect(err.error).toMatch(/^message of \d+ bytes exceeds the limit of 16384 bytes$/);
    expect((await a.request({ type: 'streams.list' })).type).toBe('ack');

    const victim = await ControlClient.open(controlUrl(server));
    const closed = new Promise<number>((resolve) => victim.ws.once('close', (code) => resolve(code)));
    victim.sendRaw('x'.repeat(2 << 20));
    expect(await closed).toBe(1009);
    expect((await b.request({ type: 'streams.list' })).type).toBe('ack');
  });

  it('steers a live stream: regions, toggles, bypass, settings; acked, broadcast, persisted', async () => {
    const key = 'ctl';
    pub = publish(server.urls.publish(key), { seconds: 60, audio: false });
    const pipeline = await waitFor('stream running', () => server.registry.get(key)?.stats().state === 'running' ? server.registry.get(key) : undefined);

    const sub = await a.request({ type: 'subscribe', key, thumbnails: true });
    expect(sub.live).toBe(true);
    // The first stats message may predate the first measured second: wait for one with a rate.
    const stats = await a.next((m) => m.type === 'stats' && m.key === key && (m.stats as { fpsIn: number }).fpsIn > 0);
    expect((stats.stats as { fpsIn: number }).fpsIn).toBeGreaterThan(0);
    const thumb = await a.next((m) => m.type === 'thumbnail' && m.key === key, 8000);
    expect(thumb).toMatchObject({ width: 640, height: 360 });
    expect(String(thumb.before)).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(String(thumb.after)).toMatch(/^data:image\/jpeg;base64,\/9j\//);

    const listed = stateOf(await b.request({ type: 'regions.list', key }));
    expect(listed.regions).toEqual([{ id: 'manual-0', kind: 'manual', source: 'config', rect: { x: BOX.x, y: BOX.y, width: BOX.width, height: BOX.height }, enabled: true }]);

    // The toggle: acknowledged to the sender, broadcast to the other client, given to the filter, on disk.
    const off = await a.request({ type: 'region.enable', key, regionId: 'manual-0', enabled: false });
    expect(stateOf(off).regions[0]!.enabled).toBe(false);
    const seen = await b.next((m) => m.type === 'state' && m.key === key && stateOf(m).regions[0]?.enabled === false);
    expect(seen.key).toBe(key);
    expect(server.controls.manualRegions(key)[0]!.enabled).toBe(false);
    const disk = JSON.parse(readFileSync(join(dataDir, 'control-state.json'), 'utf8')) as { streams: Record<string, { overrides: Record<string, boolean> }> };
    expect(disk.streams[key]!.overrides['manual-0']).toBe(false);

    const added = await a.request({ type: 'region.add', key, rect: { x: 10, y: 10, width: 40, height: 20 } });
    const id = String(added.regionId);
    expect(id).toMatch(/^m-/);
    await a.request({ type: 'region.move', key, regionId: id, rect: { x: 20, y: 30, width: 40, height: 20 } });
    expect(server.controls.manualRegions(key).find((r) => r.id === id)!.rect).toEqual({ x: 20, y: 30, width: 40, height: 20 });
    const zone = await a.request({ type: 'region.add', key, rect: { x: 400, y: 200, width: 100, height: 50 }, exclusion: true });
    expect(stateOf(zone).regions.find((r) => r.id === zone.regionId)!.kind).toBe('exclusion');
    const removed = await a.request({ type: 'region.remove', key, regionId: id });
    expect(stateOf(removed).regions.map((r) => r.id)).not.toContain(id);
    const notOurs = await a.request({ type: 'region.remove', key, regionId: 'manual-0' });
    expect(notOurs.error).toMatch(/comes from the config file/);
    const missing = await a.request({ type: 'region.enable', key, regionId: 'nope', enabled: true });
    expect(missing.error).toMatch(/no region "nope"/);

    const settings = await a.request({ type: 'settings.set', key, settings: { sensitivity: 0.7, detection: false } });
    expect(stateOf(settings).settings).toEqual({ sensitivity: 0.7, detection: false });
    await a.request({ type: 'bypass', key, on: true });
    await waitFor('bypass applied', () => pipeline!.stats().bypass);
    expect(server.registry.get(key)!.stats().state).toBe('running');
    await a.request({ type: 'bypass', key, on: false });
    expect(pipeline!.stats().bypass).toBe(false);
    pub.child.kill('SIGKILL');
    await waitFor('stream gone', () => !server.registry.has(key), 10_000);
  });

  it('keeps the changes across a restart and applies them when the key publishes again', async () => {
    const key = 'ctl';
    await a.request({ type: 'bypass', key, on: true });
    await a.close();
    await b.close();
    await server.stop();
    server = await startTestServer({ server: { dataDir }, pipeline: { filter: 'manual', regions: { '*': [BOX] } } });
    a = await ControlClient.open(controlUrl(server));
    b = await ControlClient.open(controlUrl(server));
    const state = stateOf(await a.request({ type: 'regions.list', key }));
    expect(state.regions.find((r) => r.id === 'manual-0')!.enabled).toBe(false);
    expect(state.regions.some((r) => r.kind === 'exclusion')).toBe(true);
    expect(state.bypass).toBe(true);
    pub = publish(server.urls.publish(key), { seconds: 30, audio: false });
    const pipeline = await waitFor('republished stream', () => server.registry.get(key));
    // Applied before the first frame: bypass from the start, and the config region arrives disabled.
    expect(pipeline.stats().bypass).toBe(true);
    expect(server.controls.manualRegions(key)[0]!.enabled).toBe(false);
    pub.child.kill('SIGKILL');
    await waitFor('stream gone', () => !server.registry.has(key), 10_000);
  });
});

describe('control WebSocket with tokens required', () => {
  let server: ClearcastServer;

  beforeAll(async () => {
    server = await startTestServer({ control: { requireAuth: 'on', adminToken: ADMIN, readToken: READ, messagesPerSecond: 5 } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses connections without a valid token', async () => {
    await expect(ControlClient.open(controlUrl(server))).rejects.toThrow('HTTP 401');
    await expect(ControlClient.open(controlUrl(server, '?token=wrong-token-123456789'))).rejects.toThrow('HTTP 401');
    const metrics = await fetch(`${server.urls.http}/metrics`);
    expect(metrics.status).toBe(401);
    const api = await fetch(`${server.urls.http}/api/streams`);
    expect(api.status).toBe(401);
    const withRead = await fetch(`${server.urls.http}/metrics`, { headers: { authorization: `Bearer ${READ}` } });
    expect(withRead.status).toBe(200);
  });

  it('lets a read-only token watch but not change anything', async () => {
    const ro = await ControlClient.open(controlUrl(server, `?token=${READ}`));
    expect((await ro.next((m) => m.type === 'welcome')).role).toBe('read');
    expect((await ro.request({ type: 'regions.list', key: 'k' })).type).toBe('ack');
    for (const body of [
      { type: 'region.add', key: 'k', rect: { x: 0, y: 0, width: 10, height: 10 } },
      { type: 'bypass', key: 'k', on: true },
      { type: 'settings.set', key: 'k', settings: { sensitivity: 1 } },
    ]) {
      const reply = await ro.request(body);
      expect(reply.error).toBe(`forbidden: "${body.type}" needs the admin token; this connection is read-only`);
    }
    expect(server.controls.view('k').regions).toEqual([]);
    expect(server.controls.view('k').bypass).toBe(false);
    await ro.close();
  });

  it('accepts the admin token as a Bearer header', async () => {
    const admin = await ControlClient.open(controlUrl(server), { authorization: `Bearer ${ADMIN}` });
    expect((await admin.next((m) => m.type === 'welcome')).role).toBe('admin');
    const ack = await admin.request({ type: 'bypass', key: 'k', on: true });
    expect(ack.type).toBe('ack');
    await admin.close();
  });

  it('rate-limits a flooding client with error replies and serves it again afterwards', async () => {
    const c = await ControlClient.open(controlUrl(server, `?token=${READ}`));
    for (let i = 0; i < 30; i++) c.sendRaw(JSON.stringify({ v: 1, id: `f${i}`, type: 'streams.list' }));
    await waitFor('30 replies', () => c.messages.filter((m) => m.type !== 'welcome').length >= 30 || undefined);
    const replies = c.messages.filter((m) => m.type !== 'welcome');
    const limited = replies.filter((m) => m.type === 'error');
    expect(limited.length).toBeGreaterThan(15);
    expect(limited[0]!.error).toBe('rate limit: at most 5 messages per second');
    await new Promise((r) => setTimeout(r, 1200));
    expect((await c.request({ type: 'streams.list' })).type).toBe('ack');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await c.close();
  });
});
