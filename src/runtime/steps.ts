/**
 * @file Running a plan (plan.ts): bind each kernel call's arguments — fixed arrays (constants,
 * views into the arena) made once, feeds and fresh output arrays per run — and make the calls in
 * order. The model executor runs compiled plans through it, and so does a loaded saved model
 * (saved/load.ts), which is why nothing here knows about graphs or compilers.
 */

import type { HostArray } from '../codegen/target.js';
import type { HostTensor, TypedData } from '../graph/tensor.js';
import { hostTensor } from '../graph/tensor.js';
import { arrayOf, copyArray, viewOf } from './arrays.js';
import { SessionError } from './errors.js';
import type { OutputPlan, Plan, Slot } from './plan.js';

export interface KernelTime {
  readonly entry: string;
  /** the node, as `nodeLabel` shows it */
  readonly label: string;
  readonly op: string;
  readonly ms: number;
}

/** A caller-owned array for one output, with the name errors call it by. */
export interface Fetch {
  readonly name: string;
  readonly tensor: HostTensor;
}

export interface RunResult {
  readonly outputs: readonly HostTensor[];
  /** per kernel call, in order; only when asked for */
  readonly profile?: readonly KernelTime[];
}

/** What runs a plan's kernel calls: every entry of one compiled artifact. */
export interface KernelRunner {
  run(args: readonly HostArray[], entry: string): void;
  /** memory the kernels use in place, to hold the arena (see Executable.arena) */
  arena?(bytes: number): Uint8Array | undefined;
}

/** A plan ready to run: its kernels and, per step, per argument, the array when it is fixed. */
export interface Bound {
  readonly plan: Plan;
  readonly kernel: KernelRunner;
  readonly fixed: readonly (readonly (HostArray | null)[])[];
}

/**
 * Allocates the plan's arena and binds the arguments that never change between runs. When the
 * kernels offer their own memory (Executable.arena), the constants are copied into it once, after
 * the arena, so no kernel call copies its weights in.
 */
export function bindPlan(plan: Plan, kernel: KernelRunner): Bound {
  const constants = [...new Set(plan.steps.flatMap((step) => step.args.flatMap((s) => (s.kind === 'constant' ? [s.data] : []))))];
  const arenaBytes = alignUp(plan.arenaBytes);
  const constantBytes = constants.reduce((n, c) => n + alignUp(c.byteLength), 0);
  const memory = kernel.arena?.(arenaBytes + constantBytes);
  const arena = memory ?? new Uint8Array(allocateArena(plan.arenaBytes));
  const resident = new Map<TypedData, TypedData>();
  if (memory) {
    let offset = memory.byteOffset + arenaBytes;
    for (const c of constants) {
      const view = new (c.constructor as TypedArrayConstructor)(memory.buffer, offset, c.length);
      view.set(c as never);
      resident.set(c, view);
      offset += alignUp(c.byteLength);
    }
  }
  const fixedArray = (s: Slot): HostArray | null => {
    if (s.kind === 'constant') return resident.get(s.data) ?? s.data;
    return s.kind === 'arena' ? viewOf(arena.buffer as ArrayBuffer, s.dtype, arena.byteOffset + s.offset, s.elems) : null;
  };
  return { plan, kernel, fixed: plan.steps.map((step) => step.args.map(fixedArray)) };
}

type TypedArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedData;

/** Vector-aligned offsets, so every resident array starts on a cache line. */
function alignUp(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

function allocateArena(bytes: number): ArrayBuffer {
  try {
    return new ArrayBuffer(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw new SessionError('model', `needs ${bytes} bytes for its intermediate values, more than can be allocated`);
    throw e;
  }
}

/**
 * One run on `feeds` (checked by the caller against the shapes the plan was made for). `fetches`,
 * by output index, are caller-owned arrays the outputs are written into instead of fresh ones:
 * a fresh array's pages are faulted in by the kernel that first writes them, on every run.
 */
export function runPlan(c: Bound, feeds: readonly HostTensor[], profile: boolean, fetches: readonly (Fetch | null)[] = []): RunResult {
  fetches.forEach((f, k) => f && checkFetch(c.plan.outputs[k], f, feeds));
  const outs = c.plan.outputs.map((o, k) => fetches[k]?.tensor.data ?? (o.source.kind === 'written' ? arrayOf(o.type.dtype, o.type.shape) : null));
  /** the array of a slot that is not fixed; a constant too, for outputs copied from one */
  const bound = (s: Slot): HostArray => {
    if (s.kind === 'feed') return feeds[s.index].data;
    const out = s.kind === 'output' ? outs[s.index] : null;
    if (out) return out;
    if (s.kind === 'constant') return s.data;
    throw new SessionError('run', `a ${s.kind} slot has no array to bind`);
  };
  const times: KernelTime[] = [];
  for (const [k, step] of c.plan.steps.entries()) {
    const args = step.args.map((s, i) => c.fixed[k][i] ?? bound(s));
    const t0 = profile ? performance.now() : 0;
    c.kernel.run(args, step.entry);
    if (profile) times.push({ entry: step.entry, label: step.label, op: step.op, ms: performance.now() - t0 });
  }
  const outputs = c.plan.outputs.map((o, k) => {
    const fetched = fetches[k]?.tensor;
    if (fetched && o.source.kind === 'copy') fetched.data.set(bound(o.source.from) as never);
    const data = outs[k] ?? (o.source.kind === 'copy' ? copyArray(bound(o.source.from)) : null);
    if (data === null) throw new SessionError('run', `output ${k} has no array`);
    return hostTensor(o.type.dtype, o.type.shape, data);
  });
  return profile ? { outputs, profile: times } : { outputs };
}

/** A caller's output array must have the output's dtype and shape and share no memory with a feed. */
function checkFetch(o: OutputPlan, { name, tensor: f }: Fetch, feeds: readonly HostTensor[]): void {
  const where = `fetch ${JSON.stringify(name)}`;
  if (f.dtype !== o.type.dtype) throw new SessionError(where, `is ${f.dtype}, the output is ${o.type.dtype}`);
  if (f.shape.length !== o.type.shape.length || f.shape.some((d, i) => d !== o.type.shape[i])) {
    throw new SessionError(where, `has shape [${f.shape.join(', ')}], the output has [${o.type.shape.join(', ')}]`);
  }
  // kernels read their inputs while writing outputs: an output over a feed would read its own results
  for (const feed of feeds) {
    const a = f.data;
    const b = feed.data;
    if (a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
      throw new SessionError(where, 'shares memory with a feed');
    }
  }
}
