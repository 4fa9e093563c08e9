/**
 * @file The op library's public surface. Importing it loads every op module, each of which
 * registers its ops, so `getOp` sees the whole op set.
 */

import './unary.js';
import './activation.js';
import './binary.js';
import './layout.js';
import './generate.js';
import './conv.js';
import './slicing.js';
import './gather.js';
import './pad.js';
import './reduce.js';
import './softmax.js';
import './matmul.js';
import './einsum.js';
import './pool.js';
import './norm.js';
import './layernorm.js';
import './resize.js';
import './loss.js';
import './scatter.js';
import './topk.js';
import './quantize.js';
import './signal.js';
import './attention.js';
import './rotary.js';
import './grid.js';
import './col2im.js';
import './nchwc.js';

export type { FusionPattern, OpDef } from './registry.js';
export { defineOp, getOp, hasOp, patternOf, registeredOps } from './registry.js';
export type { ComputeContext, ConcreteType, ConstantLookup, InferContext, NodeContext } from './context.js';
export { computeNode, inferNode } from './context.js';
export { OpError } from './errors.js';
export { broadcastShapes, normalizeAxis, unknownDim } from './shape.js';
