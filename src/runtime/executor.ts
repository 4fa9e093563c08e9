/**
 * @file The model executor. A graph is typed once with symbolic shapes when the executor is made
 * (so unknown ops and bad attributes fail before any run). The first run with a new list of
 * input shapes specializes the graph to them (the graph pipeline: folding, simplification,
 * fusion), builds one kernel per node or fused group, compiles all kernels into ONE artifact (one
 * C compiler run per model and shape) and plans the run; the result is cached by shape signature
 * (and, for models whose shapes follow the values of small inputs, by those values: see freeze.ts).
 * A run is then a static list of kernel calls over one arena.
 *
 * With a compiled-model cache (`cache`, ./cache/), a shape list met before — by this process or
 * an earlier one — loads its plan and kernels from disk instead (models specialized on input
 * values are not cached); the specialized graph and the generated code are then rebuilt only if
 * `prepare`'s caller reads them. A model the cache has met may even come without its graph
 * (`DeferredGraph`): it is read only when a compile or a description needs it.
 *
 * Kernel calls are synchronous and a run never awaits between them, so concurrent `run` calls on
 * one executor cannot interleave inside the shared arena.
 */

import type { KernelOptions } from '../codegen/build.js';
import { buildFuncs, lowerKernel } from '../codegen/build.js';
import type { TargetName } from '../codegen/index.js';
import type { Executable } from '../codegen/target.js';
import { getBackend } from '../codegen/index.js';
import type { Graph, Node, Value } from '../graph/graph.js';
import { nodeLabel } from '../graph/graph.js';
import type { HostTensor } from '../graph/tensor.js';
import { tensorType } from '../graph/types.js';
import { indexGraph } from '../graph/uses.js';
import type { ConcreteType } from '../ops/index.js';
import { OpError } from '../ops/index.js';
import type { PassConfig } from '../passes/pass.js';
import { makePassContext } from '../passes/pass.js';
import { concatViews, GraphPassError, valueBytes } from '../passes/graph/index.js';
import { inPlaceAliases } from '../tir/inPlace.js';
import type { PrimFunc } from '../tir/stmt.js';
import type { ModelCache } from './cache/store.js';
import { SessionError } from './errors.js';
import { checkFeeds, shapeSignature } from './feeds.js';
import type { KernelScheduler, NodeKernel } from './kernels.js';
import { nodeKernel } from './kernels.js';
import type { Plan } from './plan.js';
import { planRun } from './plan.js';
import { freezableInputs, frozenKey } from './freeze.js';
import type { Frozen } from './specialize.js';
import { checkGraph, checkOps, specialize } from './specialize.js';
import type { Bound, Fetch, RunResult } from './steps.js';
import { bindPlan, runPlan } from './steps.js';

export interface ExecutorOptions {
  readonly target: TargetName;
  /** threads for parallel loops (default: the target's cores) */
  readonly threads?: number;
  /** pass configuration for the graph and TIR pipelines (passes to skip, bounds checks, …) */
  readonly passes?: Partial<PassConfig>;
  /** chooses kernels' schedules in place of the default strategy (tuning records) */
  readonly scheduler?: KernelScheduler;
  /**
   * let a kernel write an output over an input that dies there, where its code allows it
   * (../tir/inPlace.ts), and producers write a Concat's inputs straight into its output
   * (../passes/graph/planMemory.ts); default true, false gives the out-of-place reference
   */
  readonly inPlace?: boolean;
  /** fused multiply-add through relaxed SIMD (wasm only; see codegen/wasm/relaxed.ts) */
  readonly relaxedSimd?: boolean;
  /** the compiled-model cache to read and fill (keyed by the model and these options) */
  readonly cache?: ModelCache;
}

export type { KernelTime, RunResult } from './steps.js';

/** A model known by its inputs and outputs until a compile needs its graph (one the compiled-model cache has met). */
export interface DeferredGraph {
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** reads the model's graph (as `Executor.create` takes it); throws what reading it throws */
  readonly read: () => Graph;
}

/** A graph compiled for one list of input shapes, bound to its arena (steps.ts). */
interface Compiled extends Bound {
  /** frees the kernels */
  readonly dispose: () => void;
  /** the values of the inputs it was specialized on ('' when none) */
  readonly frozenKey: string;
  /** the specialized graph */
  readonly graph: () => Graph;
  /** the generated code (the wasm module's bytes, the C source) */
  readonly source: () => string | Uint8Array;
}

/** A model this process compiled: its kernels' executable too, for the cache to describe. */
interface Built extends Compiled {
  readonly exe: Executable;
}

export class Executor {
  private readonly cache = new Map<string, Promise<Compiled>>();
  private released = false;

  private constructor(
    /** the model's graph, typed with its declared (possibly symbolic) input shapes when it can be; undefined until a deferred one is read */
    private typed: Graph | undefined,
    private readonly opts: ExecutorOptions,
    /** the inputs specialized on by value (see freeze.ts); set at most once */
    private frozen: readonly number[],
    private readonly deferred?: DeferredGraph,
  ) {}

  /**
   * Types `graph` (throwing an OpError for an unknown op or a bad attribute) and makes an
   * executor. A graph that cannot be typed before the values of its small inputs are known has
   * those inputs frozen from the start; its other attribute errors surface at the first run.
   */
  static create(graph: Graph, opts: ExecutorOptions): Executor {
    getBackend(opts.target);
    try {
      return new Executor(checkGraph(graph), opts, []);
    } catch (e) {
      const frozen = freezableInputs(graph);
      if (!(e instanceof OpError) || frozen.length === 0) throw e;
      checkOps(graph);
      return new Executor(graph, opts, frozen);
    }
  }

  /** An executor whose graph is read when first needed; it must type as it did when `model` was recorded. */
  static deferred(model: DeferredGraph, opts: ExecutorOptions): Executor {
    getBackend(opts.target);
    return new Executor(undefined, opts, [], model);
  }

  /** the model's graph, typed with its declared (possibly symbolic) input shapes when it can be */
  get graph(): Graph {
    this.typed ??= checkGraph(this.deferred!.read());
    return this.typed;
  }
  get inputs(): readonly Value[] {
    return (this.typed ?? this.deferred!).inputs;
  }
  get outputs(): readonly Value[] {
    return (this.typed ?? this.deferred!).outputs;
  }
  /** whether the executor specializes on input values (freeze.ts): such models are not cached */
  get freezes(): boolean {
    return this.frozen.length > 0;
  }

  /**
   * Compiles for `feeds` (cached like a run's): the plan, and on demand the specialized graph and
   * the generated code (for a model loaded from the compiled-model cache, reading them compiles
   * it again short of building the kernels).
   */
  async prepare(feeds: readonly HostTensor[]): Promise<{ readonly graph: Graph; readonly source: string | Uint8Array; readonly plan: Plan; readonly frozenKey: string }> {
    const c = await this.compiled(checkFeeds(this.inputs, feeds), feeds);
    return {
      get graph() {
        return c.graph();
      },
      get source() {
        return c.source();
      },
      plan: c.plan,
      frozenKey: c.frozenKey,
    };
  }

  /**
   * Runs the model on `feeds` (one per input, in input order); `fetches`, by output index, are
   * arrays to write outputs into (see runPlan).
   */
  async run(feeds: readonly HostTensor[], opts: { readonly profile?: boolean; readonly fetches?: readonly (Fetch | null)[] } = {}): Promise<RunResult> {
    if (feeds.length !== this.inputs.length) throw new SessionError('run', `expects ${this.inputs.length} feeds, got ${feeds.length}`);
    const types = checkFeeds(this.inputs, feeds);
    let c = await this.compiled(types, feeds);
    // inputs frozen while this run waited: what it got may hold other values of them
    if (this.frozen.length > 0 && c.frozenKey !== frozenKey(this.frozen, feeds)) c = await this.compiled(types, feeds);
    if (this.released) throw new SessionError('run', 'the session was released');
    return runPlan(c, feeds, opts.profile ?? false, opts.fetches);
  }

  /** Frees compiled kernels; the executor cannot run afterwards. */
  async release(): Promise<void> {
    this.released = true;
    const all = [...this.cache.values()];
    this.cache.clear();
    for (const p of all) {
      const c = await p.catch(() => null);
      c?.dispose();
    }
  }

  private compiled(types: readonly ConcreteType[], feeds: readonly HostTensor[]): Promise<Compiled> {
    if (this.released) return Promise.reject(new SessionError('run', 'the session was released'));
    const key = `${shapeSignature(types)}|${frozenKey(this.frozen, feeds)}`;
    let c = this.cache.get(key);
    if (c === undefined) {
      c = this.compileOrFreeze(types, feeds);
      this.cache.set(key, c);
      // a failed compile is not cached: the error is reported to this run only
      c.catch(() => this.cache.delete(key));
    }
    return c;
  }

  /** Compiles for these shapes; when shapes alone are not enough, again with the inputs that decide shapes frozen. */
  private async compileOrFreeze(types: readonly ConcreteType[], feeds: readonly HostTensor[]): Promise<Compiled> {
    const build = (frozen: readonly number[]): Promise<Built> => compile(this.graph, types, { inputs: frozen, feeds }, this.opts);
    if (this.frozen.length > 0) return build(this.frozen);
    const cache = this.opts.cache;
    const signature = shapeSignature(types);
    const hit = await cache?.load(signature);
    if (hit) {
      const again = once(() => describeOnly(this.graph, types, this.opts));
      const source = hit.source;
      return { ...hit.bound, dispose: () => hit.dispose(), frozenKey: '', graph: () => again().graph, source: () => source ?? again().source };
    }
    try {
      const c = await build([]);
      if (cache) {
        const inputs = this.inputs.map((v, k) => ({ name: v.name, ...types[k] }));
        await cache.store(signature, { plan: c.plan, source: c.source(), exe: c.exe, inputs, outputNames: this.outputs.map((v) => v.name) });
      }
      return c;
    } catch (e) {
      const frozen = freezableInputs(this.graph);
      if (!(e instanceof OpError || e instanceof SessionError || e instanceof GraphPassError) || frozen.length === 0) throw e;
      // with the values known, what is wrong is about them (a bad scale, a negative size): report that
      const c = await build(frozen);
      this.frozen = frozen;
      return c;
    }
  }
}

/** `node`'s error, or a SessionError naming `node` for an error that does not name it. */
function atNode<T>(node: Node, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OpError || e instanceof SessionError) throw e;
    throw new SessionError(nodeLabel(node), `${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The graph specialized to `types`, its kernels lowered, and its run planned: all but building the kernels. */
function front(g: Graph, types: readonly ConcreteType[], frozen: Frozen, opts: ExecutorOptions): { graph: Graph; funcs: PrimFunc[]; plan: Plan; kernelOpts: KernelOptions } {
  const info = getBackend(opts.target).info;
  const graph = specialize(g, types.map((t) => tensorType(t.dtype, t.shape)), makePassContext(opts.passes, undefined, info), frozen);
  const index = indexGraph(graph);
  const opset = graph.opsets.get('') ?? 1;
  const kernelOpts: KernelOptions = { target: opts.target, threads: opts.threads, passes: opts.passes, relaxedSimd: opts.relaxedSimd };
  const inPlace = opts.inPlace ?? true;
  // Concats whose inputs are written straight into their output get no kernel
  const views = inPlace ? concatViews(graph, valueBytes) : undefined;
  const kernels = graph.nodes.map((n, k): { nk: NodeKernel; func: PrimFunc } | undefined => {
    if (views?.nodes.has(k)) return undefined;
    const nk = atNode(n, 'cannot build its kernel', () => nodeKernel(n, `k${k}`, opset, (v) => index.constant(v), info, opts.scheduler));
    return { nk, func: atNode(n, 'cannot lower its kernel', () => lowerKernel(nk.spec, kernelOpts)) };
  });
  const params = kernels.map((kn) => kn && { params: kn.nk.params, aliases: inPlace ? inPlaceAliases(kn.func) : [] });
  const planned = planRun(graph, params, new Map(g.inputs.map((v, k) => [v.id, k])), views);
  // each kernel declares the aliases its arguments will have, no more (C keeps `restrict` elsewhere)
  const funcs = kernels.flatMap((kn, k) => (kn ? [{ ...kn.func, aliases: planned.aliases[k] }] : []));
  return { graph, funcs, plan: planned.plan, kernelOpts };
}

async function compile(g: Graph, types: readonly ConcreteType[], frozen: Frozen, opts: ExecutorOptions): Promise<Built> {
  const { graph, funcs, plan, kernelOpts } = front(g, types, frozen, opts);
  const kernel = await buildFuncs(funcs, kernelOpts);
  const source = kernel.source;
  return { ...bindPlan(plan, kernel), exe: kernel.exe, dispose: () => kernel.dispose(), frozenKey: frozenKey(frozen.inputs, frozen.feeds), graph: () => graph, source: () => source };
}

/** What `compile` would have made of `types`, short of building it: for a model loaded from the cache. */
function describeOnly(g: Graph, types: readonly ConcreteType[], opts: ExecutorOptions): { graph: Graph; source: string | Uint8Array } {
  const { graph, funcs, kernelOpts } = front(g, types, { inputs: [], feeds: [] }, opts);
  return { graph, source: getBackend(opts.target).emit(funcs, kernelOpts).code };
}

function once<T>(f: () => T): () => T {
  let done: { value: T } | undefined;
  return () => (done ??= { value: f() }).value;
}
