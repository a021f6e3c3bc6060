import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback } from 'werift';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { NAL_AUD, nalType, parseAvcConfig, splitAvcc } from '../../media/avc.js';
import type { AVPacket } from '../../rtmp/nms.js';
import type { StreamPipeline } from '../../stream/pipeline.js';
import type { StreamRegistry } from '../../stream/registry.js';
import { HttpError, type SdpEndpoint } from '../../webrtc/http.js';
import { PeerLiveness } from '../../webrtc/liveness.js';
import type { OpusRelay } from '../../webrtc/opus-relay.js';
import { answerOffer, createPeer } from '../../webrtc/peer.js';
import { packetizePicture } from './h264-packetizer.js';
import { ViewerTracks } from './viewer.js';

/** A viewer still without a picture asks for a keyframe again this often (requests are rate-limited upstream). */
const KEYFRAME_RETRY_MS = 1000;

interface Viewer {
  readonly id: string;
  readonly key: string;
  readonly tracks: ViewerTracks;
  close(reason: string): Promise<void>;
}

/**
 * The clean stream of one key for all its viewers: taps the pipeline's encoder output once,
 * packetizes each picture once, and fans it out. Survives republishes: a new pipeline for the key
 * is tapped as it starts.
 */
class CleanFeed {
  readonly viewers = new Set<Viewer>();
  private paramSets: Buffer[] = [];
  private detach: (() => void) | undefined;
  pipeline: StreamPipeline | undefined;

  attach(pipeline: StreamPipeline): void {
    this.detach?.();
    this.pipeline = pipeline;
    this.paramSets = [];
    this.detach = pipeline.addTap({ onCleanVideo: (p) => this.onPacket(p) });
    // Viewers of the previous publish must start over at the new stream's first keyframe.
    for (const v of this.viewers) v.tracks.waitingForKeyframe = true;
  }

  close(): void {
    this.detach?.();
    this.detach = undefined;
    this.pipeline = undefined;
  }

  private onPacket(packet: AVPacket): void {
    const body = packet.data;
    if (body.length < 5 || (body[0]! & 0x0f) !== 7) return;
    if (body[1] === 0) {
      const { sps, pps } = parseAvcConfig(body.subarray(5));
      this.paramSets = [...sps, ...pps].map((b) => Buffer.from(b));
      return;
    }
    const keyframe = packet.flags === 3;
    const nals = splitAvcc(body.subarray(5)).filter((n) => nalType(n) !== NAL_AUD);
    // SPS/PPS travel in-band before every keyframe: a viewer joining there needs nothing else.
    const payloads = packetizePicture(keyframe ? [...this.paramSets, ...nals] : nals);
    const rtpTimestamp = (packet.pts * 90) >>> 0;
    for (const v of this.viewers) v.tracks.sendPicture(payloads, rtpTimestamp, keyframe);
  }
}

/**
 * WHEP viewers (POST /whep/<key>): a werift peer each, fed from the key's shared CleanFeed (one
 * encoder per stream, whatever the number of viewers). A new viewer or a PLI asks the pipeline
 * for a keyframe; Opus from a WHIP publisher of the key is relayed as it arrived.
 */
export class WhepEgress implements SdpEndpoint {
  private readonly feeds = new Map<string, CleanFeed>();
  private readonly viewers = new Map<string, Viewer>();
  private readonly offStart: () => void;

  constructor(
    private readonly config: Config,
    private readonly registry: StreamRegistry,
    private readonly opus: OpusRelay,
    private readonly log: Logger,
  ) {
    this.offStart = registry.onStart((key, pipeline) => this.feeds.get(key)?.attach(pipeline));
  }

  async create(key: string, offerSdp: string, _req: IncomingMessage): Promise<{ id: string; answer: string }> {
    const feed = this.feeds.get(key);
    if ((feed?.viewers.size ?? 0) >= this.config.webrtc.maxViewersPerStream) {
      throw new HttpError(503, `stream "${key}" has its maximum of ${this.config.webrtc.maxViewersPerStream} viewers`);
    }
    const kinds = [...offerSdp.matchAll(/^m=(audio|video) /gm)].map((m) => m[1] as 'audio' | 'video');
    if (!kinds.includes('video')) throw new HttpError(400, 'the offer has no video');
    // A viewer waiting for a publisher receives nothing and reports nothing: its ICE consent checks
    // are what show it is still there.
    const heard = { touch: (): void => {} };
    const pc = createPeer(this.config, ['h264'], () => heard.touch());
    const tracks = new ViewerTracks(pc);
    // Our tracks first, one per offered m-line in order: werift pairs them with the offer's sections.
    for (const kind of kinds) pc.addTransceiver(kind === 'video' ? tracks.video : tracks.audio, { direction: 'sendonly' });
    const answer = await answerOffer(pc, offerSdp, this.config);
    const viewer = this.startViewer(key, tracks, heard);
    this.log.info({ stream: key, session: viewer.id }, 'WHEP viewer accepted');
    return { id: viewer.id, answer };
  }

  private feedFor(key: string): CleanFeed {
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new CleanFeed();
      this.feeds.set(key, feed);
      const running = this.registry.get(key);
      if (running) feed.attach(running);
    }
    return feed;
  }

  private startViewer(key: string, tracks: ViewerTracks, heard: { touch: () => void }): Viewer {
    const id = randomUUID();
    const pc = tracks.pc;
    const feed = this.feedFor(key);
    let closed = false;
    const close = async (reason: string): Promise<void> => {
      if (closed) return;
      closed = true;
      liveness.stop();
      clearInterval(retry);
      unsubscribeAudio();
      feed.viewers.delete(viewer);
      if (!feed.viewers.size && this.feeds.get(key) === feed) {
        feed.close();
        this.feeds.delete(key);
      }
      this.viewers.delete(id);
      this.log.info({ stream: key, session: id, reason, pictures: tracks.picturesSent }, 'WHEP session ended');
      await pc.close();
    };
    const liveness = new PeerLiveness(pc, this.config.webrtc.connectTimeoutMs, this.config.webrtc.peerTimeoutMs, (reason) => void close(reason));
    heard.touch = () => liveness.touch();
    const wantKeyframe = (): void => {
      if (liveness.isConnected) feed.pipeline?.requestKeyframe();
    };
    pc.connectionStateChange.subscribe((state) => { if (state === 'connected') wantKeyframe(); });
    const retry = setInterval(() => { if (tracks.waitingForKeyframe) wantKeyframe(); }, KEYFRAME_RETRY_MS);
    retry.unref();
    for (const t of pc.getTransceivers()) {
      // Receiver reports prove the viewer is alive; payload-specific feedback other than REMB is
      // PLI or FIR, both asking for a picture.
      t.sender.onRtcp.subscribe((rtcp) => {
        liveness.touch();
        if (rtcp instanceof RtcpPayloadSpecificFeedback && !(rtcp.feedback instanceof ReceiverEstimatedMaxBitrate)) {
          wantKeyframe();
        }
      });
    }
    const unsubscribeAudio = this.opus.subscribe(key, (p) => tracks.sendAudio(p));
    const viewer: Viewer = { id, key, tracks, close };
    feed.viewers.add(viewer);
    this.viewers.set(id, viewer);
    return viewer;
  }

  async remove(key: string, id: string): Promise<boolean> {
    const viewer = this.viewers.get(id);
    if (!viewer || viewer.key !== key) return false;
    await viewer.close('viewer sent DELETE');
    return true;
  }

  /** Live viewer count per key (tests, stats). */
  viewerCount(key: string): number {
    return this.feeds.get(key)?.viewers.size ?? 0;
  }

  async closeAll(): Promise<void> {
    this.offStart();
    await Promise.all([...this.viewers.values()].map((v) => v.close('server shutting down')));
  }
}
