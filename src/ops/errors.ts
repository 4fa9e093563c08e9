/**
 * @file The op library's error. Every check an op makes — input and output counts, attributes,
 * shapes that do not broadcast, inputs that must be constant — raises an `OpError` whose `where`
 * names the node and its op (`node "conv1" (Conv)`), so a bad model points at its own node rather
 * than at a stack trace inside a compute.
 */

export class OpError extends Error {
  override name = 'OpError';
  constructor(
    /** the place: `node "conv1" (Conv)` or `node #12 (Relu)` */
    readonly where: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${where}: ${detail}`, options);
  }
}
