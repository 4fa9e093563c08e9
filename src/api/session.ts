/**
 * @file `InferenceSession`, shaped like onnxruntime's: `create(model, options)`, `inputNames`,
 * `outputNames`, `run(feeds)` → outputs by name, `release()`. Kernels are compiled on the first
 * run with each new set of input shapes (see src/runtime/executor.ts). With `tuningRecords` (from
 * `kiln tune`), a kernel whose task has a record runs the record's schedule instead of the default
 * strategy; a record that no longer applies is a warning, never an error.
 *
 * Everything a caller can get wrong raises a typed error with a message naming the place: an
 * unreadable model (OnnxError), an unknown op or a bad attribute (OpError, at create), a graph
 * the passes cannot specialize (GraphPassError), bad options, and feeds that are missing,
 * unknown, or of the wrong dtype or shape (SessionError).
 *
 * Compiled models are cached on disk (`$XDG_CACHE_HOME/kiln/models/`, else `~/.cache/kiln/models/`;
 * see src/runtime/cache/): a session that meets a model, input shapes and options compiled
 * before — in any process, by the same kiln — loads the result instead of compiling, without
 * parsing the model unless a new shape needs compiling (./open.ts). `cache:
 * false` or the environment variable `KILN_NO_CACHE=1` turns that off; `KILN_DEBUG=1` reports
 * entries that could not be used (a damaged file is a miss, never an error).
 *
 * `save(path)` writes the model compiled for one list of input shapes as one file, which
 * `SavedSession.load` (./saved.ts) runs without recompiling, in Node or a browser.
 */

import type { TargetName } from '../codegen/index.js';
import { getBackend, TARGET_NAMES, isTargetName } from '../codegen/index.js';
import { enableRelaxedSimd } from '../codegen/wasm/relaxed.js';
import { quote } from '../graph/text.js';
import { SessionError } from '../runtime/errors.js';
import type { KernelTime } from '../runtime/executor.js';
import { Executor } from '../runtime/executor.js';
import { loadRecords, recordScheduler } from '../tune/apply.js';
import type { TuningRecord } from '../tune/records.js';
import type { Feeds, Fetches, Outputs } from './feeds.js';
import { namedOutputs, orderFeeds, orderFetches } from './feeds.js';
import type { InputShapes } from './save.js';
import { openModel } from './open.js';
import { serializeExecutor } from './save.js';

export type { Feeds, Fetches, Outputs, TensorLike } from './feeds.js';
export type { InputShapes } from './save.js';

export interface SessionOptions {
  /** 'wasm' (the default once its backend is registered, 'js' until then), 'c' or 'js' */
  readonly target?: string;
  /** threads for parallel loops (default: all cores) */
  readonly threads?: number;
  /**
   * tuning records (a JSON-lines file from `kiln tune`, or records already read): each kernel
   * with a record runs its best schedule, the others the default strategy
   */
  readonly tuningRecords?: string | readonly TuningRecord[];
  /** receives warnings, such as a tuning record that no longer applies (default: stderr) */
  readonly onWarning?: (message: string) => void;
  /** wasm: fused multiply-add through relaxed SIMD (off by default; rounds differently, see codegen/wasm/relaxed.ts) */
  readonly relaxedSimd?: boolean;
  /** reuse and keep compiled models in the on-disk cache (default true, unless KILN_NO_CACHE=1) */
  readonly cache?: boolean;
}

/** The default target: wasm when available, else js. */
export function defaultTarget(): TargetName {
  const wasm = 'wasm';
  return isTargetName(wasm) ? wasm : 'js';
}

function checkOptions(opts: SessionOptions): { target: TargetName; threads: number | undefined; relaxedSimd: boolean } {
  const target = opts.target ?? defaultTarget();
  if (!isTargetName(target)) {
    throw new SessionError('options', `unknown target ${quote(target)} (available: ${TARGET_NAMES.join(', ')})`);
  }
  const threads = opts.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 1024)) {
    throw new SessionError('options', `threads must be an integer from 1 to 1024, got ${threads}`);
  }
  const relaxedSimd = opts.relaxedSimd ?? false;
  if (relaxedSimd && target !== 'wasm') throw new SessionError('options', `relaxedSimd applies to the wasm target only, not ${target}`);
  return { target, threads, relaxedSimd };
}

function warner(opts: SessionOptions): (message: string) => void {
  return opts.onWarning ?? ((m: string) => void process.stderr.write(`kiln: warning: ${m}\n`));
}

const envFlag = (name: string): boolean => ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** the name of each of the executor's outputs, in its order (a name may repeat) */
  private readonly outputOrder: readonly string[];

  private constructor(
    /** the executor behind the session (kiln's own API: the graph, shape-specialized compiles) */
    readonly executor: Executor,
    readonly target: TargetName,
    /** the thread count kernels are compiled for */
    private readonly threads: number,
  ) {
    this.inputNames = executor.inputs.map((v) => v.name);
    this.outputOrder = executor.outputs.map((v) => v.name);
    this.outputNames = [...new Set(this.outputOrder)];
  }

  /** Reads a model (a path or its bytes) and checks every node's op and attributes. */
  static async create(model: string | Uint8Array, opts: SessionOptions = {}): Promise<InferenceSession> {
    const { target, threads, relaxedSimd } = checkOptions(opts);
    // before any kernel compiles: Node's V8 accepts relaxed SIMD only behind a flag
    if (relaxedSimd) await enableRelaxedSimd();
    const records = opts.tuningRecords === undefined ? undefined : loadRecords(opts.tuningRecords, warner(opts));
    const scheduler = records === undefined ? undefined : recordScheduler(records, { threads, warn: warner(opts) });
    const compiledThreads = threads ?? getBackend(target).info.cores;
    const warn = warner(opts);
    const debug = envFlag('KILN_DEBUG');
    const cache = { enabled: opts.cache !== false && !envFlag('KILN_NO_CACHE'), target, threads: compiledThreads, relaxedSimd, records, warn: (m: string) => debug && warn(m) };
    const executor = await openModel(model, cache, { target, threads, relaxedSimd, scheduler });
    return new InferenceSession(executor, target, compiledThreads);
  }

  /**
   * Runs the model; resolves to one tensor per output name. Outputs named in `fetches` are written
   * into those tensors' data (of the output's dtype and shape, sharing no memory with a feed)
   * instead of new arrays, so a caller that runs repeatedly does not pay for fresh memory each time.
   */
  async run(feeds: Feeds, fetches: Fetches = {}): Promise<Outputs> {
    const fetched = orderFetches(this.outputOrder, fetches);
    const result = await this.executor.run(orderFeeds(this.inputNames, feeds), { fetches: fetched });
    return namedOutputs(this.outputOrder, result.outputs);
  }

  /** `run`, also timing every kernel call. */
  async runWithProfile(feeds: Feeds, fetches: Fetches = {}): Promise<{ outputs: Outputs; kernels: readonly KernelTime[] }> {
    const result = await this.executor.run(orderFeeds(this.inputNames, feeds), { profile: true, fetches: orderFetches(this.outputOrder, fetches) });
    return { outputs: namedOutputs(this.outputOrder, result.outputs), kernels: result.profile ?? [] };
  }

  /**
   * The model compiled for `shapes` (by input name; inputs not named keep their declared shape,
   * which must be static) as the bytes of a saved model. wasm only.
   */
  serialize(shapes: InputShapes = {}): Promise<Uint8Array> {
    return serializeExecutor(this.executor, { target: this.target, threads: this.threads }, shapes);
  }

  /** `serialize`, written to `path` atomically (Node). */
  async save(path: string, shapes: InputShapes = {}): Promise<void> {
    const bytes = await this.serialize(shapes);
    await (await import('../runtime/saved/files.js')).writeFileAtomic(path, bytes);
  }

  /** Frees the compiled kernels. */
  async release(): Promise<void> {
    await this.executor.release();
  }

}
