import { buildAvcConfig, NAL_AUD, NAL_PPS, NAL_SPS, joinAvcc, nalType } from '../../media/avc.js';
import { makePacket, type AVPacket } from '../../rtmp/nms.js';
import type { AccessUnit } from './h264-depacketizer.js';
import { RtpClock } from './rtp-sequence.js';

export interface FlvVideoTag {
  readonly tag: Buffer;
  readonly packet: AVPacket;
}

/** A whole FLV tag (11-byte header, body, previous-tag-size trailer), as the pipeline's decoder reads it. */
export function flvTag(type: number, timestampMs: number, body: Buffer): Buffer {
  const tag = Buffer.alloc(11 + body.length + 4);
  tag[0] = type;
  tag.writeUIntBE(body.length, 1, 3);
  tag.writeUIntBE(timestampMs & 0xffffff, 4, 3);
  tag[7] = (timestampMs >>> 24) & 0xff;
  body.copy(tag, 11);
  tag.writeUInt32BE(11 + body.length, 11 + body.length);
  return tag;
}

function avcBody(keyframe: boolean, packetType: 0 | 1, payload: Buffer): Buffer {
  // Frame type (1 key, 2 inter) << 4 | codec 7 (AVC); packet type; composition time 0 (no B-frames in WebRTC).
  return Buffer.concat([Buffer.from([(keyframe ? 0x10 : 0x20) | 7, packetType, 0, 0, 0]), payload]);
}

/**
 * RTP pictures -> FLV AVC tags, so a WHIP stream enters the same pipeline (and the same ffmpeg
 * FLV decoder) as an RTMP one. Parameter sets travel in-band over RTP; they become an AVC sequence
 * header whenever they change. Timestamps: RTP's 90 kHz clock, unwrapped, from 0 in ms.
 */
export class AvcFlvMuxer {
  private sps: Buffer | undefined;
  private pps: Buffer | undefined;
  private configSent = false;
  private readonly clock = new RtpClock();

  /** Tags for one picture: a sequence header first when SPS/PPS changed; nothing before the first one. */
  mux(unit: AccessUnit): FlvVideoTag[] {
    const pts = this.clock.ms(unit.rtpTimestamp);
    const out: FlvVideoTag[] = [];
    const picture: Buffer[] = [];
    for (const nal of unit.nals) {
      const type = nalType(nal);
      if (type === NAL_SPS) this.setParam('sps', nal);
      else if (type === NAL_PPS) this.setParam('pps', nal);
      else if (type !== NAL_AUD) picture.push(nal);
    }
    if (!this.configSent && this.sps && this.pps) {
      this.configSent = true;
      const body = avcBody(true, 0, buildAvcConfig({ sps: [this.sps], pps: [this.pps] }));
      out.push(this.tag(body, pts, 2));
    }
    if (!this.configSent || !picture.length) return out;
    out.push(this.tag(avcBody(unit.keyframe, 1, joinAvcc(picture)), pts, unit.keyframe ? 3 : 4));
    return out;
  }

  private setParam(which: 'sps' | 'pps', nal: Buffer): void {
    if (this[which]?.equals(nal)) return;
    this[which] = nal;
    this.configSent = false;
  }

  private tag(body: Buffer, pts: number, flags: number): FlvVideoTag {
    return { tag: flvTag(9, pts, body), packet: makePacket({ codec_type: 9, codec_id: 7, flags, data: body, pts, dts: pts }) };
  }
}
