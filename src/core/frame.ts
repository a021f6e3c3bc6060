/**
 * One decoded picture as it travels ingest -> filter -> egress.
 *
 * Pixels are planar yuv420p (Y plane, then U, then V, no padding) because that is what every
 * decoder and x264 speak natively: converting to RGB and back would cost more than the filter.
 */
export interface VideoFrame {
  /** Sequence number within its pipeline, from 0, without gaps on the decoder side. */
  readonly seq: number;
  /** Presentation time in milliseconds, on the source's own timeline (FLV/RTMP time base). */
  readonly ptsMs: number;
  readonly width: number;
  readonly height: number;
  /** yuv420p bytes: width*height luma, then two (width/2)*(height/2) chroma planes. */
  readonly data: Buffer;
  /** performance.now() when the compressed frame entered Clearcast; the base of added-latency stats. */
  readonly arrivedAt: number;
}

export interface PlaneLayout {
  readonly ySize: number;
  readonly cWidth: number;
  readonly cHeight: number;
  readonly cSize: number;
  readonly uOffset: number;
  readonly vOffset: number;
  readonly frameSize: number;
}

/** Byte layout of a yuv420p picture. Odd sizes round the chroma planes up, as ffmpeg does. */
export function yuv420pLayout(width: number, height: number): PlaneLayout {
  const ySize = width * height;
  const cWidth = Math.ceil(width / 2);
  const cHeight = Math.ceil(height / 2);
  const cSize = cWidth * cHeight;
  return { ySize, cWidth, cHeight, cSize, uOffset: ySize, vOffset: ySize + cSize, frameSize: ySize + 2 * cSize };
}

/**
 * RGB of one Y'CbCr sample, BT.601 limited range (what x264, the decoder and the synthesiser use),
 * unclamped: callers clamp and round as their output needs. A per-pixel loop passes `out` to reuse.
 */
export function bt601ToRgb(y: number, u: number, v: number, out: [number, number, number] = [0, 0, 0]): [number, number, number] {
  const c = 1.164 * (y - 16), d = u - 128, e = v - 128;
  out[0] = c + 1.596 * e;
  out[1] = c - 0.392 * d - 0.813 * e;
  out[2] = c + 2.017 * d;
  return out;
}

/** Axis-aligned rectangle in luma pixel coordinates. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
