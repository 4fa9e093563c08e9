/**
 * @file The graph passes' error: a pass met input it cannot handle (an input shape that
 * contradicts the model, a fused node without a body, a value the memory planner has no size
 * for). It names the pass and the place — node, value or graph input — so the message points at
 * the model rather than at the pass. Errors about an op itself (unknown op, bad attribute) stay
 * the op library's `OpError`, which names the node already.
 */

export class GraphPassError extends Error {
  override name = 'GraphPassError';
  constructor(
    /** `graph.inferTypes` */
    readonly pass: string,
    /** `node "conv1" (Conv)`, `graph input "x"` */
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${pass}: ${where}: ${detail}`);
  }
}
