import { MediaStreamTrack, type RTCPeerConnection } from 'werift';
import type { Config } from '../../src/config/schema.js';
import type { VideoFrame } from '../../src/core/frame.js';
import { FfmpegProcess } from '../../src/media/ffmpeg.js';
import { exchange, openRtpInlet, whepDecodingViewer, type DecodingViewer, type SdpExchange } from '../../src/webrtc/client.js';
import { createPeer } from '../../src/webrtc/peer.js';
import { BOX, type ClipOptions } from './media.js';

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
 * H.264 constrained baseline (or VP8) over plain RTP to a local UDP port, forwarded into the peer's track.
 */
export async function whipPublish(config: Config, url: string, clip: ClipOptions & { token?: string; codec?: 'h264' | 'vp8'; opus?: boolean }): Promise<WhipPublisher> {
  const codec = clip.codec ?? 'h264';
  const pc = createPeer(config, [codec]);
  const track = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(track, { direction: 'sendonly' });
  const audioTrack = new MediaStreamTrack({ kind: 'audio' });
  if (clip.opus) pc.addTransceiver(audioTrack, { direction: 'sendonly' });
  const result = await exchange(pc, url, clip.token);
  const children: FfmpegProcess[] = [];
  const inlets: { port: number; close(): void }[] = [];
  let ffmpeg: FfmpegProcess | undefined;
  if (result.status === 201 && clip.opus) {
    const audioInlet = await openRtpInlet(audioTrack);
    inlets.push(audioInlet);
    children.push(new FfmpegProcess({
      name: 'whip test opus source',
      args: ['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000', '-t', String(clip.seconds),
        '-c:a', 'libopus', '-f', 'rtp', '-payload_type', '111', `rtp://127.0.0.1:${audioInlet.port}?pkt_size=1200`],
    }));
  }
  if (result.status === 201) {
    const inlet = await openRtpInlet(track);
    inlets.push(inlet);
    const w = clip.width ?? 640;
    const h = clip.height ?? 360;
    const fps = clip.fps ?? 30;
    const video = `smptehdbars=s=${w}x${h}:r=${fps},format=yuv420p,drawbox=x=${BOX.x}:y=${BOX.y}:w=${BOX.width}:h=${BOX.height}:color=red:t=fill`;
    ffmpeg = new FfmpegProcess({
      name: 'whip test source',
      args: ['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', video, '-frames:v', String(Math.round(clip.seconds * fps)),
        ...(codec === 'vp8'
          ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k', '-g', String(fps)]
          : ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', String(fps)]),
        '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${inlet.port}?pkt_size=1200`],
    });
    children.push(ffmpeg);
  }
  const shutdown = async (): Promise<void> => {
    await Promise.all(children.map((c) => c.kill()));
    for (const i of inlets) i.close();
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

export interface WhepViewer extends DecodingViewer {
  /** The last decoded frames, newest last. */
  readonly frames: VideoFrame[];
}

export async function whepView(config: Config, url: string, opts: { audio?: boolean } = {}): Promise<WhepViewer> {
  const frames: VideoFrame[] = [];
  const viewer = await whepDecodingViewer(config, url, (f) => {
    frames.push(f);
    if (frames.length > 10) frames.shift();
  }, opts.audio);
  return { ...viewer, frames };
}
