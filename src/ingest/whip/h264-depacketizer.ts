import { NAL_IDR, nalType } from '../../media/avc.js';
import { MAX_PICTURE_BYTES, RtpSequence } from './rtp-sequence.js';

const STAP_A = 24;
const FU_A = 28;

export interface AccessUnit {
  /** RTP timestamp (90 kHz) shared by every packet of the picture. */
  readonly rtpTimestamp: number;
  readonly nals: Buffer[];
  readonly keyframe: boolean;
}

export interface RtpPacketLike {
  readonly header: { readonly sequenceNumber: number; readonly timestamp: number; readonly marker: boolean };
  readonly payload: Buffer;
}

/**
 * RFC 6184 (packetization-mode 1: single NAL, STAP-A, FU-A) back into whole pictures. A picture
 * ends at the marker bit or when the timestamp changes. Any gap in sequence numbers loses the
 * picture being assembled; `onLoss` lets the owner ask for a keyframe, since every later picture up
 * to the next IDR would reference what is missing. Reordering is not repaired (loopback/LAN).
 */
export class H264Depacketizer {
  private nals: Buffer[] = [];
  private fu: Buffer[] | undefined;
  private timestamp: number | undefined;
  private readonly sequence = new RtpSequence();
  private broken = false;
  /** Payload bytes held for the picture being assembled. */
  pendingBytes = 0;

  constructor(private readonly onUnit: (unit: AccessUnit) => void, private readonly onLoss: () => void) {}

  push(packet: RtpPacketLike): void {
    const { sequenceNumber: seq, timestamp, marker } = packet.header;
    const verdict = this.sequence.check(seq);
    if (verdict === 'late') return;
    if (verdict === 'gap') this.lose();
    if (this.timestamp !== undefined && timestamp !== this.timestamp) this.flush();
    this.timestamp = timestamp;
    this.pendingBytes += packet.payload.length;
    // Treated as a loss: the picture is dropped and a keyframe asked for.
    if (this.pendingBytes > MAX_PICTURE_BYTES) return this.lose();
    this.parse(packet.payload);
    if (marker) this.flush();
  }

  private lose(): void {
    this.broken = true;
    this.nals = [];
    this.fu = undefined;
    this.pendingBytes = 0;
    this.onLoss();
  }

  private parse(payload: Buffer): void {
    if (payload.length < 1) return;
    const type = payload[0]! & 0x1f;
    if (type === STAP_A) {
      let off = 1;
      while (off + 2 <= payload.length) {
        const len = payload.readUInt16BE(off);
        off += 2;
        if (off + len > payload.length) break;
        this.nals.push(payload.subarray(off, off + len));
        off += len;
      }
    } else if (type === FU_A) {
      if (payload.length < 2) return;
      const start = (payload[1]! & 0x80) !== 0;
      const end = (payload[1]! & 0x40) !== 0;
      if (start) this.fu = [Buffer.from([(payload[0]! & 0xe0) | (payload[1]! & 0x1f)])];
      // A middle fragment without its start belongs to a NAL we lost.
      if (!this.fu) return;
      this.fu.push(payload.subarray(2));
      if (end) {
        this.nals.push(Buffer.concat(this.fu));
        this.fu = undefined;
      }
    } else if (type >= 1 && type < STAP_A) {
      this.nals.push(payload);
    }
  }

  private flush(): void {
    const nals = this.nals;
    const timestamp = this.timestamp;
    this.nals = [];
    this.fu = undefined;
    this.pendingBytes = 0;
    if (!nals.length || timestamp === undefined) return;
    const keyframe = nals.some((n) => nalType(n) === NAL_IDR);
    // After a loss only a keyframe is whole again.
    if (this.broken && !keyframe) return;
    this.broken = false;
    // Payloads are views of werift's receive buffers: copy before they outlive this call.
    this.onUnit({ rtpTimestamp: timestamp, nals: nals.map((n) => Buffer.from(n)), keyframe });
  }
}
