import { yuv420pLayout } from '../../core/frame.js';

/** One unpadded 8-bit plane living inside a larger frame buffer (row stride == width). */
export interface Plane {
  readonly data: Uint8Array;
  readonly offset: number;
  readonly width: number;
  readonly height: number;
}

/** Y, U and V views over a yuv420p buffer; the views share its memory, so writes land in `data`. */
export function yuv420pPlanes(data: Uint8Array, width: number, height: number): [Plane, Plane, Plane] {
  const layout = yuv420pLayout(width, height);
  if (data.length < layout.frameSize) {
    throw new RangeError(`yuv420p ${width}x${height} needs ${layout.frameSize} bytes, got ${data.length}`);
  }
  const chroma = (offset: number): Plane => ({ data, offset, width: layout.cWidth, height: layout.cHeight });
  return [{ data, offset: 0, width, height }, chroma(layout.uOffset), chroma(layout.vOffset)];
}
