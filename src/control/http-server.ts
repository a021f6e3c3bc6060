import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { StreamRegistry } from '../stream/registry.js';
import { handleSdpRoute, type SdpEndpoint } from '../webrtc/http.js';
import { roleOf } from './auth.js';
import type { ControlHub } from './control-hub.js';
import type { StreamMetrics } from './metrics.js';
import { ClientRateLimiter } from './rate-limit.js';
import { staticAsset } from './static.js';

export interface HttpServerOptions {
  readonly config: Config;
  readonly registry: StreamRegistry;
  readonly hub: ControlHub;
  readonly metrics: StreamMetrics;
  readonly log: Logger;
  /** WHIP ingest and WHEP egress, answered on this port. */
  readonly sdp: Record<'whip' | 'whep', SdpEndpoint>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** Rate limits are per client address (behind a reverse proxy, all clients share the proxy's). */
function clientOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

const UNAUTHORISED = { error: 'a read or admin token is required: ?token=... or Authorization: Bearer ...' };

/**
 * Our single HTTP port: dashboard, publish and watch pages and their assets (public: they hold no
 * data), WHIP/WHEP (publish auth as RTMP's), and behind the control tokens the stats API,
 * Prometheus metrics and the control WebSocket (/control).
 */
export function startHttpServer(opts: HttpServerOptions): Promise<Server> {
  const started = Date.now();
  const { config, registry } = opts;
  // Every request and WebSocket upgrade counts, whatever its path; offers (a peer connection each) also count apart.
  const requests = new ClientRateLimiter(config.server.requestsPerSecond);
  const offersPerMinute = config.webrtc.offersPerMinute;
  const offers = new ClientRateLimiter(offersPerMinute / 60, Math.max(1, Math.ceil(offersPerMinute / 2)));
  const sdpLimits = { maxSdpBytes: config.webrtc.maxSdpBytes, allowOffer: (req: IncomingMessage) => offers.take(clientOf(req)) };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!requests.take(clientOf(req))) {
      res.setHeader('retry-after', '1');
      return sendJson(res, 429, { error: `rate limit: at most ${config.server.requestsPerSecond} requests per second per client (server.requestsPerSecond)` });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (await handleSdpRoute(req, res, url.pathname, opts.sdp, sdpLimits)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `method ${req.method} not allowed` });
    const path = url.pathname;
    if (path === '/healthz') {
      return sendJson(res, 200, { status: 'ok', uptimeS: Math.round((Date.now() - started) / 1000), streams: registry.stats().length });
    }
    const asset = await staticAsset(path);
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      res.end(asset.body);
      return;
    }
    const isApi = path === '/metrics' || path.startsWith('/api/');
    if (isApi && !roleOf(config, req, url)) return sendJson(res, 401, UNAUTHORISED);
    if (path === '/metrics') {
      const text = await opts.metrics.text();
      res.writeHead(200, { 'content-type': opts.metrics.contentType(), 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (path === '/api/streams') return sendJson(res, 200, { streams: registry.stats() });
    const m = /^\/api\/streams\/([A-Za-z0-9_-]{1,64})$/.exec(path);
    if (m) {
      const p = registry.get(m[1]!);
      return p ? sendJson(res, 200, p.stats()) : sendJson(res, 404, { error: `no stream "${m[1]}"` });
    }
    sendJson(res, 404, { error: `no route ${path}` });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.log.error({ err }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!requests.take(clientOf(req))) return refuse('429 Too Many Requests');
    if (url.pathname !== '/control') return refuse('404 Not Found');
    const role = roleOf(config, req, url);
    if (!role) return refuse('401 Unauthorized');
    opts.hub.handleUpgrade(req, socket, head, role);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.maxConnections = config.server.maxConnections;
  const port = config.server.httpPort;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`HTTP port ${port} cannot be opened: ${err.code === 'EADDRINUSE' ? 'already in use' : err.message}`)));
    server.listen(port, config.server.bind, () => resolve(server));
  });
}
