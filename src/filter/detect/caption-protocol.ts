import type { Region } from '../filter.js';
import type { SubtitleNetParams } from './subtitle-net.js';

/** Messages between CaptionNetThread (main) and caption-worker.ts. */
export interface CaptionInit {
  readonly modelPath: string;
  readonly params: SubtitleNetParams;
}

export type CaptionRequest =
  /** `rows`: the luma rows the net reads (bandRows), one range after the other, in `luma`. */
  | { readonly type: 'observe'; readonly seq: number; readonly width: number; readonly height: number; readonly ptsMs: number; readonly rows: readonly (readonly [number, number])[]; readonly luma: Uint8Array }
  | { readonly type: 'close' };

export type CaptionReply =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'observed'; readonly seq: number; readonly regions: readonly Region[] }
  | { readonly type: 'error'; readonly seq: number; readonly message: string };
