/**
 * Most bytes one picture may gather before its end is seen. A 4K keyframe is a few MB; a sender
 * that never sets the marker bit nor changes the timestamp must not grow our memory without end.
 */
export const MAX_PICTURE_BYTES = 16 << 20;

/** What a packet's sequence number says about the stream so far. */
export type SequenceVerdict = 'next' | 'late' | 'gap';

/**
 * RTP sequence numbers (16-bit, wrapping): in order, a late duplicate/reordered packet (dropped:
 * reordering is not repaired on the loopback/LAN paths this serves), or a gap (loss).
 */
export class RtpSequence {
  private last: number | undefined;

  check(seq: number): SequenceVerdict {
    const last = this.last;
    if (last !== undefined && seq !== ((last + 1) & 0xffff)) {
      if (((seq - last) & 0xffff) > 0x8000) return 'late';
      this.last = seq;
      return 'gap';
    }
    this.last = seq;
    return 'next';
  }
}

/** RTP's 90 kHz video clock as milliseconds from the first packet, unwrapped (it wraps every ~13 h). */
export class RtpClock {
  private last: number | undefined;
  private elapsed = 0;

  ms(rtpTimestamp: number): number {
    if (this.last !== undefined) this.elapsed += (rtpTimestamp - this.last) | 0; // signed 32-bit step
    this.last = rtpTimestamp;
    return Math.max(0, Math.round(this.elapsed / 90));
  }
}
