import type { RtpPacket } from 'werift';

type OpusListener = (packet: RtpPacket) => void;

/**
 * Opus from WHIP publishers to WHEP viewers of the same key, untouched: audio needs no filtering,
 * and a transcode would add delay. (RTMP's clean path has no Opus: FLV here carries AAC only.)
 */
export class OpusRelay {
  private readonly listeners = new Map<string, Set<OpusListener>>();

  publish(key: string, packet: RtpPacket): void {
    for (const l of this.listeners.get(key) ?? []) l(packet);
  }

  /** True while some WHEP viewer of the key listens (transcoding for nobody is wasted CPU). */
  hasListeners(key: string): boolean {
    return (this.listeners.get(key)?.size ?? 0) > 0;
  }

  subscribe(key: string, listener: OpusListener): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }
}
