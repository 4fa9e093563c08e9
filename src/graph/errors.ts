/**
 * @file The graph IR's error: every check in this folder (tensor construction, attribute access,
 * verification, building) raises a `GraphError` whose `where` names the tensor, node or value at
 * fault, so a failing pass or model points at the place rather than at a stack trace.
 */

export class GraphError extends Error {
  override name = 'GraphError';
  constructor(
    /** the place: `node 3 (Conv)`, `value %x_2`, `tensor float32[2, 3]` */
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
  }
}
