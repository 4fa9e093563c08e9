export { lower } from './lower.js';
export { LowerError } from './error.js';
export type { StageBound, Loop, RegionDim } from './bounds.js';
export { inferBounds } from './bounds.js';
