/**
 * @file The order of the graph passes — decided here and nowhere else.
 *
 * A frontend hands over a graph that may be untyped, hold Constant nodes, shape arithmetic
 * (Shape → Gather → Concat → Reshape), BatchNorms after convolutions and long chains of small
 * element-wise ops. Kernel building expects typed values, constants as initializers and one node
 * per kernel. In between:
 *
 *   1. inferTypes             type every value (concrete where the input shapes decide it)
 *   2. foldConstants          evaluate what depends on constants only, shape chains included
 *   3. eliminateCommon…       merge equal constants and nodes, so rules see one x in x·f(x)
 *   4. simplifyAlgebra        rule table: neutral operands, layout chains, BatchNorm and
 *                             per-channel affine maps into Conv (emitted as constant nodes)
 *   5. decomposeConv…         ConvTranspose → stride-1 Conv over the stride phases + interleave
 *   6. foldConstants          evaluate the weights the rules and the decomposition emitted
 *   7. eliminateCommon…       merge what the rewrites made equal
 *   8. eliminateDeadCode      drop what the rewrites left unread
 *   9. convertLayout          convolution chains to the blocked NCHWc layout of the target
 *  10. foldConstants          block the weights once; eliminateDeadCode drops the NCHW ones
 *  11. fuseOps                one Fused node per group; last, since the passes above look at
 *                             single ops
 *
 * `optimizeGraph` gives the inputs concrete shapes first when asked (`inputShapes`), so the same
 * pipeline specializes a graph for the shapes a session sees.
 */

import type { Graph } from '../../graph/graph.js';
import { printGraph } from '../../graph/print.js';
import type { Pass, PassContext } from '../pass.js';
import { runPipeline } from '../pass.js';
import { convertLayout } from './convertLayout.js';
import { decomposeConvTranspose } from './decomposeConvTranspose.js';
import { eliminateCommonSubexpressions } from './eliminateCommonSubexpressions.js';
import { eliminateDeadCode } from './eliminateDeadCode.js';
import { foldConstants } from './foldConstants.js';
import { fuseOps } from './fuseOps.js';
import { inferTypes, specializeInputs } from './inferTypes.js';
import { simplifyAlgebra } from './simplifyAlgebra.js';

export const graphPipeline: readonly Pass<Graph>[] = [
  inferTypes,
  foldConstants,
  eliminateCommonSubexpressions,
  simplifyAlgebra,
  decomposeConvTranspose,
  foldConstants,
  eliminateCommonSubexpressions,
  eliminateDeadCode,
  convertLayout,
  foldConstants,
  eliminateDeadCode,
  fuseOps,
];

export interface GraphOptions {
  /** graph input name → concrete shape; symbols these bind are replaced everywhere */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
}

/** Runs the graph pipeline; `ctx` decides what is skipped and dumped. */
export function optimizeGraph(g: Graph, ctx: PassContext, opts: GraphOptions = {}): Graph {
  const start = opts.inputShapes ? specializeInputs(g, opts.inputShapes) : g;
  return runPipeline(graphPipeline, start, ctx, (ir) => printGraph(ir));
}
