import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCPeerConnection } from 'werift';

/**
 * One WHEP viewer's outgoing tracks. Pictures are packetized once per stream and only stamped
 * here (sequence numbers are per viewer, so a viewer that joined late or skipped to a keyframe
 * sees no gap). Sending is a UDP write: a stalled viewer makes nobody wait.
 */
export class ViewerTracks {
  readonly video = new MediaStreamTrack({ kind: 'video' });
  readonly audio = new MediaStreamTrack({ kind: 'audio' });
  private videoSeq = Math.floor(Math.random() * 0xffff);
  private audioSeq = Math.floor(Math.random() * 0xffff);
  /** Nothing is sent before a keyframe: a decoder can't start from a predicted picture. */
  waitingForKeyframe = true;
  picturesSent = 0;

  constructor(readonly pc: RTCPeerConnection) {}

  sendPicture(payloads: readonly Buffer[], rtpTimestamp: number, keyframe: boolean): void {
    if (this.waitingForKeyframe && !keyframe) return;
    this.waitingForKeyframe = false;
    payloads.forEach((payload, i) => {
      const header = new RtpHeader({
        sequenceNumber: this.videoSeq,
        timestamp: rtpTimestamp,
        marker: i === payloads.length - 1,
        payloadType: 96,
      });
      this.videoSeq = (this.videoSeq + 1) & 0xffff;
      this.video.writeRtp(new RtpPacket(header, payload));
    });
    this.picturesSent++;
  }

  sendAudio(packet: RtpPacket): void {
    const header = new RtpHeader({ sequenceNumber: this.audioSeq, timestamp: packet.header.timestamp, marker: packet.header.marker, payloadType: 111 });
    this.audioSeq = (this.audioSeq + 1) & 0xffff;
    this.audio.writeRtp(new RtpPacket(header, packet.payload));
  }
}
