/**
 * @file The tuner's error: a model that cannot be split into tasks, a records file that cannot be
 * read, a bad search setting. `where` names the place: the task, the records file and line, the
 * option.
 */

export class TuneError extends Error {
  override name = 'TuneError';
  constructor(
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
  }
}
