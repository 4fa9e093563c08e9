/**
 * @file `SavedSession`: a model saved by `InferenceSession.save` (or `kiln save`), loaded and run
 * without the compiler, in Node or in a browser. It has `InferenceSession`'s shape — `inputNames`,
 * `outputNames`, `run(feeds)`, `release()` — and runs only the input shapes it was compiled for.
 *
 *   const session = await SavedSession.load('model.kiln');            // Node: a path
 *   const session = await SavedSession.load(await (await fetch(url)).arrayBuffer());  // browser
 */

import type { KernelTime } from '../runtime/steps.js';
import type { LoadOptions } from '../runtime/saved/load.js';
import { LoadedModel } from '../runtime/saved/load.js';
import type { TargetNeeds, TensorInfo } from '../runtime/saved/model.js';
import { SavedModelError } from '../runtime/saved/errors.js';
import type { Feeds, Fetches, Outputs } from './feeds.js';
import { namedOutputs, orderFeeds, orderFetches } from './feeds.js';

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

export class SavedSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];

  private constructor(private readonly model: LoadedModel) {
    this.inputNames = model.inputs.map((t) => t.name);
    this.outputNames = model.outputs.map((t) => t.name);
  }

  /**
   * Loads a saved model from its bytes, or from a path (Node) or a URL (a browser, through
   * fetch). Throws a SavedModelError for a file that is not a saved model, or is truncated,
   * corrupt or of another format version, and a RelaxedSimdError when it needs relaxed SIMD the
   * engine does not have.
   */
  static async load(model: string | Uint8Array | ArrayBuffer, opts: LoadOptions = {}): Promise<SavedSession> {
    const bytes = typeof model === 'string' ? await readModel(model) : model instanceof Uint8Array ? model : new Uint8Array(model);
    return new SavedSession(await LoadedModel.load(bytes, opts));
  }

  /** The input names, dtypes and shapes the model was compiled for. */
  get inputs(): readonly TensorInfo[] {
    return this.model.inputs;
  }
  get outputs(): readonly TensorInfo[] {
    return this.model.outputs;
  }
  /** What the model needs of the engine, and the kiln version that saved it. */
  get target(): TargetNeeds {
    return this.model.target;
  }
  get kilnVersion(): string {
    return this.model.kilnVersion;
  }

  /** Runs the model; outputs named in `fetches` are written into those tensors (see InferenceSession.run). */
  run(feeds: Feeds, fetches: Fetches = {}): Promise<Outputs> {
    try {
      const fetched = orderFetches(this.outputNames, fetches);
      return Promise.resolve(namedOutputs(this.outputNames, this.model.run(orderFeeds(this.inputNames, feeds), { fetches: fetched }).outputs));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** `run`, also timing every kernel call. */
  runWithProfile(feeds: Feeds): Promise<{ outputs: Outputs; kernels: readonly KernelTime[] }> {
    try {
      const result = this.model.run(orderFeeds(this.inputNames, feeds), { profile: true });
      return Promise.resolve({ outputs: namedOutputs(this.outputNames, result.outputs), kernels: result.profile ?? [] });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  release(): Promise<void> {
    this.model.release();
    return Promise.resolve();
  }
}

async function readModel(where: string): Promise<Uint8Array> {
  if (isNode) return (await import('../runtime/saved/files.js')).readModelFile(where);
  const response = await fetch(where).catch((e: unknown) => {
    throw new SavedModelError(where, `cannot fetch: ${e instanceof Error ? e.message : String(e)}`);
  });
  if (!response.ok) throw new SavedModelError(where, `cannot fetch: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
