/**
 * H.264 in the two framings we convert between: AVCC (FLV tags: length-prefixed NAL units, and an
 * AVCDecoderConfigurationRecord holding SPS/PPS) and bare NAL units (what RTP carries).
 */

export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
export const NAL_AUD = 9;

export function nalType(nal: Buffer): number {
  return nal[0]! & 0x1f;
}

export interface AvcParameterSets {
  readonly sps: Buffer[];
  readonly pps: Buffer[];
}

/** AVCDecoderConfigurationRecord (ISO 14496-15) from parameter sets, 4-byte NAL lengths. */
export function buildAvcConfig({ sps, pps }: AvcParameterSets): Buffer {
  const first = sps[0]!;
  const parts: Buffer[] = [Buffer.from([1, first[1]!, first[2]!, first[3]!, 0xff, 0xe0 | sps.length])];
  for (const s of sps) parts.push(u16(s.length), s);
  parts.push(Buffer.from([pps.length]));
  for (const p of pps) parts.push(u16(p.length), p);
  return Buffer.concat(parts);
}

export function parseAvcConfig(record: Buffer): AvcParameterSets {
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  let off = 5;
  const nSps = record[off++]! & 0x1f;
  for (let i = 0; i < nSps && off + 2 <= record.length; i++) {
    const len = record.readUInt16BE(off);
    sps.push(record.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  const nPps = record[off++] ?? 0;
  for (let i = 0; i < nPps && off + 2 <= record.length; i++) {
    const len = record.readUInt16BE(off);
    pps.push(record.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  return { sps, pps };
}

/** Length-prefixed (4 bytes) NAL units -> NAL units; a truncated tail is ignored. */
export function splitAvcc(data: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let off = 0;
  while (off + 4 <= data.length) {
    const len = data.readUInt32BE(off);
    off += 4;
    if (len === 0 || off + len > data.length) break;
    nals.push(data.subarray(off, off + len));
    off += len;
  }
  return nals;
}

export function joinAvcc(nals: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const n of nals) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(n.length);
    parts.push(len, n);
  }
  return Buffer.concat(parts);
}

function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v);
  return b;
}
