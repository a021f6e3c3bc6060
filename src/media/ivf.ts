/**
 * IVF, the simplest container ffmpeg reads VP8 from: a 32-byte file header, then per frame a
 * 12-byte header (size, 64-bit pts). With a 1/1000 time base the pts are our milliseconds, which
 * the decoder's showinfo hands back for latency matching, as FLV timestamps are for H.264.
 */
export function ivfFileHeader(fourcc: 'VP80'): Buffer {
  const h = Buffer.alloc(32);
  h.write('DKIF', 0, 'ascii');
  h.writeUInt16LE(0, 4); // version
  h.writeUInt16LE(32, 6); // header size
  h.write(fourcc, 8, 'ascii');
  // Width/height 0: unknown until the first keyframe, which carries the real size.
  h.writeUInt32LE(1000, 16); // time base denominator
  h.writeUInt32LE(1, 20); // time base numerator
  return h;
}

export function ivfFrame(data: Buffer, ptsMs: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(data.length, 0);
  h.writeBigUInt64LE(BigInt(Math.max(0, Math.round(ptsMs))), 4);
  return Buffer.concat([h, data]);
}
