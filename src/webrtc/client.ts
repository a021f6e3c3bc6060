import { createSocket } from 'node:dgram';
import type { MediaStreamTrack, RTCPeerConnection } from 'werift';
import type { Config } from '../config/schema.js';
import type { VideoFrame } from '../core/frame.js';
import { H264Depacketizer } from '../ingest/whip/h264-depacketizer.js';
import { FrameDecoder } from '../media/decoder.js';
import { createPeer } from './peer.js';

const ANNEX_B = Buffer.from([0, 0, 0, 1]);
/**
 * An access unit delimiter after each picture: ffmpeg's raw H.264 parser only knows a picture is
 * complete when the next one starts, which would hold every frame for one frame time.
 */
const END_OF_PICTURE = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
/** A loss burst leaves many gaps; one keyframe request per this interval is enough. */
const MIN_PLI_GAP_MS = 300;

export interface SdpExchange {
  status: number;
  /** Session URL path to DELETE, when accepted. */
  location: string | undefined;
  /** The answer, or the server's reason for refusing. */
  answer: string;
}

/**
 * The client half of WHIP/WHEP for werift peers (tests, benchmarks): our offer, complete (no
 * trickle), POSTed; the answer applied when the server accepted it.
 */
export async function exchange(pc: RTCPeerConnection, url: string, token?: string): Promise<SdpExchange> {
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: pc.localDescription!.sdp,
  });
  const answer = await res.text();
  if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return { status: res.status, location: res.headers.get('location') ?? undefined, answer };
}

/**
 * A local UDP port whose datagrams (plain RTP, e.g. from `ffmpeg -f rtp`) go out through a werift
 * track: how tests and benchmarks publish ffmpeg-made H.264 over WHIP.
 */
export async function openRtpInlet(track: MediaStreamTrack): Promise<{ port: number; close(): void }> {
  const udp = createSocket('udp4');
  udp.on('message', (msg) => track.writeRtp(msg));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  return { port: udp.address().port, close: () => udp.close() };
}

export interface DecodingViewer {
  readonly pc: RTCPeerConnection;
  readonly result: SdpExchange;
  /** Opus RTP packets received (when audio was asked for). */
  audioPackets(): number;
  /** Keyframe requests (PLI) sent after lost video packets. */
  keyframeRequests(): number;
  /** Fault injection: the next video packet that arrives is thrown away, as if lost. */
  loseNextVideoPacket(): void;
  close(): Promise<void>;
}

/** A werift WHEP client that decodes what it receives (ffmpeg, Annex-B in) into yuv420p frames. */
export async function whepDecodingViewer(config: Config, url: string, onFrame: (frame: VideoFrame) => void, audio = false): Promise<DecodingViewer> {
  const pc = createPeer(config);
  pc.addTransceiver('video', { direction: 'recvonly' });
  if (audio) pc.addTransceiver('audio', { direction: 'recvonly' });
  let audioPackets = 0;
  const decoder = new FrameDecoder({ name: 'whep viewer', inputArgs: ['-f', 'h264', '-i', 'pipe:0'], lowDelay: true, onFrame });
  // After a lost packet the depacketizer waits for a keyframe; like a browser, ask for one at
  // once instead of waiting out the encoder's keyframe interval (10 s in some tests).
  let askForKeyframe = (): void => {};
  let lastPli = -Infinity;
  let keyframeRequests = 0;
  let loseNext = false;
  const depacketizer = new H264Depacketizer((unit) => {
    decoder.write(Buffer.concat([...unit.nals.flatMap((nal) => [ANNEX_B, nal]), END_OF_PICTURE]));
  }, () => askForKeyframe());
  pc.onTrack.subscribe((track) => {
    if (track.kind === 'video') {
      askForKeyframe = () => {
        const now = performance.now();
        const receiver = pc.getTransceivers().find((t) => t.receiver.track === track)?.receiver;
        if (now - lastPli < MIN_PLI_GAP_MS || track.ssrc === undefined || !receiver) return;
        lastPli = now;
        keyframeRequests++;
        void receiver.sendRtcpPLI(track.ssrc).catch(() => { /* closing */ });
      };
    }
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind === 'audio') audioPackets++;
      else if (loseNext) loseNext = false;
      else depacketizer.push(rtp);
    });
  });
  const result = await exchange(pc, url);
  return {
    pc, result,
    audioPackets: () => audioPackets,
    keyframeRequests: () => keyframeRequests,
    loseNextVideoPacket: () => { loseNext = true; },
    close: async () => {
      await decoder.kill();
      await pc.close();
    },
  };
}
