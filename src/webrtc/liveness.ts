import type { RTCPeerConnection } from 'werift';

/**
 * Calls `onGone` once when a peer is gone: ICE/DTLS never connected within `connectTimeoutMs`, the
 * connection failed or closed, or nothing arrived from it (`touch()` not called) for
 * `silenceTimeoutMs`. Silence is what catches a peer that just vanished: werift's own consent
 * checks take far longer to notice.
 */
export class PeerLiveness {
  private lastHeard = performance.now();
  private connected = false;
  private readonly timer: NodeJS.Timeout;
  private done = false;

  constructor(pc: RTCPeerConnection, connectTimeoutMs: number, silenceTimeoutMs: number, private readonly onGone: (reason: string) => void) {
    const startedAt = performance.now();
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        this.connected = true;
        this.touch();
      } else if (state === 'failed' || state === 'closed') {
        this.fire(`peer connection ${state}`);
      }
    });
    this.timer = setInterval(() => {
      const now = performance.now();
      if (!this.connected && now - startedAt > connectTimeoutMs) this.fire(`not connected within ${connectTimeoutMs} ms`);
      else if (this.connected && now - this.lastHeard > silenceTimeoutMs) this.fire(`nothing received for ${silenceTimeoutMs} ms`);
    }, Math.min(500, silenceTimeoutMs / 4));
    this.timer.unref();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  touch(): void {
    this.lastHeard = performance.now();
  }

  stop(): void {
    this.done = true;
    clearInterval(this.timer);
  }

  private fire(reason: string): void {
    if (this.done) return;
    this.stop();
    this.onGone(reason);
  }
}
