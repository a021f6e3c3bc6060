import { mkdtempSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegProcess } from '../src/media/ffmpeg.js';
import type { ClearcastServer } from '../src/server.js';
import { recordHttpFlv } from './helpers/media.js';
import { activeHandles, leftovers, NO_LEAKS, type HandleCounts } from './helpers/resources.js';
import { captureLog, freePort, startTestServer, waitFor, type CapturedLog } from './helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'clearcast-egress-'));
const BACKLOG_LIMIT = 512 * 1024;
const BITRATE_BYTES_PER_S = (12_000 * 1000) / 8;
const PUSH_KEY = 'platform-secret-key-123';

/**
 * Outputs that stop reading: an HTTP-FLV viewer that never reads and a push destination that
 * freezes. Each is cut off at the backlog bound (memory stays bounded), the relay retries with
 * backoff, and every other output keeps flowing.
 */
describe('faults: egress that stops reading', () => {
  let server: ClearcastServer;
  let log: CapturedLog;
  let baseline: HandleCounts;
  let publisher: FfmpegProcess;
  let healthyPort: number;
  let frozenPort: number;
  let deadPort: number;

  beforeAll(async () => {
    baseline = activeHandles();
    healthyPort = await freePort();
    frozenPort = await freePort();
    deadPort = await freePort(); // nothing ever listens there
    log = captureLog('info');
    server = await startTestServer({
      rtmp: { maxPlayerBacklogBytes: BACKLOG_LIMIT },
      pipeline: { filter: 'passthrough' },
      // Noise at a high bitrate: a stalled reader's backlog passes the bound in seconds.
      encoder: { videoBitrateKbps: 12000 },
      egress: {
        push: { busy: [`rtmp://127.0.0.1:${healthyPort}/app/${PUSH_KEY}`, `rtmp://127.0.0.1:${frozenPort}/app/${PUSH_KEY}`, `rtmp://127.0.0.1:${deadPort}/app/${PUSH_KEY}`] },
        retryInitialDelayMs: 300, retryMaxDelayMs: 1000,
      },
    }, log.logger);
    publisher = new FfmpegProcess({
      name: 'noise publisher',
      args: ['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'nullsrc=s=320x180:r=30,geq=random(1)*255:128:128', '-t', '60',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-f', 'flv', server.urls.publish('busy')],
    });
    await waitFor('stream running', () => (server.registry.get('busy')?.stats().framesEncoded ?? 0) > 10);
  });

  afterAll(async () => {
    const ports = server ? [server.config.rtmp.port, server.config.rtmp.httpFlvPort, server.config.server.httpPort] : [];
    await publisher?.kill();
    await server?.stop();
    expect(await leftovers(baseline, ports)).toEqual(NO_LEAKS);
  });

  it('a destination that is down is retried with exponential backoff and jitter, capped', async () => {
    const delays = (): number[] => log.find(/push destination failed; retrying/).filter((l) => String(l.push).includes(`:${deadPort}/`)).map((l) => Number(l.retryInMs));
    await waitFor('four retries', () => delays().length >= 4 || undefined, 20_000);
    // 300 ms doubling, capped at 1000 ms, each +-20%.
    const nominal = [300, 600, 1000, 1000];
    delays().slice(0, 4).forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(nominal[i]! * 0.8);
      expect(d).toBeLessThanOrEqual(nominal[i]! * 1.2);
    });
    // Jitter: relays retrying together do not stay in step.
    expect(delays().slice(0, 4).some((d, i) => d !== nominal[i])).toBe(true);
    expect(server.registry.get('busy')!.stats().state).toBe('running');
  });

  it('a viewer that never reads is cut off at rtmp.maxPlayerBacklogBytes; a reading viewer is not', async () => {
    const reading = recordHttpFlv(server.urls.cleanFlv('busy'), join(dir, 'reading.flv'));
    let stalled: IncomingMessage | undefined;
    const req = httpGet(server.urls.cleanFlv('busy'), (res) => {
      stalled = res;
      res.pause(); // reads nothing from here on (a paused client does not even see the server hang up)
    });
    req.on('error', () => {});
    const cut = await waitFor('the stalled viewer to be cut off', () => log.find(/player too slow/).find((l) => l.path === '/clean/busy' && l.protocol === 'flv'), 20_000);
    // Cut at the bound (beyond the GOP it was sent on joining: 2 s of the stream at most).
    expect(Number(cut.backlogBytes)).toBeGreaterThan(BACKLOG_LIMIT);
    expect(Number(cut.backlogBytes)).toBeLessThan(BACKLOG_LIMIT + 2 * BITRATE_BYTES_PER_S + 256 * 1024);
    const before = reading.bytes();
    await new Promise((r) => setTimeout(r, 1000));
    expect(reading.bytes() - before).toBeGreaterThan(100_000);
    await reading.stop();
    stalled?.destroy();
    req.destroy();
  });

  it('a push destination that freezes is cut off and retried with backoff; the other destination keeps receiving', async () => {
    const healthy = receiver(healthyPort);
    const frozen = receiver(frozenPort);
    await waitFor('both destinations receiving', () => healthy.bytes() > 50_000 && frozen.bytes() > 50_000, 15_000);
    const frozenPid = frozen.proc.child.pid!;
    process.kill(frozenPid, 'SIGSTOP');
    try {
      // The relay to the frozen destination stops reading our clean stream: the bound cuts it off.
      await waitFor('the frozen relay cut off', () => log.find(/player too slow/).some((l) => l.path === '/clean/busy' && l.protocol === 'rtmp'), 20_000);
      await waitFor('the relay to retry', () => log.find(/push destination failed; retrying/).some((l) => String(l.push).includes(`:${frozenPort}/`)), 20_000);
      const healthyBefore = healthy.bytes();
      await new Promise((r) => setTimeout(r, 1500));
      expect(healthy.bytes() - healthyBefore).toBeGreaterThan(100_000);
      expect(server.registry.get('busy')!.stats().state).toBe('running');
    } finally {
      process.kill(frozenPid, 'SIGCONT');
    }
    await Promise.all([healthy.proc.kill(), frozen.proc.kill()]);
    // Push URLs carry the platform's stream key: it never reaches the log.
    expect(log.text()).not.toContain(PUSH_KEY);
  });
});

/** An RTMP server standing in for a platform: ffmpeg listening once, counting what it writes. */
function receiver(port: number): { proc: FfmpegProcess; bytes: () => number } {
  const proc = new FfmpegProcess({
    name: `platform ${port}`,
    args: ['-loglevel', 'error', '-y', '-listen', '1', '-timeout', '30', '-i', `rtmp://127.0.0.1:${port}/app/${PUSH_KEY}`, '-c', 'copy', '-f', 'flv', 'pipe:1'],
  });
  let n = 0;
  proc.child.stdout!.on('data', (c: Buffer) => { n += c.length; });
  return { proc, bytes: () => n };
}
