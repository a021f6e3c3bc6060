import type { Server } from 'node:http';
import type { Config } from './config/schema.js';
import type { Logger } from './core/log.js';
import { startHttpServer } from './control/http-server.js';
import { RtmpIngest } from './ingest/rtmp/ingest.js';
import { killAllChildren } from './media/ffmpeg.js';
import { startNms } from './rtmp/nms.js';
import { StreamRegistry } from './stream/registry.js';

/** Address our own processes use to reach the server: the wildcard binds are not connectable. */
export function localHost(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1';
  if (bind === '::') return '::1';
  return bind;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export interface ServerUrls {
  rtmpBase: string;
  publish: (key: string) => string;
  cleanRtmp: (key: string) => string;
  cleanFlv: (key: string) => string;
  http: string;
}

export function serverUrls(config: Config): ServerUrls {
  const host = hostForUrl(localHost(config.server.bind));
  const rtmpBase = `rtmp://${host}:${config.rtmp.port}`;
  return {
    rtmpBase,
    publish: (key) => `${rtmpBase}/${config.rtmp.ingestApp}/${key}`,
    cleanRtmp: (key) => `${rtmpBase}/${config.rtmp.cleanApp}/${key}`,
    cleanFlv: (key) => `http://${host}:${config.rtmp.httpFlvPort}/${config.rtmp.cleanApp}/${key}.flv`,
    http: `http://${host}:${config.server.httpPort}`,
  };
}

/** The whole service: RTMP server, ingest, stream registry, HTTP. One per process (NMS is a singleton). */
export class ClearcastServer {
  readonly registry: StreamRegistry;
  readonly urls: ServerUrls;
  private ingest: RtmpIngest | undefined;
  private nms: Awaited<ReturnType<typeof startNms>> | undefined;
  private http: Server | undefined;

  constructor(readonly config: Config, readonly log: Logger) {
    this.urls = serverUrls(config);
    this.registry = new StreamRegistry(config, log, this.urls.cleanRtmp);
  }

  async start(): Promise<void> {
    const c = this.config;
    this.nms = await startNms({ bind: c.server.bind, rtmpPort: c.rtmp.port, httpFlvPort: c.rtmp.httpFlvPort, dataDir: c.server.dataDir, log: this.log });
    this.ingest = new RtmpIngest(c, this.registry, this.log);
    this.ingest.start();
    this.http = await startHttpServer({
      bind: c.server.bind,
      port: c.server.httpPort,
      registry: this.registry,
      log: this.log,
      urls: { publish: this.urls.publish('<key>'), watchRtmp: this.urls.cleanRtmp('<key>'), watchFlv: this.urls.cleanFlv('<key>') },
    });
  }

  async stop(): Promise<void> {
    this.ingest?.stop();
    await this.registry.closeAll();
    const http = this.http;
    if (http) {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    }
    await this.nms?.stop();
    await killAllChildren();
  }
}
