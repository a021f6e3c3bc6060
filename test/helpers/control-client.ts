import WebSocket from 'ws';

export type Msg = Record<string, unknown> & { type: string };

/** A real `ws` client on /control that keeps every message, so tests can wait for the one they need. */
export class ControlClient {
  readonly messages: Msg[] = [];
  private waiters: { match: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.match(m) ? (w.resolve(m), false) : true));
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<ControlClient> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      const client = new ControlClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** The first message (already received or still to come) that matches. */
  next(match: (m: Msg) => boolean, timeoutMs = 5000): Promise<Msg> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.type))}`)), timeoutMs);
      this.waiters.push({ match, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Sends a protocol message and resolves with its ack or error reply. */
  request(body: Record<string, unknown>): Promise<Msg> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ v: 1, id, ...body }));
    return this.next((m) => m.id === id && (m.type === 'ack' || m.type === 'error'));
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
