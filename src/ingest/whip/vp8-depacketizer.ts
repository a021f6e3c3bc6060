import type { RtpPacketLike } from './h264-depacketizer.js';
import { MAX_PICTURE_BYTES, RtpSequence } from './rtp-sequence.js';

export interface Vp8Frame {
  readonly rtpTimestamp: number;
  readonly data: Buffer;
  readonly keyframe: boolean;
}

/** Bytes of RFC 7741's payload descriptor in front of the VP8 data. */
function descriptorLength(p: Buffer): number {
  let off = 1;
  if (p[0]! & 0x80) {
    const ext = p[off++]!;
    if (ext & 0x80) off += p[off]! & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (ext & 0x40) off += 1; // TL0PICIDX
    if (ext & 0x30) off += 1; // TID/KEYIDX
  }
  return off;
}

/**
 * RFC 7741 back into whole VP8 frames: a frame starts at S=1 with partition 0 and ends at the
 * marker bit. After a gap, frames are dropped until the next keyframe and `onLoss` asks for one.
 */
export class Vp8Depacketizer {
  private parts: Buffer[] = [];
  private timestamp: number | undefined;
  private readonly sequence = new RtpSequence();
  private broken = false;
  /** Payload bytes held for the frame being assembled. */
  pendingBytes = 0;

  constructor(private readonly onFrame: (frame: Vp8Frame) => void, private readonly onLoss: () => void) {}

  push(packet: RtpPacketLike): void {
    const verdict = this.sequence.check(packet.header.sequenceNumber);
    if (verdict === 'late') return;
    if (verdict === 'gap') this.lose();
    const p = packet.payload;
    if (p.length < 2) return;
    const start = (p[0]! & 0x10) !== 0 && (p[0]! & 0x07) === 0;
    if (start) {
      this.parts = [];
      this.pendingBytes = 0;
      this.timestamp = packet.header.timestamp;
    }
    // A continuation of a frame whose start we never saw is useless.
    if (this.timestamp === undefined || packet.header.timestamp !== this.timestamp) return;
    this.pendingBytes += p.length;
    // Treated as a loss: the frame is dropped and a keyframe asked for.
    if (this.pendingBytes > MAX_PICTURE_BYTES) return this.lose();
    this.parts.push(p.subarray(descriptorLength(p)));
    if (packet.header.marker) this.flush();
  }

  private lose(): void {
    this.broken = true;
    this.parts = [];
    this.pendingBytes = 0;
    this.timestamp = undefined;
    this.onLoss();
  }

  private flush(): void {
    const data = Buffer.concat(this.parts);
    const timestamp = this.timestamp!;
    this.parts = [];
    this.pendingBytes = 0;
    this.timestamp = undefined;
    if (!data.length) return;
    // VP8 frame tag: bit 0 clear = keyframe (RFC 6386, 9.1).
    const keyframe = (data[0]! & 0x01) === 0;
    if (this.broken && !keyframe) return;
    this.broken = false;
    this.onFrame({ rtpTimestamp: timestamp, data, keyframe });
  }
}
