/**
 * @file The graph IR's public surface: values, nodes and graphs, their types and attributes,
 * host tensors, the builder for rewrites, use-def queries, the printer and the verifier.
 */

export * from './errors.js';
export * from './types.js';
export * from './tensor.js';
export * from './graph.js';
export * from './attrs.js';
export * from './uses.js';
export * from './builder.js';
export { printGraph } from './print.js';
export type { PrintOptions } from './print.js';
export { verifyGraph } from './verify.js';
export { quote, word } from './text.js';
