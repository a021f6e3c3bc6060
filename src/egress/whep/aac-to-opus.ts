import { createSocket, type Socket } from 'node:dgram';
import { RtpPacket } from 'werift';
import type { Logger } from '../../core/log.js';
import { FfmpegProcess } from '../../media/ffmpeg.js';
import { Flv, type AVPacket } from '../../rtmp/nms.js';
import type { OpusRelay } from '../../webrtc/opus-relay.js';

/**
 * WebRTC viewers can't play AAC, and an RTMP publisher sends nothing else: this transcodes one
 * stream's AAC to Opus in an ffmpeg child (FLV tags in on stdin, RTP out to a loopback UDP port)
 * and hands the RTP packets to the same relay WHIP's Opus uses. It starts once the stream has sent
 * its AAC header and a WHEP viewer listens, so streams without AAC (WHIP ones) or without WebRTC
 * viewers never spawn it.
 */
export class AacToOpus {
  private proc: FfmpegProcess | undefined;
  private socket: Socket | undefined;
  private closed = false;
  /** The AAC AudioSpecificConfig tag: a transcoder started later needs it before any frame. */
  private header: Buffer | undefined;

  constructor(private readonly key: string, private readonly relay: OpusRelay, private readonly log: Logger) {}

  /** One source audio tag (whole FLV tag bytes) and its parsed packet. */
  push(tag: Buffer, packet: AVPacket): void {
    if (this.closed) return;
    // FLV sound format 10 is AAC; flags 0 marks its AudioSpecificConfig, which must come first.
    if (packet.codec_id === 10 && packet.flags === 0) this.header = tag;
    if (!this.proc && !this.socket && this.header && this.relay.hasListeners(this.key)) this.start(this.header);
    if (!this.proc || this.proc.exited || tag === this.header) return;
    // Audio is small and steady; a child that stops reading is dead, so bound what we queue.
    if (this.proc.stdinBacklog < 1 << 20) this.proc.write(tag);
  }

  private start(header: Buffer): void {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg) => {
      try {
        this.relay.publish(this.key, RtpPacket.deSerialize(msg));
      } catch {
        /* not RTP: ignore */
      }
    });
    socket.on('error', (err) => this.log.warn({ err, stream: this.key }, 'AAC->Opus socket error'));
    socket.bind(0, '127.0.0.1', () => {
      if (this.closed) return;
      const port = socket.address().port;
      this.proc = new FfmpegProcess({
        name: `aac-to-opus ${this.key}`,
        args: [
          '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0', '-f', 'flv', '-i', 'pipe:0',
          '-vn', '-c:a', 'libopus', '-application', 'lowdelay', '-frame_duration', '20', '-b:a', '96k', '-ar', '48000', '-ac', '2',
          '-payload_type', '111', '-f', 'rtp', `rtp://127.0.0.1:${port}`,
        ],
      });
      this.proc.write(Flv.createHeader(true, false));
      this.proc.write(header);
      this.proc.on('exit', (code, _signal, reason) => {
        if (!this.closed && code !== 0) this.log.warn({ stream: this.key, reason }, 'AAC->Opus transcoder stopped; WHEP viewers get no audio');
      });
    });
  }

  close(): void {
    this.closed = true;
    void this.proc?.kill();
    this.socket?.close();
    this.socket = undefined;
  }
}
