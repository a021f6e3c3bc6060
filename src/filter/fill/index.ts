export { planeRect, containsPixel, sameRect, type PixelRect } from './rect.js';
export { yuv420pPlanes, type Plane } from './plane.js';
export { copyRectIn, copyRectOut, patchSize } from './patch.js';
export { FillScratch } from './scratch.js';
export { sampleSide, sideWalks, type SideWalk } from './border.js';
export { solveHarmonic, gridSize, type Grid, type Walls, type GridAlloc } from './harmonic.js';
export { chooseAxisWeight, fillRect } from './fill-rect.js';
export { blendAxisInterpolation } from './axis.js';
export { fillMask, MaskFillScratch } from './mask-fill.js';
