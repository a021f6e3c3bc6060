import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envOverrides, loadConfig, setOverrides } from '../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'clearcast-config-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('configuration', () => {
  it('loads the shipped defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.server.bind).toBe('127.0.0.1');
    expect(c.rtmp.port).toBe(1935);
    expect(c.server.httpPort).toBe(8080);
    expect(c.rtmp.httpFlvPort).toBe(8000);
  });

  it('applies file, then env, then CLI overrides', () => {
    const f = file('a.yaml', 'rtmp:\n  port: 2000\nserver:\n  httpPort: 9000\n');
    const c = loadConfig({ file: f, env: { CLEARCAST_RTMP__PORT: '2001', CLEARCAST_SERVER__HTTPPORT: '9001' }, overrides: setOverrides(['server.httpPort=9002']) });
    expect(c.rtmp.port).toBe(2001);
    expect(c.server.httpPort).toBe(9002);
  });

  it('ignores environment variables that name no config section', () => {
    expect(envOverrides({ CLEARCAST_FFMPEG: '/opt/ffmpeg', CLEARCAST_LOG__LEVEL: 'debug' }, { log: { level: 'info' } })).toEqual({ log: { level: 'debug' } });
  });

  it('names the key and the expectation when a value is bad', () => {
    const f = file('bad.yaml', 'rtmp:\n  port: 70000\npipeline:\n  filter: blur\n');
    let err: unknown;
    try { loadConfig({ file: f, env: {} }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/rtmp\.port: .*65535/);
    expect(msg).toMatch(/pipeline\.filter: .*manual/);
  });

  it('rejects unknown keys (typos must not be silently ignored)', () => {
    const f = file('typo.yaml', 'rtmp:\n  prot: 1936\n');
    expect(() => loadConfig({ file: f, env: {} })).toThrow(/prot/);
  });

  it('rejects a stream key with path characters and a too-short secret', () => {
    const f = file('keys.yaml', 'rtmp:\n  auth:\n    keys:\n      "../etc": longenoughsecret\n      good: short\n');
    expect(() => loadConfig({ file: f, env: {} })).toThrow(/rtmp\.auth\.keys/);
  });

  it('explains unreadable and malformed files', () => {
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ file: file('broken.yaml', 'rtmp: [1, 2\n'), env: {} })).toThrow(/not valid YAML/);
  });
});
