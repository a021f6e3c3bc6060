import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { StreamPipeline, StreamStats } from '../stream/pipeline.js';
import type { StreamRegistry } from '../stream/registry.js';
import type { Role } from './auth.js';
import { ChildCpuMeter } from './cpu.js';
import { needsAdmin, parseClientMessage, PROTOCOL_VERSION, type ClientMessage } from './protocol.js';
import { TokenBucket } from './rate-limit.js';
import { ControlError, type StreamControls } from './stream-controls.js';
import { sampleThumbnails, type Thumbnails } from './thumbnails.js';

/** Frames above this are refused by ws itself (close 1009); below it, our own limit replies instead. */
const HARD_MAX_PAYLOAD = 1 << 20;
const STATS_INTERVAL_MS = 1000;

interface Client {
  readonly ws: WebSocket;
  readonly role: Role;
  readonly bucket: TokenBucket;
  /** Subscribed stream keys -> wants thumbnails. */
  readonly subs: Map<string, boolean>;
}

interface ThumbFeed {
  pipeline: StreamPipeline;
  detach: () => void;
}

export interface ControlHubOptions {
  readonly config: Config;
  readonly registry: StreamRegistry;
  readonly controls: StreamControls;
  readonly log: Logger;
  /** Publish and watch URL templates ("<key>" placeholder), shown by dashboards. */
  readonly urls: Readonly<Record<string, string>>;
}

type Reply = Record<string, unknown>;

/**
 * The control WebSocket: one connection per dashboard or tool. Reads are open to both roles;
 * changes need admin, are persisted before they are acknowledged, applied to the running stream at
 * once, and broadcast so every other dashboard shows the same state.
 */
export class ControlHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_PAYLOAD });
  private readonly clients = new Set<Client>();
  private readonly feeds = new Map<string, ThumbFeed>();
  private readonly cpu = new ChildCpuMeter();
  private readonly timer: NodeJS.Timeout;
  private lastStreamList = '';

  constructor(private readonly opts: ControlHubOptions) {
    this.timer = setInterval(() => this.tick(), STATS_INTERVAL_MS);
    this.timer.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, role: Role): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, role));
  }

  private accept(ws: WebSocket, role: Role): void {
    const client: Client = { ws, role, bucket: new TokenBucket(this.opts.config.control.messagesPerSecond), subs: new Map() };
    this.clients.add(client);
    ws.on('message', (data, isBinary) => this.onMessage(client, data, isBinary));
    ws.on('close', () => {
      this.clients.delete(client);
      this.syncFeeds();
    });
    ws.on('error', (err) => this.opts.log.warn({ err }, 'control connection error'));
    this.send(client, { type: 'welcome', role, streams: this.opts.registry.stats(), urls: this.opts.urls, limits: { maxMessageBytes: this.opts.config.control.maxMessageBytes, messagesPerSecond: this.opts.config.control.messagesPerSecond } });
  }

  private send(client: Client, body: Reply): void {
    if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...body }));
  }

  private broadcast(body: Reply, filter: (c: Client) => boolean = () => true): void {
    for (const c of this.clients) if (filter(c)) this.send(c, body);
  }

  private onMessage(client: Client, data: RawData, isBinary: boolean): void {
    const error = (text: string, id?: string | number): void => this.send(client, { type: 'error', ...(id !== undefined ? { id } : {}), error: text });
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    const limits = this.opts.config.control;
    if (!client.bucket.take()) return error(`rate limit: at most ${limits.messagesPerSecond} messages per second`);
    if (bytes > limits.maxMessageBytes) return error(`message of ${bytes} bytes exceeds the limit of ${limits.maxMessageBytes} bytes`);
    if (isBinary) return error('binary frames are not accepted: send JSON text');
    const parsed = parseClientMessage(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
    if (!parsed.ok) return error(parsed.error, parsed.id);
    const msg = parsed.message;
    if (needsAdmin(msg.type) && client.role !== 'admin') return error(`forbidden: "${msg.type}" needs the admin token; this connection is read-only`, msg.id);
    try {
      const result = this.handle(client, msg);
      if (needsAdmin(msg.type)) this.opts.log.info({ stream: 'key' in msg ? msg.key : undefined, request: msg.type }, 'control change applied');
      this.send(client, { type: 'ack', ...(msg.id !== undefined ? { id: msg.id } : {}), request: msg.type, ...result });
    } catch (err) {
      if (err instanceof ControlError) return error(err.message, msg.id);
      this.opts.log.error({ err, request: msg.type }, 'control request failed');
      error('internal error', msg.id);
    }
  }

  private handle(client: Client, msg: ClientMessage): Reply {
    const { registry, controls } = this.opts;
    if (msg.type === 'streams.list') return { streams: registry.stats() };
    const pipeline = registry.get(msg.key);
    switch (msg.type) {
      case 'subscribe':
        client.subs.set(msg.key, msg.thumbnails ?? false);
        this.syncFeeds();
        if (pipeline) this.send(client, this.statsMessage(pipeline.stats(), pipeline));
        return { key: msg.key, live: pipeline !== undefined, state: controls.view(msg.key, pipeline?.filter) };
      case 'unsubscribe':
        client.subs.delete(msg.key);
        this.syncFeeds();
        return { key: msg.key };
      case 'regions.list':
        return { key: msg.key, state: controls.view(msg.key, pipeline?.filter) };
      case 'region.enable':
        controls.setEnabled(msg.key, msg.regionId, msg.enabled, pipeline?.filter);
        break;
      case 'region.add': {
        const regionId = controls.add(msg.key, msg.rect, msg.exclusion ?? false);
        return { ...this.changed(msg.key), regionId };
      }
      case 'region.move':
        controls.move(msg.key, msg.regionId, msg.rect);
        break;
      case 'region.remove':
        controls.remove(msg.key, msg.regionId);
        break;
      case 'bypass':
        controls.setBypass(msg.key, msg.on);
        break;
      case 'settings.set':
        controls.setSettings(msg.key, msg.settings);
        break;
    }
    return this.changed(msg.key);
  }

  /** After a persisted change: apply it to the live stream and tell every client. */
  private changed(key: string): Reply {
    const pipeline = this.opts.registry.get(key);
    if (pipeline) this.opts.controls.applyTo(pipeline);
    const state = this.opts.controls.view(key, pipeline?.filter);
    this.broadcast({ type: 'state', key, state });
    return { key, live: pipeline !== undefined, state };
  }

  private statsMessage(stats: StreamStats, pipeline: StreamPipeline): Reply {
    const pids = pipeline.childPids();
    return { type: 'stats', key: stats.key, at: Date.now(), stats, cpuPercent: this.cpu.percent([pids.decoder, pids.encoder]) };
  }

  private tick(): void {
    const { registry } = this.opts;
    const all = registry.stats();
    const list = JSON.stringify(all.map((s) => [s.key, s.state]));
    if (list !== this.lastStreamList) {
      this.lastStreamList = list;
      this.broadcast({ type: 'streams', streams: all });
    }
    const live = new Set<number>();
    for (const stats of all) {
      const pipeline = registry.get(stats.key);
      if (!pipeline) continue;
      const watchers = [...this.clients].filter((c) => c.subs.has(stats.key));
      if (watchers.length === 0) continue;
      const msg = this.statsMessage(stats, pipeline);
      for (const c of watchers) this.send(c, msg);
      const pids = pipeline.childPids();
      for (const pid of [pids.decoder, pids.encoder]) if (pid !== undefined) live.add(pid);
    }
    this.cpu.retain(live);
    this.syncFeeds();
  }

  /** Runs a thumbnail sampler for exactly the live streams someone wants thumbnails of. */
  private syncFeeds(): void {
    const wanted = new Set<string>();
    for (const c of this.clients) for (const [key, thumbs] of c.subs) if (thumbs) wanted.add(key);
    for (const [key, feed] of this.feeds) {
      if (!wanted.has(key) || this.opts.registry.get(key) !== feed.pipeline) {
        feed.detach();
        this.feeds.delete(key);
      }
    }
    for (const key of wanted) {
      const pipeline = this.opts.registry.get(key);
      if (!pipeline || this.feeds.has(key)) continue;
      const detach = sampleThumbnails(pipeline, this.opts.config.control.thumbnailIntervalMs, (t) => this.sendThumbnails(key, t));
      this.feeds.set(key, { pipeline, detach });
    }
  }

  private sendThumbnails(key: string, t: Thumbnails): void {
    const jpeg = (b: Buffer): string => `data:image/jpeg;base64,${b.toString('base64')}`;
    this.broadcast({ type: 'thumbnail', key, width: t.width, height: t.height, before: jpeg(t.before), after: jpeg(t.after) }, (c) => c.subs.get(key) === true);
  }

  close(): void {
    clearInterval(this.timer);
    for (const feed of this.feeds.values()) feed.detach();
    this.feeds.clear();
    for (const c of this.clients) c.ws.terminate();
    this.wss.close();
  }
}
