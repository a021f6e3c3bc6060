import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultsWith, deepMerge } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/core/log.js';
import { ClearcastServer } from '../../src/server.js';
import { freePort } from '../../src/core/net.js';

export { freePort };

export async function testConfig(overrides: Record<string, unknown> = {}): Promise<Config> {
  const ports = {
    server: { httpPort: await freePort(), dataDir: mkdtempSync(join(tmpdir(), 'clearcast-test-')) },
    rtmp: { port: await freePort(), httpFlvPort: await freePort() },
    log: { level: process.env.TEST_LOG_LEVEL ?? 'error' },
  };
  return defaultsWith(deepMerge(ports, overrides));
}

export async function startTestServer(overrides: Record<string, unknown> = {}, log?: Logger): Promise<ClearcastServer> {
  const config = await testConfig(overrides);
  const server = new ClearcastServer(config, log ?? createLogger(config.log.level));
  await server.start();
  return server;
}

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line logged so far, as written (JSON text). */
  text(): string;
  /** Parsed lines whose msg matches. */
  find(msg: RegExp): Record<string, unknown>[];
}

/** A logger that keeps what it writes (the server's real pino logger, another destination). */
export function captureLog(level = 'info'): CapturedLog {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger(level, sink);
  const text = (): string => chunks.join('');
  return {
    logger,
    text,
    find: (msg) => text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => msg.test(String(l.msg))),
  };
}

/** Polls until `probe` gives something other than undefined or false (so `a && b` probes work), and returns it. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 100): Promise<Exclude<T, undefined | false>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as Exclude<T, undefined | false>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
