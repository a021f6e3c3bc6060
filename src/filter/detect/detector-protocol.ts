import type { Rect } from '../../core/frame.js';
import type { Region } from '../filter.js';
import type { StaticDetectorOptions } from './static-detector.js';

/** Messages between DetectorThread (main) and detector-worker.ts. */
export interface DetectorInit {
  readonly options: Partial<StaticDetectorOptions>;
}

export type DetectorRequest =
  | { readonly type: 'observe'; readonly seq: number; readonly width: number; readonly height: number; readonly ptsMs: number; readonly data: Uint8Array | undefined }
  | { readonly type: 'exclusions'; readonly rects: readonly Rect[] }
  | { readonly type: 'close' };

export type DetectorReply =
  | { readonly type: 'observed'; readonly seq: number; readonly regions: readonly Region[]; readonly learning: boolean }
  | { readonly type: 'error'; readonly seq: number; readonly message: string };
