/**
 * @file The graph passes' public surface: the pipeline, each pass (to run or test alone), the
 * Fused node representation the executor reads, and the memory planner.
 */

export { graphPipeline, optimizeGraph } from './pipeline.js';
export type { GraphOptions } from './pipeline.js';
export { inferTypes, inferGraph, specializeInputs } from './inferTypes.js';
export { foldConstants, FOLD_MAX_ELEMENTS, SMALL_INPUT_ELEMENTS } from './foldConstants.js';
export { eliminateDeadCode } from './eliminateDeadCode.js';
export { eliminateCommonSubexpressions } from './eliminateCommonSubexpressions.js';
export { simplifyAlgebra, RULES } from './simplifyAlgebra.js';
export { fuseOps, combinePatterns } from './fuseOps.js';
export { convertLayout } from './convertLayout.js';
export { fusedBody, isFused, FUSED_OP, KILN_DOMAIN } from './fused.js';
export { concatViews, planMemory, valueBytes, ARENA_ALIGN } from './planMemory.js';
export type { ConcatViews, InPlace, MemoryPlan, PlanOptions, View } from './planMemory.js';
export { GraphPassError } from './errors.js';
