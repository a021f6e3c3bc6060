import type { IncomingMessage, ServerResponse } from 'node:http';
import { streamKeySchema } from '../config/schema.js';

/** An error with the HTTP status a WHIP/WHEP client should see. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** One side of WHIP/WHEP: a session per accepted offer, ended by DELETE on its Location. */
export interface SdpEndpoint {
  /** Returns the session id and the complete answer, or throws HttpError. */
  create(key: string, offerSdp: string, req: IncomingMessage): Promise<{ id: string; answer: string }>;
  /** Ends a session; false if there is none with that id under that key. */
  remove(key: string, id: string): Promise<boolean>;
}

const ROUTE = /^\/(whip|whep)\/([^/]+)(?:\/([A-Za-z0-9-]{1,64}))?$/;

/** WebRTC clients from other origins (players, OBS's browser source) must be able to POST offers. */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-expose-headers': 'location',
};

async function readSdp(req: IncomingMessage, maxBytes: number): Promise<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/sdp') throw new HttpError(415, 'the offer must be sent as Content-Type: application/sdp');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new HttpError(413, `SDP offers are limited to ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Counted as it arrives: a chunked body has no Content-Length to refuse up front.
    if (size > maxBytes) throw new HttpError(413, `SDP offers are limited to ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const sdp = Buffer.concat(chunks).toString('utf8');
  if (!sdp.startsWith('v=0')) throw new HttpError(400, 'the body is not an SDP offer');
  return sdp;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...CORS, ...headers });
  res.end(text);
}

export interface SdpLimits {
  readonly maxSdpBytes: number;
  /** Whether this client may make another offer now (each one costs a peer connection and its sockets). */
  readonly allowOffer?: (req: IncomingMessage) => boolean;
}

/**
 * POST /whip|whep/<key> (offer -> 201 answer + Location), DELETE /whip|whep/<key>/<id>, OPTIONS.
 * Returns false for any other path, so the caller can route it.
 */
export async function handleSdpRoute(
  req: IncomingMessage, res: ServerResponse, path: string, endpoints: Record<'whip' | 'whep', SdpEndpoint>, limits: SdpLimits,
): Promise<boolean> {
  const m = ROUTE.exec(path);
  if (!m) return false;
  const [, kind, key, id] = m as unknown as [string, 'whip' | 'whep', string, string | undefined];
  try {
    if (!streamKeySchema.safeParse(key).success) throw new HttpError(400, `"${key}" is not a valid stream key`);
    if (req.method === 'OPTIONS') {
      sendText(res, 204, '');
    } else if (req.method === 'POST' && !id) {
      if (limits.allowOffer && !limits.allowOffer(req)) throw new HttpError(429, 'too many offers from this client; try again in a few seconds (webrtc.offersPerMinute)');
      const offer = await readSdp(req, limits.maxSdpBytes);
      const session = await endpoints[kind].create(key, offer, req);
      res.writeHead(201, {
        'content-type': 'application/sdp', 'cache-control': 'no-store', ...CORS,
        location: `/${kind}/${key}/${session.id}`,
      });
      res.end(session.answer);
    } else if (req.method === 'DELETE' && id) {
      if (!(await endpoints[kind].remove(key, id))) throw new HttpError(404, `no ${kind.toUpperCase()} session ${id} for "${key}"`);
      sendText(res, 200, 'session ended');
    } else {
      throw new HttpError(405, `${req.method} is not allowed here: POST an offer to /${kind}/<key>, DELETE the Location to end`);
    }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    sendText(res, err.status, err.message);
  }
  return true;
}
