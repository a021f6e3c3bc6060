import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { MediaStreamTrack, RTCPeerConnection, RTCRtpTransceiver, RtpPacket } from 'werift';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import type { StreamPipeline } from '../../stream/pipeline.js';
import type { StreamRegistry } from '../../stream/registry.js';
import { bearerToken, HttpError, type SdpEndpoint } from '../../webrtc/http.js';
import { PeerLiveness } from '../../webrtc/liveness.js';
import type { OpusRelay } from '../../webrtc/opus-relay.js';
import { OpusToAac } from './opus-to-aac.js';
import { answerOffer, createPeer } from '../../webrtc/peer.js';
import { publishSecretError } from '../auth.js';
import { AvcFlvMuxer } from './flv-avc.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import { RtpClock } from './rtp-sequence.js';
import { Vp8Depacketizer } from './vp8-depacketizer.js';

/** Until the first picture decodes, ask again this often: a PLI sent before DTLS was up is lost. */
const PLI_UNTIL_KEYFRAME_MS = 500;
/** Loss bursts produce many gaps; one PLI per this interval is enough for the publisher. */
const MIN_PLI_GAP_MS = 300;

interface WhipSession {
  readonly id: string;
  readonly pc: RTCPeerConnection;
  readonly pipeline: StreamPipeline;
  close(reason: string): Promise<void>;
}

/**
 * WHIP publishers (RFC 9725): one werift peer and one StreamPipeline per accepted offer. H.264 RTP
 * is reassembled into pictures and handed to the pipeline as FLV tags, exactly what an RTMP
 * publisher's tags look like; VP8 goes to the same pipeline's decoder in IVF. Opus goes to WHEP
 * viewers of the same key through the relay.
 */
export class WhipIngest implements SdpEndpoint {
  private readonly sessions = new Map<string, WhipSession>();

  constructor(
    private readonly config: Config,
    private readonly registry: StreamRegistry,
    private readonly opus: OpusRelay,
    private readonly log: Logger,
  ) {}

  async create(key: string, offerSdp: string, req: IncomingMessage): Promise<{ id: string; answer: string }> {
    const authError = publishSecretError(this.config, key, bearerToken(req));
    if (authError) throw new HttpError(401, authError);
    const busy = this.registry.admissionError(key);
    if (busy) throw new HttpError(this.registry.has(key) ? 409 : 503, busy);
    if (!/^m=video .*\r?$/m.test(offerSdp)) throw new HttpError(400, 'the offer has no video');

    const pc = createPeer(this.config, ['h264', 'vp8']);
    const answer = await answerOffer(pc, offerSdp, this.config, () => {
      for (const t of pc.getTransceivers()) {
        t.setDirection('recvonly');
        // H.264 first in our answer, so a publisher offering both sends H.264: it enters the pipeline
        // as the same FLV tags as RTMP. VP8 when it is all the offer has.
        t.codecs = [...t.codecs].sort((a, b) => Number(isVp8(a.mimeType)) - Number(isVp8(b.mimeType)));
      }
    });
    // The answer took time (ICE gathering): another publisher may have taken the key (or the last slot) meanwhile.
    const lost = this.registry.admissionError(key);
    if (lost) {
      await pc.close();
      throw new HttpError(this.registry.has(key) ? 409 : 503, lost);
    }
    const session = this.startSession(key, pc);
    this.log.info({ stream: key, session: session.id }, 'WHIP publisher accepted');
    return { id: session.id, answer };
  }

  private startSession(key: string, pc: RTCPeerConnection): WhipSession {
    const id = randomUUID();
    let closed = false;
    const close = async (reason: string): Promise<void> => {
      if (closed) return;
      closed = true;
      liveness.stop();
      clearInterval(pliTimer);
      toAac.close();
      this.sessions.delete(id);
      this.log.info({ stream: key, session: id, reason }, 'WHIP session ended');
      await Promise.all([this.registry.end(key, pipeline, reason), pc.close()]);
    };
    const video = pc.getTransceivers().find((t) => t.kind === 'video');
    const videoInput = video && isVp8(video.codecs[0]?.mimeType ?? '') ? 'vp8' : 'flv';
    const pipeline = this.registry.start({
      key,
      fpsHint: () => undefined,
      videoInput,
      disconnect: (reason) => void close(reason),
    });
    const toAac = new OpusToAac(key, (packet) => pipeline.onDerivedAudio(packet), this.log);
    const liveness = new PeerLiveness(pc, this.config.webrtc.connectTimeoutMs, this.config.webrtc.peerTimeoutMs, (reason) => void close(reason));
    let sawKeyframe = false;
    let lastPli = -Infinity;
    let requestKeyframe = (): void => {};
    const pliTimer = setInterval(() => { if (!sawKeyframe) requestKeyframe(); }, PLI_UNTIL_KEYFRAME_MS);
    pliTimer.unref();

    // werift announces remote tracks during setRemoteDescription, already done: take them from the receivers.
    for (const transceiver of pc.getTransceivers()) {
      const track = transceiver.receiver.track;
      if (track.kind === 'audio') {
        track.onReceiveRtp.subscribe((rtp) => {
          liveness.touch();
          this.opus.publish(key, rtp);
          toAac.push(rtp);
        });
        continue;
      }
      requestKeyframe = () => {
        const now = performance.now();
        if (now - lastPli < MIN_PLI_GAP_MS || !liveness.isConnected) return;
        lastPli = now;
        sendPli(transceiver, track);
      };
      const depacketizer = videoInput === 'vp8' ? vp8Into(pipeline, () => { sawKeyframe = true; }, () => requestKeyframe())
        : h264Into(pipeline, () => { sawKeyframe = true; }, () => requestKeyframe());
      track.onReceiveRtp.subscribe((rtp: RtpPacket) => {
        liveness.touch();
        depacketizer.push(rtp);
      });
    }
    const session: WhipSession = { id, pc, pipeline, close };
    this.sessions.set(id, session);
    return session;
  }

  async remove(key: string, id: string): Promise<boolean> {
    const session = this.sessions.get(id);
    if (!session || session.pipeline.key !== key) return false;
    await session.close('publisher sent DELETE');
    return true;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close('server shutting down')));
  }
}

/** H.264 RTP -> pictures -> FLV tags, the pipeline's RTMP input. */
function h264Into(pipeline: StreamPipeline, onKeyframe: () => void, onLoss: () => void): H264Depacketizer {
  const muxer = new AvcFlvMuxer();
  return new H264Depacketizer((unit) => {
    if (unit.keyframe) onKeyframe();
    for (const { tag, packet } of muxer.mux(unit)) pipeline.onTag(tag, packet);
  }, onLoss);
}

/** VP8 RTP -> frames with millisecond pts -> the pipeline's IVF input. */
function vp8Into(pipeline: StreamPipeline, onKeyframe: () => void, onLoss: () => void): Vp8Depacketizer {
  const clock = new RtpClock();
  let started = false;
  return new Vp8Depacketizer((frame) => {
    const pts = clock.ms(frame.rtpTimestamp);
    // The decoder learns the picture size from a keyframe: nothing before the first one is usable.
    if (!started && !frame.keyframe) return;
    started = true;
    if (frame.keyframe) onKeyframe();
    pipeline.onVp8Frame(frame.data, pts, frame.keyframe);
  }, onLoss);
}

function isVp8(mimeType: string): boolean {
  return mimeType.toLowerCase() === 'video/vp8';
}

function sendPli(transceiver: RTCRtpTransceiver, track: MediaStreamTrack): void {
  if (track.ssrc === undefined) return;
  void transceiver.receiver.sendRtcpPLI(track.ssrc).catch(() => { /* the peer is going away; liveness reports it */ });
}
