import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../core/log.js';
import type { StreamRegistry } from '../stream/registry.js';

export interface HttpServerOptions {
  readonly bind: string;
  readonly port: number;
  readonly registry: StreamRegistry;
  readonly log: Logger;
  /** URLs shown on the index page. */
  readonly urls: { publish: string; watchRtmp: string; watchFlv: string };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Our single HTTP port: health and stats now; the control WebSocket, dashboard, metrics and
 * WHIP/WHEP mount here later. Read-only: nothing here changes a stream.
 */
export function startHttpServer(opts: HttpServerOptions): Promise<Server> {
  const started = Date.now();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `method ${req.method} not allowed` });
    const path = url.pathname;
    if (path === '/healthz') {
      return sendJson(res, 200, { status: 'ok', uptimeS: Math.round((Date.now() - started) / 1000), streams: opts.registry.stats().length });
    }
    if (path === '/api/streams') return sendJson(res, 200, { streams: opts.registry.stats() });
    const m = /^\/api\/streams\/([A-Za-z0-9_-]{1,64})$/.exec(path);
    if (m) {
      const p = opts.registry.get(m[1]!);
      return p ? sendJson(res, 200, p.stats()) : sendJson(res, 404, { error: `no stream "${m[1]}"` });
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end([
        'Clearcast',
        '',
        `Publish:      ${opts.urls.publish}`,
        `Watch (RTMP): ${opts.urls.watchRtmp}`,
        `Watch (FLV):  ${opts.urls.watchFlv}`,
        '',
        'GET /healthz, GET /api/streams, GET /api/streams/<key>',
        '',
      ].join('\n'));
      return;
    }
    sendJson(res, 404, { error: `no route ${path}` });
  };
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      opts.log.error({ err }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`HTTP port ${opts.port} cannot be opened: ${err.code === 'EADDRINUSE' ? 'already in use' : err.message}`)));
    server.listen(opts.port, opts.bind, () => resolve(server));
  });
}
