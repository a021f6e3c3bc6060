import { metadataPacket, openInternalPublisher, type AVPacket, type InternalPublisher } from '../../rtmp/nms.js';

/** Audio held waiting for video to catch up, at most (AAC at 48 kHz is ~47 packets/s). */
const MAX_HELD_AUDIO = 120;

export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
}

/**
 * Puts the clean stream on the RTMP server: video from our encoder, audio passed through
 * untouched from the publisher. Video comes out of the filter path some tens of ms after its
 * audio, so audio is held and released once video with a later timestamp has gone out: players
 * then see a well interleaved stream and lip sync is exactly the source's.
 */
export class CleanPublisher {
  private readonly out: InternalPublisher;
  private readonly heldAudio: AVPacket[] = [];
  private lastVideoDts = -Infinity;
  private sourceMeta: Record<string, number | string | boolean> = {};
  private videoInfo: VideoInfo | undefined;
  private metaSent = false;
  packetsOut = 0;

  constructor(app: string, key: string) {
    this.out = openInternalPublisher(app, key);
  }

  /** Audio fields of the publisher's onMetaData, merged into ours. */
  setSourceMetadata(fields: Record<string, unknown>): void {
    const keep: Record<string, number | string | boolean> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (k.startsWith('audio') || k === 'stereo') {
        if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') keep[k] = v;
      }
    }
    this.sourceMeta = keep;
  }

  setVideoInfo(info: VideoInfo): void {
    this.videoInfo = info;
    this.metaSent = false;
  }

  onAudio(packet: AVPacket): void {
    if (packet.flags === 0) {
      // The codec header must precede audio frames; it carries no timestamp worth waiting for.
      this.send(packet);
      return;
    }
    this.heldAudio.push(packet);
    this.releaseAudio();
  }

  onVideo(packet: AVPacket): void {
    if (!this.metaSent && this.videoInfo) {
      const v = this.videoInfo;
      this.send(metadataPacket({
        ...this.sourceMeta,
        width: v.width, height: v.height, framerate: v.fps, videocodecid: 7, videodatarate: v.bitrateKbps,
        encoder: 'clearcast',
      }, packet.dts));
      this.metaSent = true;
    }
    this.send(packet);
    if (packet.flags === 3 || packet.flags === 4) {
      this.lastVideoDts = packet.dts;
      this.releaseAudio();
    }
  }

  private releaseAudio(): void {
    while (this.heldAudio.length) {
      const head = this.heldAudio[0]!;
      if (head.dts > this.lastVideoDts && this.heldAudio.length <= MAX_HELD_AUDIO) break;
      this.send(this.heldAudio.shift()!);
    }
  }

  private send(packet: AVPacket): void {
    this.packetsOut++;
    this.out.publish(packet);
  }

  /** End of stream: whatever audio is still held goes out, then the path is released. */
  close(): void {
    this.lastVideoDts = Infinity;
    this.releaseAudio();
    this.out.close();
  }
}
