const FU_A = 28;

/**
 * RFC 6184 packetization mode 1, sending side: a NAL that fits goes alone, a bigger one is split
 * into FU-A fragments. Payload size stays under typical path MTUs after SRTP and header extensions.
 */
export const MAX_RTP_PAYLOAD = 1100;

export function packetizeNal(nal: Buffer, max = MAX_RTP_PAYLOAD): Buffer[] {
  if (nal.length <= max) return [nal];
  const indicator = (nal[0]! & 0xe0) | FU_A;
  const type = nal[0]! & 0x1f;
  const out: Buffer[] = [];
  const chunk = max - 2;
  for (let off = 1; off < nal.length; off += chunk) {
    const end = Math.min(nal.length, off + chunk);
    const header = type | (off === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0);
    out.push(Buffer.concat([Buffer.from([indicator, header]), nal.subarray(off, end)]));
  }
  return out;
}

/** Every RTP payload of one picture, in order; the last one carries the marker bit. */
export function packetizePicture(nals: readonly Buffer[], max = MAX_RTP_PAYLOAD): Buffer[] {
  return nals.flatMap((n) => packetizeNal(n, max));
}
