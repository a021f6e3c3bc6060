/**
 * The only module that knows node-media-server's internals (pinned to 4.4.3 in package.json).
 * NMS gives us RTMP/HTTP-FLV protocol handling; we plug into its per-path BroadcastServer with
 * in-process subscribers (to read what a publisher sends) and in-process publishers (to put the
 * clean stream on the same server without another RTMP hop).
 */
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/log.js';

const require = createRequire(import.meta.url);

export interface AVPacket {
  codec_id: number;
  /** 8 audio, 9 video, 18 script data (FLV tag types). */
  codec_type: number;
  duration: number;
  /** NMS packet class: 0 audio header, 1 audio, 2 video header, 3 keyframe, 4 inter frame, 5 metadata. */
  flags: number;
  pts: number;
  dts: number;
  size: number;
  offset: number;
  data: Buffer;
}

export interface NmsSession {
  id: string;
  ip: string;
  protocol: string;
  isPublisher: boolean;
  streamApp: string;
  streamName: string;
  streamPath: string;
  streamQuery: Record<string, unknown>;
  broadcast?: NmsBroadcast;
  socket?: import('node:net').Socket;
  videoFramerate?: number;
  close(): void;
  sendBuffer(buf: Buffer): void;
}

interface NmsBroadcast {
  publisher: NmsSession | null;
  subscribers: Map<string, NmsSession>;
  publishGraceMs: number;
  postPublish(session: NmsSession): string | null;
  donePublish(session: NmsSession): void;
  donePlay(session: NmsSession): void;
  broadcastMessage(packet: AVPacket): void;
}

interface NmsInstance {
  on(event: string, listener: (session: NmsSession) => void): void;
  run(): Promise<void>;
  stop(): Promise<void>;
  rtmpServer: { tcpServer?: import('node:net').Server };
  httpServer: { httpServer?: import('node:http').Server };
}

const NodeMediaServer = require('node-media-server') as new (config: object) => NmsInstance;
const Context = require('node-media-server/src/core/context.js') as { broadcasts: Map<string, NmsBroadcast>; sessions: Map<string, unknown>; config: object; eventEmitter: import('node:events').EventEmitter };
const BroadcastServer = require('node-media-server/src/server/broadcast_server.js') as new (path: string) => NmsBroadcast;
const nmsLogger = require('node-media-server/src/core/logger.js') as { level: string; log: (msg: string, level?: string) => void };
const Flv = require('node-media-server/src/protocol/flv.js') as {
  createHeader(hasAudio: boolean, hasVideo: boolean): Buffer;
  parserTag(type: number, time: number, size: number, data: Buffer): AVPacket;
} & (new () => { parserData(buf: Buffer): string | null; onPacketCallback: (p: AVPacket) => void });

const Amf = require('node-media-server/src/protocol/amf.js') as { encodeAmf0Data(opt: object): Buffer };

export { Flv };

/** An onMetaData script packet: players read width, height and codecs from it. */
export function metadataPacket(fields: Record<string, number | string | boolean>, timestamp = 0): AVPacket {
  const data = Amf.encodeAmf0Data({ cmd: 'onMetaData', dataObj: fields });
  return makePacket({ codec_type: 18, flags: 5, data, pts: timestamp, dts: timestamp });
}

/** NMS's process-wide event bus (prePublish, postPublish, ...): listeners must be removed on stop. */
export const nmsEvents = Context.eventEmitter;

/** Marks sessions Clearcast created itself, so our own publish hooks never police them. */
const INTERNAL = Symbol('clearcast-internal');

export function isInternalSession(session: NmsSession): boolean {
  return (session as unknown as Record<symbol, unknown>)[INTERNAL] === true;
}

export interface EmbeddedNmsOptions {
  bind: string;
  rtmpPort: number;
  httpFlvPort: number;
  dataDir: string;
  /** Open connections at once per port; more are closed by Node before NMS sees them. */
  maxConnections: number;
  log: Logger;
}

/** Starts NMS with only what we use: RTMP, HTTP-FLV, no recording, no admin console, no NMS auth. */
export async function startNms(opts: EmbeddedNmsOptions): Promise<NmsInstance> {
  // NMS logs with console.log at debug level; route it into our structured log instead.
  nmsLogger.log = (message: string, level = 'info') => {
    const lvl = (['trace', 'debug', 'info', 'warn', 'error'].includes(level) ? level : 'info') as 'info';
    opts.log[lvl === 'info' ? 'debug' : lvl]({ component: 'nms' }, message);
  };
  const nms = new NodeMediaServer({
    bind: opts.bind,
    rtmp: { port: opts.rtmpPort },
    http: { port: opts.httpFlvPort },
    record: { auto: false },
    store: { path: opts.dataDir },
    webadmin: { enable: false },
  });
  const listening = Promise.all([
    waitListening(nms.rtmpServer.tcpServer, 'RTMP', opts.rtmpPort),
    waitListening(nms.httpServer.httpServer, 'HTTP-FLV', opts.httpFlvPort),
  ]);
  await nms.run();
  await listening;
  for (const server of [nms.rtmpServer.tcpServer, nms.httpServer.httpServer]) if (server) server.maxConnections = opts.maxConnections;
  return nms;
}

function waitListening(server: import('node:net').Server | undefined, what: string, port: number): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', () => resolve());
    // NMS's own handler exits the process on EADDRINUSE; ours runs first and explains why.
    server.prependOnceListener('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(`${what} port ${port} cannot be opened: ${err.code === 'EADDRINUSE' ? 'already in use' : err.message}`));
    });
  });
}

/** What NMS writes players to: an RTMP socket, or an HTTP response / WebSocket for HTTP-FLV. */
interface PlayerOutput {
  socket?: import('node:net').Socket;
  req?: { socket?: import('node:net').Socket };
  res?: { writableLength?: number; bufferedAmount?: number; terminate?: () => void };
}

/** Bytes queued for a player that it has not read yet (NMS writes without waiting for any). */
function playerBacklog(session: NmsSession): number {
  const out = session as unknown as PlayerOutput;
  if (out.socket) return out.socket.writableLength;
  return (out.res?.writableLength ?? out.res?.bufferedAmount ?? 0) + (out.req?.socket?.writableLength ?? 0);
}

function dropPlayer(session: NmsSession): void {
  const out = session as unknown as PlayerOutput;
  if (out.socket) out.socket.destroy();
  else if (out.res?.terminate) out.res.terminate();
  else out.req?.socket?.destroy();
}

/**
 * NMS writes every packet to every player at once, whether or not the player reads: a stalled
 * viewer or push relay would grow our memory without bound. This cuts off a player whose unread
 * backlog grows `limitBytes` past what joining cost it (NMS sends a joining player the whole
 * current GOP in one burst; a player is not cut for being sent it). Per player, memory stays under
 * one GOP plus `limitBytes`. It may reconnect; a push relay does, with backoff. Returns the undo.
 */
export function boundPlayerBacklog(limitBytes: number, log: Logger): () => void {
  const onPostPlay = (session: NmsSession): void => {
    if (isInternalSession(session) || session.ip === '') return;
    const send = session.sendBuffer;
    let cut = false;
    let allowance = Infinity;
    // postPlay's listeners run just before NMS writes the join burst, in the same tick.
    setImmediate(() => { allowance = playerBacklog(session) + limitBytes; });
    session.sendBuffer = (buf: Buffer) => {
      if (cut) return;
      const backlog = playerBacklog(session);
      if (backlog > allowance) {
        cut = true;
        log.warn({ ip: session.ip, path: session.streamPath, protocol: session.protocol, backlogBytes: backlog, limitBytes }, 'player too slow: unread backlog over the limit; disconnecting it');
        dropPlayer(session);
        return;
      }
      send(buf);
    };
  };
  nmsEvents.on('postPlay', onPostPlay);
  return () => nmsEvents.off('postPlay', onPostPlay);
}

/** Players (RTMP or HTTP-FLV clients, not our own taps) attached to /app/name, live or waiting for it. */
export function playerCount(app: string, name: string): number {
  const broadcast = Context.broadcasts.get(`/${app}/${name}`);
  if (!broadcast) return 0;
  return [...broadcast.subscribers.values()].filter((s) => !isInternalSession(s) && s.ip !== '').length;
}

export interface TagTap {
  close(): void;
}

/**
 * Subscribes in-process to a path's broadcast and hands over each FLV tag (11-byte header, body,
 * 4-byte previous-size trailer) as NMS forwards it to HTTP-FLV players. Attach it synchronously in
 * postPublish: a publisher's first packets may be parsed from the same TCP chunk as its publish.
 */
export function tapBroadcast(broadcast: NmsBroadcast, onTag: (tag: Buffer) => void): TagTap {
  const tap = {
    id: `clearcast-tap-${randomUUID()}`,
    ip: '', // empty ip: NMS treats the session as internal (no play events, no play counts)
    protocol: 'flv',
    sendBuffer: (buf: Buffer) => onTag(buf),
    close: () => {},
    [INTERNAL]: true,
  } as unknown as NmsSession;
  broadcast.subscribers.set(tap.id, tap);
  return {
    close: () => {
      if (broadcast.subscribers.get(tap.id) === tap) broadcast.donePlay(tap);
    },
  };
}

/** Parses a whole FLV tag buffer (as delivered by a tap) into an NMS packet. */
export function parseFlvTag(tag: Buffer): AVPacket {
  const type = tag[0]!;
  const size = tag.readUIntBE(1, 3);
  const time = (tag[4]! << 16) | (tag[5]! << 8) | tag[6]! | (tag[7]! << 24);
  return Flv.parserTag(type, time, size, tag.subarray(11, 11 + size));
}

export interface InternalPublisher {
  publish(packet: AVPacket): void;
  close(): void;
}

/** Our own publishers by path: a newer one for a path takes it over from one still draining. */
const internalPublishers = new Map<string, InternalPublisher>();

/**
 * Publishes packets on a path as if a client were pushing there. Used for clean/<key>: players on
 * RTMP and HTTP-FLV get the stream from NMS as from any publisher.
 *
 * A publisher that reconnects at once starts a new pipeline while the old one still drains its
 * last frames into the same clean path. The new stream wins: the old publisher is closed here and
 * its remaining tail (under a second of frames) goes nowhere, since the viewers now belong to the
 * new stream. Refusing instead would refuse the reconnect.
 */
export function openInternalPublisher(app: string, name: string): InternalPublisher {
  const path = `/${app}/${name}`;
  internalPublishers.get(path)?.close();
  const session = {
    id: `clearcast-pub-${randomUUID()}`,
    ip: '',
    protocol: 'clearcast',
    isPublisher: true,
    streamApp: app,
    streamName: name,
    streamPath: path,
    streamHost: '',
    streamQuery: {},
    createTime: Date.now(),
    endTime: 0,
    inBytes: 0,
    outBytes: 0,
    playCount: 0,
    videoCodec: 0, videoWidth: 0, videoHeight: 0, videoFramerate: 0, videoDatarate: 0,
    audioCodec: 0, audioChannels: 0, audioSamplerate: 0, audioDatarate: 0,
    sendBuffer: () => {},
    close: () => {},
    [INTERNAL]: true,
  } as unknown as NmsSession;
  const broadcast = Context.broadcasts.get(path) ?? new BroadcastServer(path);
  Context.broadcasts.set(path, broadcast);
  // Our clean stream has no reconnecting client to wait for: end it as soon as we close.
  broadcast.publishGraceMs = 0;
  const err = broadcast.postPublish(session);
  if (err) throw new Error(`cannot publish ${path}: ${err}`);
  Context.sessions.set(session.id, session);
  let open = true;
  const publisher: InternalPublisher = {
    publish: (packet) => {
      if (open) broadcast.broadcastMessage(packet);
    },
    close: () => {
      if (!open) return;
      open = false;
      if (internalPublishers.get(path) === publisher) internalPublishers.delete(path);
      broadcast.donePublish(session);
      Context.sessions.delete(session.id);
    },
  };
  internalPublishers.set(path, publisher);
  return publisher;
}

export function makePacket(fields: Partial<AVPacket> & Pick<AVPacket, 'codec_type' | 'flags' | 'data'>): AVPacket {
  return { codec_id: 0, duration: 0, pts: 0, dts: 0, offset: 0, size: fields.data.length, ...fields };
}
