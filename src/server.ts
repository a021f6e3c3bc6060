import type { Server } from 'node:http';
import type { Config } from './config/schema.js';
import { ConfigError } from './config/load.js';
import { checkModel } from './filter/inpaint/preflight.js';
import type { SessionLease } from './ml/onnx-session.js';
import type { Logger } from './core/log.js';
import { ControlHub } from './control/control-hub.js';
import { startHttpServer } from './control/http-server.js';
import { StreamMetrics } from './control/metrics.js';
import { StreamControls } from './control/stream-controls.js';
import { WhepEgress } from './egress/whep/whep-egress.js';
import { RtmpIngest } from './ingest/rtmp/ingest.js';
import { WhipIngest } from './ingest/whip/whip-ingest.js';
import { killAllChildren } from './media/ffmpeg.js';
import { boundPlayerBacklog, startNms } from './rtmp/nms.js';
import { StreamRegistry } from './stream/registry.js';
import { OpusRelay } from './webrtc/opus-relay.js';
import { AacToOpus } from './egress/whep/aac-to-opus.js';
import { tuneHeapForVideo } from './core/heap.js';

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
  whip: (key: string) => string;
  whep: (key: string) => string;
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
    whip: (key) => `http://${host}:${config.server.httpPort}/whip/${key}`,
    whep: (key) => `http://${host}:${config.server.httpPort}/whep/${key}`,
  };
}

/** The whole service: RTMP server, ingest, stream registry, HTTP. One per process (NMS is a singleton). */
export class ClearcastServer {
  readonly registry: StreamRegistry;
  readonly urls: ServerUrls;
  /** Operator changes per stream key, persisted under server.dataDir. */
  readonly controls: StreamControls;
  private readonly metrics: StreamMetrics;
  private hub: ControlHub | undefined;
  private ingest: RtmpIngest | undefined;
  readonly whip: WhipIngest;
  readonly whep: WhepEgress;
  private nms: Awaited<ReturnType<typeof startNms>> | undefined;
  private http: Server | undefined;
  private unboundPlayers: (() => void) | undefined;
  /** The model's worker, opened at start so streams share it warm; released at stop. */
  private modelLease: SessionLease | undefined;

  constructor(readonly config: Config, readonly log: Logger) {
    this.urls = serverUrls(config);
    this.registry = new StreamRegistry(config, log, this.urls.cleanRtmp);
    this.controls = new StreamControls(config, log);
    // Before the first frame: a republished key comes back with the operator's regions and bypass.
    this.registry.onStart((_key, pipeline) => this.controls.applyTo(pipeline));
    this.metrics = new StreamMetrics(this.registry, this.controls);
    const opus = new OpusRelay();
    this.whip = new WhipIngest(config, this.registry, opus, log);
    this.whep = new WhepEgress(config, this.registry, opus, log);
    // RTMP publishers bring AAC; WHEP viewers need Opus.
    this.registry.onStart((key, pipeline) => {
      const bridge = new AacToOpus(key, opus, log);
      pipeline.addTap({ onSourceAudio: (tag, packet) => bridge.push(tag, packet), onEnd: () => bridge.close() });
    });
  }

  async start(): Promise<void> {
    tuneHeapForVideo();
    const c = this.config;
    await this.checkModel();
    this.nms = await startNms({ bind: c.server.bind, rtmpPort: c.rtmp.port, httpFlvPort: c.rtmp.httpFlvPort, dataDir: c.server.dataDir, maxConnections: c.server.maxConnections, log: this.log });
    this.unboundPlayers = boundPlayerBacklog(c.rtmp.maxPlayerBacklogBytes, this.log);
    this.ingest = new RtmpIngest(c, this.registry, this.log);
    this.ingest.start();
    this.hub = new ControlHub({
      config: c,
      registry: this.registry,
      controls: this.controls,
      log: this.log,
      urls: { publish: this.urls.publish('<key>'), watchRtmp: this.urls.cleanRtmp('<key>'), watchFlv: this.urls.cleanFlv('<key>') },
    });
    this.http = await startHttpServer({ config: c, registry: this.registry, hub: this.hub, metrics: this.metrics, log: this.log, sdp: { whip: this.whip, whep: this.whep } });
  }

  async stop(): Promise<void> {
    this.ingest?.stop();
    this.unboundPlayers?.();
    await Promise.all([this.whip.closeAll(), this.whep.closeAll()]);
    await this.registry.closeAll();
    this.hub?.close();
    const http = this.http;
    if (http) {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    }
    await this.nms?.stop();
    await this.modelLease?.release();
    this.modelLease = undefined;
    await killAllChildren();
  }

  /** Before any listener opens: a model that cannot run stops start-up or is left out, as configured. */
  private async checkModel(): Promise<void> {
    const check = await checkModel(this.config, this.log);
    if (check.state === 'ready') this.modelLease = check.lease;
    if (check.state !== 'unusable') return;
    const path = this.config.pipeline.model.path;
    if (this.config.pipeline.model.onMissing === 'fail') {
      throw new ConfigError(`pipeline.model.path: the model "${path}" cannot be used: ${check.reason} ` +
        '(pipeline.model.onMissing is "fail"; set it to "classical" to run with the classical fill, or pipeline.model.enabled to false)');
    }
    this.log.warn({ model: path, reason: check.reason }, 'model: cannot be used, running with the classical fill only (pipeline.model.onMissing: classical)');
    this.registry.runWithoutModel();
  }
}
