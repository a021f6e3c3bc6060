import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MediaStreamTrack } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_PATH, deepMerge, envOverrides, loadConfig, setOverrides, validateConfig } from '../src/config/load.js';
import { parseClientMessage, PROTOCOL_VERSION } from '../src/control/protocol.js';
import { H264Depacketizer } from '../src/ingest/whip/h264-depacketizer.js';
import { MAX_PICTURE_BYTES } from '../src/ingest/whip/rtp-sequence.js';
import { Vp8Depacketizer } from '../src/ingest/whip/vp8-depacketizer.js';
import type { ClearcastServer } from '../src/server.js';
import { inspectFlvTag } from '../src/stream/flv-tags.js';
import { announceAddress, createPeer } from '../src/webrtc/peer.js';
import { ControlClient } from './helpers/control-client.js';
import { startTestServer, waitFor } from './helpers/server.js';

/**
 * Property-based tests (fast-check): the parsers that face the network and the operator are fed
 * generated input, valid and not, and must answer every case the documented way: a value, or a
 * clear refusal, never a crash. A failure prints the seed and the shrunk counterexample.
 */

/** Names that are valid keys and ids yet live on Object.prototype: records keyed by them must not break. */
const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const notProto = (s: string): boolean => s !== '__proto__';
const streamKey = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/).filter(notProto), fc.constantFrom(...PROTOTYPE_NAMES));
const regionId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/).filter(notProto), fc.constantFrom(...PROTOTYPE_NAMES));
const rect = fc.record({
  x: fc.integer({ min: 0, max: 8192 }), y: fc.integer({ min: 0, max: 8192 }),
  width: fc.integer({ min: 2, max: 8192 }), height: fc.integer({ min: 2, max: 8192 }),
});
const messageId = fc.option(fc.oneof(fc.string({ maxLength: 64 }), fc.integer()), { nil: undefined });
const settings = fc.dictionary(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,39}$/),
  fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string({ maxLength: 200 })),
  { maxKeys: 32 },
);

/** Every message a client may send, valid by construction. */
const validMessage: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('streams.list') }),
  fc.record({ type: fc.constant('subscribe'), key: streamKey, thumbnails: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.record({ type: fc.constant('unsubscribe'), key: streamKey }),
  fc.record({ type: fc.constant('regions.list'), key: streamKey }),
  fc.record({ type: fc.constant('region.enable'), key: streamKey, regionId, enabled: fc.boolean() }),
  fc.record({ type: fc.constant('region.add'), key: streamKey, rect, exclusion: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.record({ type: fc.constant('region.move'), key: streamKey, regionId, rect }),
  fc.record({ type: fc.constant('region.remove'), key: streamKey, regionId }),
  fc.record({ type: fc.constant('bypass'), key: streamKey, on: fc.boolean() }),
  fc.record({ type: fc.constant('settings.set'), key: streamKey, settings }),
).chain((m) => messageId.map((id) => ({ v: PROTOCOL_VERSION, ...(id !== undefined ? { id } : {}), ...m })));

/** JSON text as a client would send it (undefined fields dropped, -0 as 0). */
const wire = (m: unknown): string => JSON.stringify(m);

describe('property: control protocol parsing', () => {
  it('never throws, whatever the text; a refusal is one readable line', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue().map(wire)), (text) => {
      const r = parseClientMessage(text);
      if (!r.ok) {
        expect(r.error.length).toBeGreaterThan(0);
        expect(r.error.length).toBeLessThan(1000);
        expect(r.error).not.toContain('\n');
      }
    }), { numRuns: 500 });
  });

  it('accepts every valid message and reads it back unchanged', () => {
    fc.assert(fc.property(validMessage, (m) => {
      const r = parseClientMessage(wire(m));
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.message).toEqual(JSON.parse(wire(m)));
    }), { numRuns: 500 });
  });

  it('refuses a field out of range or of the wrong type, naming that field, and echoes the id', () => {
    const badCoord = fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 8193 }), fc.double({ min: 0.1, max: 100, noInteger: true }), fc.string(), fc.boolean());
    fc.assert(fc.property(streamKey, fc.constantFrom('x', 'y', 'width', 'height'), badCoord, rect, fc.integer(), (key, field, bad, r, id) => {
      const res = parseClientMessage(wire({ v: 1, id, type: 'region.add', key, rect: { ...r, [field]: bad } }));
      expect(res.ok).toBe(false);
      if (!res.ok) {
        expect(res.error).toMatch(new RegExp(`^rect\\.${field}: `));
        expect(res.id).toBe(id);
      }
    }), { numRuns: 300 });
  });

  it('refuses unknown fields, unknown types and other protocol versions', () => {
    fc.assert(fc.property(validMessage, fc.stringMatching(/^[a-z]{3,12}$/), fc.jsonValue(), (m, extra, value) => {
      fc.pre(!(extra in m));
      expect(parseClientMessage(wire({ ...m, [extra]: value })).ok).toBe(false);
    }), { numRuns: 200 });
    fc.assert(fc.property(validMessage, fc.string(), (m, type) => {
      fc.pre(!['streams.list', 'subscribe', 'unsubscribe', 'regions.list', 'region.enable', 'region.add', 'region.move', 'region.remove', 'bypass', 'settings.set'].includes(type));
      expect(parseClientMessage(wire({ ...m, type })).ok).toBe(false);
    }), { numRuns: 200 });
    fc.assert(fc.property(validMessage, fc.jsonValue(), (m, v) => {
      fc.pre(v !== PROTOCOL_VERSION);
      const r = parseClientMessage(wire({ ...m, v }));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/^v: protocol version 1 expected/);
    }), { numRuns: 200 });
  });
});

describe('property: the live control socket', () => {
  let server: ClearcastServer;
  let client: ControlClient;

  beforeAll(async () => {
    server = await startTestServer({ control: { messagesPerSecond: 1000 } });
    client = await ControlClient.open(`ws://127.0.0.1:${server.config.server.httpPort}/control`);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('answers every frame, valid or not, with exactly one ack or error (never "internal error"), and stays open', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.oneof(validMessage.map(wire), fc.string({ unit: 'binary', maxLength: 300 }), fc.jsonValue().map(wire)), async (text) => {
      // Tag each frame so its reply can be found: an id is added to JSON objects, other text is sent alone.
      const tag = `p${n++}`;
      let frame = text;
      try {
        const obj: unknown = JSON.parse(text);
        if (obj && typeof obj === 'object' && !Array.isArray(obj)) frame = JSON.stringify({ ...obj, id: tag });
      } catch { /* not JSON: sent as is */ }
      const before = client.messages.filter((m) => m.type === 'ack' || m.type === 'error').length;
      client.sendRaw(frame);
      await waitFor('a reply', () => client.messages.filter((m) => m.type === 'ack' || m.type === 'error').length > before, 3000, 2);
      const replies = client.messages.filter((m) => m.type === 'ack' || m.type === 'error');
      expect(replies).toHaveLength(before + 1);
      if (frame !== text) expect(replies.at(-1)!.id).toBe(tag);
      expect(replies.at(-1)!.error).not.toBe('internal error');
    }), { numRuns: 200 });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect((await client.request({ type: 'streams.list' })).type).toBe('ack');
  });
});

describe('property: WHIP/WHEP offers over HTTP', () => {
  let server: ClearcastServer;
  let offer: string;

  beforeAll(async () => {
    server = await startTestServer({ server: { requestsPerSecond: 10_000 }, webrtc: { offersPerMinute: 100_000, connectTimeoutMs: 1000 } });
    const pc = createPeer(server.config, ['h264']);
    pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    offer = pc.localDescription!.sdp;
    await pc.close();
  });

  afterAll(async () => server?.stop());

  /** Ways a real offer gets mangled: lines lost, repeated, replaced, the text cut short or spliced with noise. */
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('repeat' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 80 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('noise' as const), at: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 20 }) }),
  );

  function mangle(sdp: string, ops: { op: string; at: number; text?: string }[]): string {
    let lines = sdp.split('\r\n');
    for (const m of ops) {
      const i = m.at % Math.max(1, lines.length);
      if (m.op === 'drop') lines = lines.filter((_, j) => j !== i || i === 0);
      else if (m.op === 'repeat') lines.splice(i, 0, lines[i] ?? '');
      else if (m.op === 'replace' && i > 0) lines[i] = m.text!;
      else if (m.op === 'truncate') lines = lines.join('\r\n').slice(0, Math.max(4, m.at % sdp.length)).split('\r\n');
      else if (m.op === 'noise') {
        const line = lines[i] ?? '';
        const k = m.at % (line.length + 1);
        lines[i] = line.slice(0, k) + m.text! + line.slice(k);
      }
    }
    return lines.join('\r\n');
  }

  it('a mangled offer is answered (201) or refused with a 4xx and a reason; never a 5xx, nothing left running', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(fc.constantFrom('whip', 'whep'), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (kind, ops) => {
      const body = mangle(offer, ops);
      const res = await fetch(`${server.urls.http}/${kind}/fuzz`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect([201, 400, 409]).toContain(res.status);
      if (res.status === 201) {
        // An answered offer can still fail at once (a mangled fingerprint or candidate fails ICE/DTLS
        // after the answer): the session is then already gone, and DELETE says so.
        const del = await fetch(new URL(res.headers.get('location')!, server.urls.http), { method: 'DELETE' });
        expect([200, 404]).toContain(del.status);
        if (del.status === 404) expect(await del.text()).toMatch(/no WHIP session|no WHEP session/);
      } else {
        expect(text.length).toBeGreaterThan(0);
      }
    }), { numRuns: 40 });
    // Both kinds of outcome were exercised: the mutations are neither all harmless nor all fatal.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    await waitFor('every session gone', () => server.registry.stats().length === 0 || undefined, 10_000);
    expect((await fetch(`${server.urls.http}/healthz`)).status).toBe(200);
  });

  it('a publisher that posts again right after DELETE is accepted: the draining stream hands over its clean path', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.urls.http}/whip/again`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: offer });
      expect(res.status, await res.text()).toBe(201);
      // The next offer goes in while this stream still drains (DELETE answers once the drain is done).
      const del = fetch(new URL(res.headers.get('location')!, server.urls.http), { method: 'DELETE' });
      await waitFor('the key free again', () => !server.registry.has('again') || undefined, 5000, 1);
      const next = await fetch(`${server.urls.http}/whip/again`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: offer });
      expect(next.status, await next.text()).toBe(201);
      expect((await del).status).toBe(200);
      expect((await fetch(new URL(next.headers.get('location')!, server.urls.http), { method: 'DELETE' })).status).toBe(200);
    }
    await waitFor('every session gone', () => server.registry.stats().length === 0 || undefined, 10_000);
  });

  it('any body, content type and size gets a 4xx with a reason', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('application/sdp', 'text/plain', 'application/json', ''),
      fc.oneof(fc.string({ unit: 'binary', maxLength: 2000 }), fc.constant('v=0\r\n'.padEnd(40_000, 'a'))),
      async (type, body) => {
        const res = await fetch(`${server.urls.http}/whip/fuzz`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect((await res.text()).length).toBeGreaterThan(0);
      }), { numRuns: 60 });
  });
});

describe('property: RTP and FLV input parsing', () => {
  const packet = fc.record({
    header: fc.record({ sequenceNumber: fc.integer({ min: 0, max: 0xffff }), timestamp: fc.integer({ min: 0, max: 0xffffffff }), marker: fc.boolean() }),
    payload: fc.uint8Array({ maxLength: 1400 }).map((a) => Buffer.from(a)),
  });

  it('depacketizers take any packet sequence without throwing, and emit only what they were sent', () => {
    fc.assert(fc.property(fc.array(packet, { maxLength: 80 }), (packets) => {
      const sent = packets.reduce((n, p) => n + p.payload.length, 0);
      let out = 0;
      const h264 = new H264Depacketizer((u) => { out += u.nals.reduce((n, b) => n + b.length, 0); }, () => {});
      const vp8 = new Vp8Depacketizer((f) => { expect(f.data.length).toBeLessThanOrEqual(sent); }, () => {});
      for (const p of packets) {
        h264.push(p);
        vp8.push(p);
      }
      // FU-A adds one header byte per NAL it rebuilds from (at least) two bytes of payload.
      expect(out).toBeLessThanOrEqual(sent);
    }), { numRuns: 300 });
  });

  it('a picture that never ends is dropped at MAX_PICTURE_BYTES, not held', () => {
    let losses = 0;
    const d = new H264Depacketizer(() => {}, () => { losses++; });
    const payload = Buffer.alloc(1400, 0x41); // single-NAL packets, never a marker, one timestamp
    for (let seq = 0; seq * payload.length <= MAX_PICTURE_BYTES + 10 * payload.length; seq++) {
      d.push({ header: { sequenceNumber: seq & 0xffff, timestamp: 1, marker: false }, payload });
      expect(d.pendingBytes).toBeLessThanOrEqual(MAX_PICTURE_BYTES);
    }
    expect(losses).toBe(1);
  });

  it('FLV tag inspection reads any bytes without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const info = inspectFlvTag(Buffer.from(bytes));
      expect(Number.isFinite(info.dts) && Number.isFinite(info.pts)).toBe(true);
    }), { numRuns: 500 });
  });

  it('an announced ICE address rewrites host candidates only, leaving every other line as it was', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 60 }).filter((l) => !l.includes('\r\n')),
      fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `a=candidate:1 1 udp 2130706431 ${ip} ${port} typ host`),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
      const out = announceAddress(lines.join('\r\n'), '203.0.113.10').split('\r\n');
      const untouched = lines.filter((l) => !/^a=candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ host/.test(l));
      for (const l of untouched) expect(out).toContain(l);
      for (const l of out.filter((x) => / typ host/.test(x) && x.startsWith('a=candidate:'))) expect(l).toMatch(/ (203\.0\.113\.10|127\.0\.0\.1|::1) \d+ typ host/);
    }), { numRuns: 300 });
  });
});

describe('property: configuration', () => {
  const defaults = parseYaml(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  const dir = mkdtempSync(join(tmpdir(), 'clearcast-prop-config-'));

  /** Every leaf path of the defaults ("rtmp.port"), the keys an override may set. */
  const leaves: string[] = [];
  (function walk(node: unknown, path: string[]): void {
    if (node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length) {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    } else leaves.push(path.join('.'));
  })(defaults, []);

  const setAt = (path: string, value: unknown): Record<string, unknown> => path.split('.').reduceRight<unknown>((acc, k) => ({ [k]: acc }), value) as Record<string, unknown>;

  it('any value at any key: a valid config, or a ConfigError naming that key', () => {
    fc.assert(fc.property(fc.constantFrom(...leaves), fc.jsonValue(), (path, value) => {
      let config: unknown;
      try {
        config = validateConfig(deepMerge(defaults, setAt(path, value)));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        // The message names the key (or, for a cross-field rule, its section).
        const section = path.split('.').slice(0, 2).join('.');
        expect((err as Error).message).toMatch(new RegExp(`^  (${path.replace(/\./g, '\\.')}|${section.replace(/\./g, '\\.')}[.:])`, 'm'));
        return;
      }
      expect(config).toBeDefined();
    }), { numRuns: 500 });
  });

  it('valid ports and limits are taken exactly as given', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 10, max: 10_000 }), (port, maxStreams, deadlineMs) => {
      const c = validateConfig(deepMerge(defaults, { rtmp: { port }, pipeline: { maxStreams, failOpen: { deadlineMs } } }));
      expect([c.rtmp.port, c.pipeline.maxStreams, c.pipeline.failOpen.deadlineMs]).toEqual([port, maxStreams, deadlineMs]);
    }), { numRuns: 200 });
  });

  it('unknown keys anywhere are refused by name', () => {
    fc.assert(fc.property(fc.constantFrom(...leaves), fc.stringMatching(/^[a-z][a-zA-Z]{2,15}$/), (path, extra) => {
      const section = path.split('.').slice(0, -1).join('.');
      const full = section ? `${section}.${extra}` : extra;
      fc.pre(!leaves.includes(full) && !leaves.some((l) => l.startsWith(`${full}.`)));
      expect(() => validateConfig(deepMerge(defaults, setAt(full, 1)))).toThrow(new RegExp(extra));
    }), { numRuns: 200 });
  });

  it('--set, environment variables and YAML files: a config or a ConfigError, never anything else', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }), (assignments) => {
      try {
        setOverrides(assignments);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
      }
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.dictionary(fc.oneof(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }).map((s) => `CLEARCAST_${s}`)), fc.string({ maxLength: 20 })), (env) => {
      const out = envOverrides(env, defaults);
      for (const section of Object.keys(out)) expect(Object.keys(defaults)).toContain(section);
      try {
        validateConfig(deepMerge(defaults, out));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
      }
    }), { numRuns: 300 });
    let i = 0;
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
      const file = join(dir, `c${i++}.yaml`);
      writeFileSync(file, text);
      try {
        loadConfig({ file, env: {} });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
      }
    }), { numRuns: 200 });
  });
});
