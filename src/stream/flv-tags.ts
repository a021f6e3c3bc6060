/** Facts about an FLV tag as delivered by a tap: 11-byte header, body, 4-byte trailer. */
export interface FlvTagInfo {
  readonly type: number;
  readonly dts: number;
  readonly pts: number;
  readonly keyframe: boolean;
  /** AVC/HEVC sequence header (decoder configuration), not a picture. */
  readonly isConfig: boolean;
  /** Video tags: the codec by name ("H.264", "HEVC", "VP6", ...); undefined for other tags. */
  readonly codec?: string;
}

/** FLV VideoTagHeader codec ids (and the HEVC id some CDNs use), by name. */
const LEGACY_VIDEO_CODECS: Record<number, string> = { 2: 'Sorenson H.263 (FLV1)', 3: 'Screen video', 4: 'VP6', 5: 'VP6 with alpha', 6: 'Screen video v2', 7: 'H.264', 12: 'HEVC' };
/** Enhanced RTMP FourCCs. */
const FOURCC_VIDEO_CODECS: Record<string, string> = { avc1: 'H.264 (enhanced RTMP)', hvc1: 'HEVC', av01: 'AV1', vp09: 'VP9' };

/** The only video the FLV path decodes: H.264 in classic FLV framing (what OBS, ffmpeg and our WHIP muxer send). */
export const SUPPORTED_FLV_VIDEO = 'H.264';

function videoCodecName(tag: Buffer): string {
  const head = tag[11]!;
  if (head & 0x80) {
    const fourcc = tag.length >= 16 ? tag.toString('latin1', 12, 16) : '';
    return FOURCC_VIDEO_CODECS[fourcc] ?? `unknown (FourCC ${JSON.stringify(fourcc)})`;
  }
  const id = head & 0x0f;
  return LEGACY_VIDEO_CODECS[id] ?? `unknown (FLV codec id ${id})`;
}

export const FLV_AUDIO = 8;
export const FLV_VIDEO = 9;
export const FLV_SCRIPT = 18;

export function inspectFlvTag(tag: Buffer): FlvTagInfo {
  if (tag.length < 11) return { type: (tag[0] ?? 0) & 0x1f, dts: 0, pts: 0, keyframe: false, isConfig: false };
  const type = tag[0]! & 0x1f;
  const dts = ((tag[4]! << 16) | (tag[5]! << 8) | tag[6]! | (tag[7]! << 24)) >>> 0;
  if (type !== FLV_VIDEO || tag.length < 12) return { type, dts, pts: dts, keyframe: false, isConfig: false };
  const codec = videoCodecName(tag);
  if (tag.length < 16) return { type, dts, pts: dts, keyframe: false, isConfig: false, codec };
  const head = tag[11]!;
  const exHeader = (head & 0x80) !== 0;
  const keyframe = ((head >> 4) & 0x07) === 1;
  if (exHeader) {
    // Enhanced RTMP: packet type in the low nibble; 0 is the sequence start.
    return { type, dts, pts: dts, keyframe, isConfig: (head & 0x0f) === 0, codec };
  }
  const isConfig = tag[12] === 0;
  // Composition time: signed 24-bit, non-zero only with B-frames.
  let cts = tag.readUIntBE(13, 3);
  if (cts & 0x800000) cts -= 0x1000000;
  return { type, dts, pts: dts + cts, keyframe, isConfig, codec };
}
