import { streamKeySchema, type Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { isInternalSession, nmsEvents, parseFlvTag, tapBroadcast, type NmsSession } from '../../rtmp/nms.js';
import type { StreamRegistry } from '../../stream/registry.js';
import { publishSecretError } from '../auth.js';

const REJECTED = Symbol('clearcast-rejected');

/**
 * RTMP (and NMS's HTTP-FLV POST) publishers: admission (path, key, secret) and one pipeline per
 * accepted publish, fed in-process from NMS's broadcast. Listeners live on NMS's process-wide bus,
 * so stop() must remove them.
 */
export class RtmpIngest {
  constructor(private readonly config: Config, private readonly registry: StreamRegistry, private readonly log: Logger) {}

  start(): void {
    nmsEvents.on('prePublish', this.onPrePublish);
    nmsEvents.on('postPublish', this.onPostPublish);
  }

  stop(): void {
    nmsEvents.off('prePublish', this.onPrePublish);
    nmsEvents.off('postPublish', this.onPostPublish);
  }

  /** Why this publish must be refused, or undefined to accept it. */
  admissionError(session: NmsSession): string | undefined {
    const { ingestApp, cleanApp } = this.config.rtmp;
    if (session.streamApp === cleanApp) return `/${cleanApp}/ is where Clearcast publishes the filtered streams; publish to /${ingestApp}/<key>`;
    if (session.streamApp !== ingestApp) return `unknown application "${session.streamApp}"; publish to /${ingestApp}/<key>`;
    const key = session.streamName;
    // NMS already refuses path characters; the length limit and the one alphabet are ours.
    const valid = streamKeySchema.safeParse(key);
    if (!valid.success) return `stream key ${JSON.stringify(String(key).slice(0, 80))} is not valid: ${valid.error.issues[0]?.message ?? 'bad key'}`;
    // Secret first: a stranger learns nothing about which keys are live.
    return publishSecretError(this.config, key, session.streamQuery?.secret) ?? this.registry.admissionError(key);
  }

  private readonly onPrePublish = (session: NmsSession): void => {
    if (isInternalSession(session)) return;
    const err = this.admissionError(session);
    if (err) {
      (session as unknown as Record<symbol, boolean>)[REJECTED] = true;
      this.log.warn({ path: session.streamPath, ip: session.ip, reason: err }, 'publish refused');
      session.close();
    }
  };

  private readonly onPostPublish = (session: NmsSession): void => {
    if (isInternalSession(session) || (session as unknown as Record<symbol, boolean>)[REJECTED]) return;
    const broadcast = session.broadcast;
    // NMS refuses a second publisher right after this event; only the first one gets a pipeline.
    if (!broadcast || broadcast.publisher !== null) return;
    const key = session.streamName;
    const socket = session.socket ?? (session as unknown as { req?: { socket?: import('node:net').Socket } }).req?.socket;
    const pipeline = this.registry.start({
      key,
      fpsHint: () => session.videoFramerate,
      disconnect: (reason) => {
        this.log.warn({ stream: key, reason }, 'disconnecting publisher');
        tap.close();
        // destroy, not NMS's close(): a half-closed socket lets a publisher keep pushing into the void.
        if (socket) socket.destroy();
        else session.close();
      },
    });
    // Attach now: the first packets can be parsed from the same TCP chunk as the publish command.
    const tap = tapBroadcast(broadcast, (tag) => {
      const packet = parseFlvTag(tag);
      if (packet.flags === 5) {
        const s = session as unknown as Record<string, unknown>;
        pipeline.onMetadata({ audiocodecid: s.audioCodec, audiosamplerate: s.audioSamplerate, stereo: s.audioChannels === 2, audiodatarate: s.audioDatarate });
        return;
      }
      pipeline.onTag(tag, packet);
    });
    const onGone = (): void => {
      tap.close();
      void this.registry.end(key, pipeline, 'publisher disconnected');
    };
    if (socket && !socket.destroyed) socket.once('close', onGone);
    else onGone();
  };
}
