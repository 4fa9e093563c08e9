/**
 * @file `InferenceSession`, shaped like onnxruntime's: `create(model, options)`, `inputNames`,
 * `outputNames`, `run(feeds)` → outputs by name, `release()`. Kernels are compiled on the first
 * run with each new set of input shapes (see src/runtime/executor.ts).
 *
 * Everything a caller can get wrong raises a typed error with a message naming the place: an
 * unreadable model (OnnxError), an unknown op or a bad attribute (OpError, at create), a graph
 * the passes cannot specialize (GraphPassError), bad options, and feeds that are missing,
 * unknown, or of the wrong dtype or shape (SessionError).
 */

import type { TargetName } from '../codegen/index.js';
import { TARGET_NAMES, isTargetName } from '../codegen/index.js';
import { GraphError } from '../graph/errors.js';
import type { HostTensor } from '../graph/tensor.js';
import { hostTensor, isDType } from '../graph/tensor.js';
import { quote } from '../graph/text.js';
import { readOnnx } from '../frontend/onnx/index.js';
import { SessionError } from '../runtime/errors.js';
import type { KernelTime } from '../runtime/executor.js';
import { Executor } from '../runtime/executor.js';
import type { KernelScheduler } from '../runtime/kernels.js';
import { loadRecords, recordScheduler } from '../tune/apply.js';
import type { TuningRecord } from '../tune/records.js';
import { feedLabel } from '../runtime/feeds.js';
import type { TensorData } from './tensor.js';
import { Tensor, fromHostTensor, toHostTensor } from './tensor.js';

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
}

/** What `run` accepts per feed: a kiln Tensor or any tensor of the same shape (onnxruntime's). */
export interface TensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

export type Feeds = Readonly<Record<string, TensorLike>>;
export type Outputs = Record<string, Tensor>;

/** The default target: wasm when available, else js. */
export function defaultTarget(): TargetName {
  const wasm = 'wasm';
  return isTargetName(wasm) ? wasm : 'js';
}

function checkOptions(opts: SessionOptions): { target: TargetName; threads: number | undefined } {
  const target = opts.target ?? defaultTarget();
  if (!isTargetName(target)) {
    throw new SessionError('options', `unknown target ${quote(target)} (available: ${TARGET_NAMES.join(', ')})`);
  }
  const threads = opts.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 1024)) {
    throw new SessionError('options', `threads must be an integer from 1 to 1024, got ${threads}`);
  }
  return { target, threads };
}

function tunedScheduler(opts: SessionOptions): KernelScheduler | undefined {
  if (opts.tuningRecords === undefined) return undefined;
  const warn = opts.onWarning ?? ((m: string) => void process.stderr.write(`kiln: warning: ${m}\n`));
  return recordScheduler(loadRecords(opts.tuningRecords, warn), { threads: opts.threads, warn });
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];

  private constructor(
    /** the executor behind the session (kiln's own API: the graph, shape-specialized compiles) */
    readonly executor: Executor,
    readonly target: TargetName,
  ) {
    this.inputNames = executor.inputs.map((v) => v.name);
    this.outputNames = [...new Set(executor.outputs.map((v) => v.name))];
  }

  /** Reads a model (a path or its bytes) and checks every node's op and attributes. */
  static create(model: string | Uint8Array, opts: SessionOptions = {}): Promise<InferenceSession> {
    try {
      const { target, threads } = checkOptions(opts);
      const executor = Executor.create(readOnnx(model), { target, threads, scheduler: tunedScheduler(opts) });
      return Promise.resolve(new InferenceSession(executor, target));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Runs the model; resolves to one tensor per output name. */
  async run(feeds: Feeds): Promise<Outputs> {
    const result = await this.executor.run(this.orderFeeds(feeds));
    return this.named(result.outputs);
  }

  /** `run`, also timing every kernel call. */
  async runWithProfile(feeds: Feeds): Promise<{ outputs: Outputs; kernels: readonly KernelTime[] }> {
    const result = await this.executor.run(this.orderFeeds(feeds), { profile: true });
    return { outputs: this.named(result.outputs), kernels: result.profile ?? [] };
  }

  /** Frees the compiled kernels. */
  async release(): Promise<void> {
    await this.executor.release();
  }

  private orderFeeds(feeds: Feeds): HostTensor[] {
    const inputs = this.executor.inputs;
    const known = new Set(this.inputNames);
    const names = inputs.map((v) => quote(v.name)).join(', ');
    for (const name of Object.keys(feeds)) {
      if (!known.has(name)) throw new SessionError(`feed ${quote(name)}`, `the model has no input of that name (its inputs: ${names})`);
    }
    return inputs.map((v) => {
      if (!Object.hasOwn(feeds, v.name)) throw new SessionError(feedLabel(v), `is missing (the model's inputs: ${names})`);
      return hostFeed(feedLabel(v), feeds[v.name]);
    });
  }

  private named(outputs: readonly HostTensor[]): Outputs {
    const out: Outputs = {};
    // defineProperty: a model may name an output `__proto__`, which plain assignment would not store
    this.executor.outputs.forEach((v, k) => {
      Object.defineProperty(out, v.name, { value: fromHostTensor(outputs[k]), enumerable: true, writable: true, configurable: true });
    });
    return out;
  }
}

function hostFeed(where: string, t: TensorLike | undefined): HostTensor {
  if (t === null || typeof t !== 'object') throw new SessionError(where, 'is not a tensor');
  if (t instanceof Tensor) return toHostTensor(t);
  if (typeof t.type !== 'string' || !isDType(t.type)) throw new SessionError(where, `has unsupported element type ${quote(String(t.type))}`);
  if (!Array.isArray(t.dims)) throw new SessionError(where, 'has no dims');
  try {
    return hostTensor(t.type, t.dims, t.data as TensorData);
  } catch (e) {
    if (e instanceof GraphError) throw new SessionError(where, e.detail);
    throw e;
  }
}
