/** Facts about an FLV tag as delivered by a tap: 11-byte header, body, 4-byte trailer. */
export interface FlvTagInfo {
  readonly type: number;
  readonly dts: number;
  readonly pts: number;
  readonly keyframe: boolean;
  /** AVC/HEVC sequence header (decoder configuration), not a picture. */
  readonly isConfig: boolean;
}

export const FLV_AUDIO = 8;
export const FLV_VIDEO = 9;
export const FLV_SCRIPT = 18;

export function inspectFlvTag(tag: Buffer): FlvTagInfo {
  const type = tag[0]! & 0x1f;
  const dts = ((tag[4]! << 16) | (tag[5]! << 8) | tag[6]! | (tag[7]! << 24)) >>> 0;
  if (type !== FLV_VIDEO || tag.length < 16) return { type, dts, pts: dts, keyframe: false, isConfig: false };
  const head = tag[11]!;
  const exHeader = (head & 0x80) !== 0;
  const keyframe = ((head >> 4) & 0x07) === 1;
  if (exHeader) {
    // Enhanced RTMP: packet type in the low nibble; 0 is the sequence start.
    return { type, dts, pts: dts, keyframe, isConfig: (head & 0x0f) === 0 };
  }
  const isConfig = tag[12] === 0;
  // Composition time: signed 24-bit, non-zero only with B-frames.
  let cts = tag.readUIntBE(13, 3);
  if (cts & 0x800000) cts -= 0x1000000;
  return { type, dts, pts: dts + cts, keyframe, isConfig };
}
