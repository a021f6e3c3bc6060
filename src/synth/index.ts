export { Rng } from './rng.js';
export { synthesizeClip, synthesizeToDir, type ClipSpec } from './synthesize.js';
export type { SourceSpec } from './sources.js';
export type { OverlaySpec, LayerKind } from './layers.js';
export { CLIP_FILES, CLIP_FORMAT, MASK_ALPHA_MIN, readClip, readTruth, readAlpha, readVideo, trueMask, type ClipData, type ClipTruth, type LayerRect } from './clip.js';
export { blendByte, chromaAlpha, compositeYuv420p } from './colour.js';
export { CUE_MAX_S, CUE_MIN_S, GAP_MAX_S, GAP_MIN_S, scheduleCues } from './subtitles.js';
