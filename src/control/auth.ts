import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/schema.js';
import { isLoopback, secretMatches } from '../ingest/auth.js';

/** admin may change streams; read may only watch. */
export type Role = 'admin' | 'read';

export function controlAuthRequired(config: Config): boolean {
  const mode = config.control.requireAuth;
  return mode === 'on' || (mode === 'auto' && !isLoopback(config.server.bind));
}

/** The token a request carries: `Authorization: Bearer <t>` (tools) or `?token=<t>` (browsers, WebSocket). */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1] ?? url.searchParams.get('token') ?? undefined;
}

/** The caller's role, or undefined when it has none (reply 401). Without auth everyone is admin. */
export function roleOf(config: Config, req: IncomingMessage, url: URL): Role | undefined {
  if (!controlAuthRequired(config)) return 'admin';
  const token = tokenOf(req, url);
  if (token === undefined) return undefined;
  const { adminToken, readToken } = config.control;
  if (adminToken && secretMatches(adminToken, token)) return 'admin';
  if (readToken && secretMatches(readToken, token)) return 'read';
  return undefined;
}
