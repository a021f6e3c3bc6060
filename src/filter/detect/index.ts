export { StaticOverlayDetector, DEFAULT_STATIC_DETECTOR, type StaticDetectorOptions } from './static-detector.js';
export { DEFAULT_CANDIDATE_PARAMS, type CandidateParams } from './candidates.js';
export { DEFAULT_TRACKER_PARAMS, type TrackerParams } from './tracker.js';
