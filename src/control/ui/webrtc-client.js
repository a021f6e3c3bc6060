// WHIP/WHEP client used by publish.html and watch.html: one offer with every candidate (no
// trickle; Clearcast answers the same way), POSTed as application/sdp; DELETE on the Location ends it.

/** H.264 packetization-mode 1 first: the only video codec Clearcast takes and gives. */
export function preferH264(transceiver) {
  const caps = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
  const score = (c) => (/h264/i.test(c.mimeType) ? (/packetization-mode=1/.test(c.sdpFmtpLine ?? '') ? (/42e01f/.test(c.sdpFmtpLine ?? '') ? 0 : 1) : 2) : 3);
  const sorted = [...caps].sort((a, b) => score(a) - score(b));
  if (sorted.length && transceiver.setCodecPreferences) transceiver.setCodecPreferences(sorted);
}

async function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise((resolve) => {
    const check = () => { if (pc.iceGatheringState === 'complete') { pc.removeEventListener('icegatheringstatechange', check); resolve(); } };
    pc.addEventListener('icegatheringstatechange', check);
    // Host candidates only arrive within milliseconds; never hang on a stalled gatherer.
    setTimeout(resolve, 2000);
  });
}

/** Offers, POSTs, applies the answer; resolves with the session URL to DELETE later. */
export async function negotiate(pc, endpoint, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const headers = { 'content-type': 'application/sdp' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(endpoint, { method: 'POST', headers, body: pc.localDescription.sdp });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`${res.status}: ${body}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  return new URL(res.headers.get('location'), endpoint).href;
}

export async function endSession(pc, sessionUrl) {
  if (sessionUrl) await fetch(sessionUrl, { method: 'DELETE' }).catch(() => {});
  pc.close();
}

/** The numbers worth showing from getStats (inbound or outbound video). */
export async function videoStats(pc) {
  const out = {};
  (await pc.getStats()).forEach((s) => {
    if (s.kind !== 'video') return;
    if (s.type === 'inbound-rtp') Object.assign(out, { framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth, frameHeight: s.frameHeight, packetsLost: s.packetsLost, jitterBufferMs: s.jitterBufferEmittedCount ? Math.round((1000 * s.jitterBufferDelay) / s.jitterBufferEmittedCount) : undefined });
    if (s.type === 'outbound-rtp') Object.assign(out, { framesEncoded: s.framesEncoded ?? 0, frameWidth: s.frameWidth, frameHeight: s.frameHeight, encoder: s.encoderImplementation });
  });
  return out;
}
