import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RtpPacket } from 'werift';
import type { Logger } from '../../core/log.js';
import { FfmpegProcess } from '../../media/ffmpeg.js';
import { Flv, type AVPacket } from '../../rtmp/nms.js';

/** A UDP port free right now on loopback (ffmpeg binds it, and the next one for RTCP). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * FLV (the RTMP and HTTP-FLV clean path) has no Opus in ffmpeg 5.1: a WHIP publisher's Opus is
 * transcoded to AAC in an ffmpeg child (RTP in on a loopback port described by an SDP file, FLV
 * out on stdout) and handed to the pipeline as audio packets. Both the video (RTP time) and this
 * audio start their clocks at their first packet, which arrive together when a publisher starts.
 */
export class OpusToAac {
  private proc: FfmpegProcess | undefined;
  private readonly sender: Socket = createSocket('udp4');
  private port = 0;
  private starting = false;
  private closed = false;
  private dir: string | undefined;

  constructor(private readonly key: string, private readonly onPacket: (packet: AVPacket) => void, private readonly log: Logger) {
    this.sender.on('error', () => { /* a send to a child that is gone: its exit is reported */ });
  }

  push(rtp: RtpPacket): void {
    if (this.closed) return;
    if (!this.proc && !this.starting) void this.start(rtp.header.payloadType);
    if (this.proc && !this.proc.exited) this.sender.send(rtp.serialize(), this.port, '127.0.0.1');
  }

  private async start(payloadType: number): Promise<void> {
    this.starting = true;
    this.port = await freeUdpPort();
    if (this.closed) return;
    this.dir = mkdtempSync(join(tmpdir(), 'clearcast-whip-audio-'));
    const sdp = join(this.dir, 'audio.sdp');
    writeFileSync(sdp, [
      'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=whip audio', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${this.port} RTP/AVP ${payloadType}`, `a=rtpmap:${payloadType} opus/48000/2`, '',
    ].join('\n'));
    const proc = new FfmpegProcess({
      name: `opus-to-aac ${this.key}`,
      args: [
        '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp', '-probesize', '32', '-analyzeduration', '0', '-i', sdp,
        '-vn', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-f', 'flv', '-flush_packets', '1', 'pipe:1',
      ],
    });
    const parser = new Flv();
    parser.onPacketCallback = (p) => {
      if (p.codec_type !== 8) return;
      // NMS's parser reuses its buffer: the packet outlives this call in the audio queue.
      const data = Buffer.from(p.data.subarray(0, p.size));
      this.onPacket({ ...p, data, size: data.length });
    };
    proc.child.stdout!.on('data', (chunk: Buffer) => { parser.parserData(chunk); });
    proc.on('exit', (code, _signal, reason) => {
      if (!this.closed && code !== 0) this.log.warn({ stream: this.key, reason }, 'Opus->AAC transcoder stopped; the RTMP output has no audio');
    });
    this.proc = proc;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.proc?.kill();
    this.sender.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
