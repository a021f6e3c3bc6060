export { TemporalFill, DEFAULT_TEMPORAL_OPTIONS, type TemporalHole, type TemporalOptions, type TemporalTimings, type TimeKnowledge } from './temporal-fill.js';
export { GlobalMotionEstimator, DEFAULT_MOTION_OPTIONS, type GlobalMotion, type MotionOptions } from './motion.js';
export { IDENTITY_ZOOM, composeZoom, invertZoom, chromaZoom, type Zoom } from './zoom.js';
