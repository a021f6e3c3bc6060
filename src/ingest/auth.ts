import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { ownEntry } from '../core/records.js';

export function isLoopback(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || /^127\./.test(bind);
}

export function secretMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** rtmp.auth governs every publish protocol: RTMP's ?secret= and WHIP's bearer token alike. */
export function publishAuthRequired(config: Config): boolean {
  const mode = config.rtmp.auth.mode;
  return mode === 'on' || (mode === 'auto' && !isLoopback(config.server.bind));
}

/** Why a publish of `key` with this secret must be refused, or undefined when auth allows it. */
export function publishSecretError(config: Config, key: string, given: unknown): string | undefined {
  if (!publishAuthRequired(config)) return undefined;
  const secret = ownEntry(config.rtmp.auth.keys, key);
  if (secret === undefined) return `stream key "${key}" is not configured (rtmp.auth.keys)`;
  if (!secretMatches(secret, given)) return `wrong or missing secret for stream key "${key}"`;
  return undefined;
}
