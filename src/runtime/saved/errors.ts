/**
 * @file The error of saving and loading compiled models: a file that is not a saved model, is
 * truncated, corrupt or of another format version, a model the engine cannot run (threads
 * without shared memory), feeds that do not match the shapes it was compiled for, or a model
 * that cannot be saved. `where` names the place: the file, `save`, `feed "x"`, a kernel.
 */

export class SavedModelError extends Error {
  override name = 'SavedModelError';
  constructor(
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
  }
}
