import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack, type RTCPeerConnection } from 'werift';
import type { Config } from '../../src/config/schema.js';
import type { VideoFrame } from '../../src/core/frame.js';
import { H264Depacketizer } from '../../src/ingest/whip/h264-depacketizer.js';
import { FrameDecoder } from '../../src/media/decoder.js';
import { FfmpegProcess } from '../../src/media/ffmpeg.js';
import { createPeer } from '../../src/webrtc/peer.js';
import { BOX, type ClipOptions } from './media.js';

const ANNEX_B = Buffer.from([0, 0, 0, 1]);

export interface SdpExchange {
  status: number;
  location: string | undefined;
  answer: string;
}

/** Our offer, complete (no trickle), POSTed; the answer applied when the server accepted it. */
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

export interface WhipPublisher {
  readonly pc: RTCPeerConnection;
  readonly result: SdpExchange;
  readonly ffmpeg: FfmpegProcess | undefined;
  /** Ends the media without telling the server (peer loss). */
  vanish(): Promise<void>;
  /** DELETE on the Location, then close. */
  stop(baseUrl: string): Promise<number>;
}

/**
 * A werift WHIP client sending what ffmpeg makes: the test clip (colour bars, red box at BOX) as
 * H.264 constrained baseline over plain RTP to a local UDP port, forwarded into the peer's track.
 */
export async function whipPublish(config: Config, url: string, clip: ClipOptions & { token?: string }): Promise<WhipPublisher> {
  const pc = createPeer(config);
  const track = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(track, { direction: 'sendonly' });
  const result = await exchange(pc, url, clip.token);
  let ffmpeg: FfmpegProcess | undefined;
  let udp: Socket | undefined;
  if (result.status === 201) {
    udp = createSocket('udp4');
    udp.on('message', (msg) => track.writeRtp(msg));
    await new Promise<void>((resolve) => udp!.bind(0, '127.0.0.1', () => resolve()));
    const port = udp.address().port;
    const w = clip.width ?? 640;
    const h = clip.height ?? 360;
    const fps = clip.fps ?? 30;
    const video = `smptehdbars=s=${w}x${h}:r=${fps},format=yuv420p,drawbox=x=${BOX.x}:y=${BOX.y}:w=${BOX.width}:h=${BOX.height}:color=red:t=fill`;
    ffmpeg = new FfmpegProcess({
      name: 'whip test source',
      args: ['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', video, '-frames:v', String(Math.round(clip.seconds * fps)),
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', String(fps),
        '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}?pkt_size=1200`],
    });
  }
  const shutdown = async (): Promise<void> => {
    await ffmpeg?.kill();
    udp?.close();
    await pc.close();
  };
  return {
    pc, result, ffmpeg,
    vanish: shutdown,
    stop: async (baseUrl) => {
      const res = await fetch(new URL(result.location!, baseUrl), { method: 'DELETE' });
      await shutdown();
      return res.status;
    },
  };
}

export interface WhepViewer {
  readonly pc: RTCPeerConnection;
  readonly result: SdpExchange;
  readonly frames: VideoFrame[];
  /** RTP packets received (video). */
  packets(): number;
  close(): Promise<void>;
}

/** A werift WHEP client that decodes what it receives (ffmpeg, Annex-B in), keeping the last frames. */
export async function whepView(config: Config, url: string, keepFrames = 10): Promise<WhepViewer> {
  const pc = createPeer(config);
  pc.addTransceiver('video', { direction: 'recvonly' });
  const frames: VideoFrame[] = [];
  let packets = 0;
  const decoder = new FrameDecoder({
    name: 'whep test viewer',
    inputArgs: ['-f', 'h264', '-i', 'pipe:0'],
    lowDelay: true,
    onFrame: (f) => {
      frames.push(f);
      if (frames.length > keepFrames) frames.shift();
    },
  });
  const depacketizer = new H264Depacketizer((unit) => {
    for (const nal of unit.nals) decoder.write(Buffer.concat([ANNEX_B, nal]));
  }, () => {});
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      packets++;
      depacketizer.push(rtp);
    });
  });
  const result = await exchange(pc, url);
  return {
    pc, result, frames,
    packets: () => packets,
    close: async () => {
      await decoder.kill();
      await pc.close();
    },
  };
}
