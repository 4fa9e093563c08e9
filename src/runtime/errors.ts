/**
 * @file The runtime's error. A model that reads and types fine can still be run wrongly — a feed
 * of the wrong dtype or shape, a missing or unknown feed — or hold a node that cannot become a
 * kernel. Each ends in a `SessionError` whose `where` names the feed, input or node at fault, so
 * a caller sees `feed "image": expected shape [1, 3, h, w], got [1, 3, 32]` rather than a
 * failure deep inside a kernel.
 */

export class SessionError extends Error {
  override name = 'SessionError';
  constructor(
    /** the place: `feed "x"`, `input "x"`, `node "conv1" (Conv)` */
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
  }
}
