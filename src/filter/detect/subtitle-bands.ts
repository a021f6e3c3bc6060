import type { VideoFrame } from '../../core/frame.js';
import { workingScale } from './downscale.js';

/**
 * Where captions are looked for, shared by the detector and the generator of its training data so
 * both cut the same strips: the bottom `BOTTOM_BAND` and the top `TOP_BAND` of the picture, at the
 * working resolution (at most `MAX_COLUMNS` wide: captions are large, and a 1280x720 frame is read
 * at 640x360).
 */
export const BOTTOM_BAND = 0.35;
export const TOP_BAND = 0.35;
export const MAX_COLUMNS = 640;

export interface Band {
  readonly name: 'bottom' | 'top';
  /** First row and the row after the last, at working resolution. */
  readonly y0: number;
  readonly y1: number;
}

export function captionBands(height: number): readonly Band[] {
  return [
    { name: 'bottom', y0: Math.floor(height * (1 - BOTTOM_BAND)), y1: height },
    { name: 'top', y0: 0, y1: Math.ceil(height * TOP_BAND) },
  ];
}

/**
 * Rows a frame keeps at least when it is read smaller: captions are 5-7.5 % of the height, so at
 * 240 rows they are still 12-18 px tall (the quick bench's 320x240 clips are read that way), and
 * the net's cost drops with the square of the scale (1280x720 is read at 426x240).
 */
export const MIN_ROWS = 240;

/** The working size of a frame: the largest integer downscale that keeps MIN_ROWS rows, and at most MAX_COLUMNS columns. */
export function workingSize(width: number, height: number): { scale: number; width: number; height: number } {
  const scale = Math.max(workingScale(width, MAX_COLUMNS), Math.floor(height / MIN_ROWS));
  return { scale, width: Math.floor(width / scale), height: Math.floor(height / scale) };
}

/**
 * A band's rows at working resolution (box average of scale x scale luma pixels, truncated like the
 * net's training data) into `into`, starting at row `row` of a `cols`-wide buffer.
 */
export function readBand(frame: VideoFrame, scale: number, width: number, band: Band, into: Float32Array, row: number, cols: number): void {
  const src = frame.data;
  const norm = 1 / (scale * scale);
  for (let y = band.y0; y < band.y1; y++) {
    const o = (row + y - band.y0) * cols;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let dy = 0; dy < scale; dy++) {
        const r = (y * scale + dy) * frame.width + x * scale;
        for (let dx = 0; dx < scale; dx++) s += src[r + dx]!;
      }
      into[o + x] = Math.floor(s * norm);
    }
  }
}

/** The full-resolution luma rows [y0, y1) that readBand reads of a width x height frame, band by band. */
export function bandRows(width: number, height: number): [number, number][] {
  const { scale, height: rows } = workingSize(width, height);
  return captionBands(rows).map((b) => [b.y0 * scale, Math.min(height, b.y1 * scale)]);
}
