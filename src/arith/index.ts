/**
 * @file The arithmetic toolkit every stage below TE uses on index expressions: the simplifier,
 * interval bounds, and a scoped analyzer for passes that walk loop nests.
 */

export type { Interval, Ranges } from './interval.js';
export { evalInterval } from './bounds.js';
export { simplify, canProve } from './simplify.js';
export { Analyzer } from './analyzer.js';
