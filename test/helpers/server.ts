import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepMerge, DEFAULT_CONFIG_PATH } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/log.js';
import { ClearcastServer } from '../../src/server.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function testConfig(overrides: Record<string, unknown> = {}): Promise<Config> {
  const defaults = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  const ports = {
    server: { httpPort: await freePort(), dataDir: mkdtempSync(join(tmpdir(), 'clearcast-test-')) },
    rtmp: { port: await freePort(), httpFlvPort: await freePort() },
    log: { level: process.env.TEST_LOG_LEVEL ?? 'error' },
  };
  return validateConfig(deepMerge(deepMerge(defaults, ports), overrides));
}

export async function startTestServer(overrides: Record<string, unknown> = {}): Promise<ClearcastServer> {
  const config = await testConfig(overrides);
  const server = new ClearcastServer(config, createLogger(config.log.level));
  await server.start();
  return server;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
