/**
 * @file Tuning tasks: the distinct kernels of a model at given input shapes. The model goes
 * through the executor's own specialization (src/runtime/specialize.ts) and kernel construction
 * (`kernelCompute`), so a task is exactly the compute the executor will schedule; kernels whose
 * tensor expressions, parameter types and target agree share one task, whose weight counts them.
 *
 * A task's key hashes what a schedule depends on — the printed TE of its outputs, its parameters'
 * dtypes and shapes, the target — so the executor finds a record for a kernel by rebuilding the
 * key from the kernel's tensors (records.ts). A task also says where it came from (`source`): a
 * measuring worker rebuilds the same compute from that in its own process.
 *
 *   const tasks = await extractTasks('cls.onnx', [{ dtype: 'float32', shape: [1, 3, 48, 192] }], 'c');
 *   tasks[0].key      // 'c:3f1a…'
 *   tasks[0].build()  // fresh { outputs, args }, ready for replaySchedule
 */

import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { TargetName } from '../codegen/index.js';
import { getBackend } from '../codegen/index.js';
import type { TargetInfo } from '../codegen/target.js';
import { readOnnx } from '../frontend/onnx/index.js';
import { tensorType } from '../graph/types.js';
import { indexGraph } from '../graph/uses.js';
import type { DType } from '../ir/dtype.js';
import { makePassContext } from '../passes/pass.js';
import { concatViews, fusedBody, isFused, valueBytes } from '../passes/graph/index.js';
import { kernelCompute } from '../runtime/kernels.js';
import { checkGraph, specialize } from '../runtime/specialize.js';
import { printTensors } from '../te/print.js';
import type { Tensor } from '../te/tensor.js';
import { TuneError } from './errors.js';

export interface InputType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** A kernel's tensors, freshly built: what a schedule is made or replayed on. */
export interface TaskCompute {
  readonly outputs: readonly Tensor[];
  /** the kernel's parameters: inputs, then outputs */
  readonly args: readonly Tensor[];
  /** per input parameter, its actual values where the model fixes them (weights), else null */
  readonly constants?: readonly (ArrayLike<number> | null)[];
}

/** Where a task's compute comes from, as data a worker process can rebuild it from. */
export type TaskSource =
  | { readonly kind: 'model'; readonly model: string; readonly inputs: readonly InputType[]; readonly target: TargetName; readonly node: number }
  /** a module exporting `name(arg) → TaskCompute` (single-op workloads, tests) */
  | { readonly kind: 'module'; readonly module: string; readonly name: string; readonly arg?: unknown };

export interface Task {
  readonly key: string;
  /** for people: the kernel and its ops, `k3 Conv+Relu 1x8x24x96` */
  readonly label: string;
  /** how many kernels of the model are this task */
  readonly weight: number;
  /** the model's kernels that are this task, by index (`k3` is 3); none for a module's task */
  readonly kernels: readonly number[];
  readonly targetName: TargetName;
  readonly target: TargetInfo;
  readonly source: TaskSource;
  /** fresh tensors of the kernel on every call */
  build(): TaskCompute;
}

/** The key of a kernel: a hash of its printed TE and parameter types, prefixed by the target. */
export function taskKey(k: { readonly outputs: readonly Tensor[]; readonly args: readonly Tensor[] }, target: string): string {
  const params = k.args.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(' ');
  const hash = createHash('sha256').update(`${params}\n${printTensors(k.outputs)}`).digest('hex');
  return `${target}:${hash.slice(0, 16)}`;
}

/** Loads a task source into a builder of its compute (the model is read and specialized once). */
export async function loadSource(source: TaskSource): Promise<() => TaskCompute> {
  if (source.kind === 'module') {
    const mod = (await import(pathToFileURL(source.module).href)) as Record<string, unknown>;
    const make = mod[source.name];
    if (typeof make !== 'function') throw new TuneError(`module ${source.module}`, `exports no function ${source.name}`);
    return () => (make as (arg: unknown) => TaskCompute)(source.arg);
  }
  const { graph, opset } = specializedModel(source.model, source.inputs, source.target);
  const node = graph.nodes[source.node] ?? missingNode(source);
  const index = indexGraph(graph);
  return () => {
    const k = kernelCompute(node, opset, (v) => index.constant(v));
    const constants = k.params.slice(0, k.args.length - k.outputs.length).map((b) => {
      const c = b.kind === 'constant' ? b.tensor : index.constant(b.value);
      return c && !(c.data instanceof BigInt64Array) ? c.data : null;
    });
    return { outputs: k.outputs, args: k.args, constants };
  };
}

function missingNode(source: TaskSource & { kind: 'model' }): never {
  throw new TuneError(`model ${source.model}`, `has no kernel ${source.node} at these input shapes`);
}

const models = new Map<string, { graph: ReturnType<typeof specialize>; opset: number }>();

/** The model specialized to `inputs` for `target` as the executor does it (cached per process). */
function specializedModel(model: string, inputs: readonly InputType[], target: TargetName): { graph: ReturnType<typeof specialize>; opset: number } {
  const cacheKey = JSON.stringify([model, inputs, target]);
  const hit = models.get(cacheKey);
  if (hit) return hit;
  const g = checkGraph(readOnnx(model));
  if (g.inputs.length !== inputs.length) throw new TuneError(`model ${model}`, `has ${g.inputs.length} inputs, ${inputs.length} given`);
  const graph = specialize(g, inputs.map((t) => tensorType(t.dtype, t.shape)), makePassContext({}, undefined, getBackend(target).info));
  const out = { graph, opset: graph.opsets.get('') ?? 1 };
  models.set(cacheKey, out);
  return out;
}

/** The distinct kernels of `model` at `inputs` on `target`, most frequent first. */
export async function extractTasks(model: string, inputs: readonly InputType[], targetName: TargetName): Promise<Task[]> {
  const target = getBackend(targetName).info;
  const { graph } = specializedModel(model, inputs, targetName);
  const tasks = new Map<string, { task: Omit<Task, 'weight' | 'kernels'>; kernels: number[] }>();
  // a Concat whose inputs the plan writes straight into its output runs no kernel to tune
  const views = concatViews(graph, valueBytes);
  for (const [k, node] of graph.nodes.entries()) {
    if (views.nodes.has(k)) continue;
    const source: TaskSource = { kind: 'model', model, inputs, target: targetName, node: k };
    const build = await loadSource(source);
    const key = taskKey(build(), target.name);
    const seen = tasks.get(key);
    if (seen) {
      seen.kernels.push(k);
      continue;
    }
    const ops = (isFused(node) ? fusedBody(node).nodes : [node]).map((n) => n.op).join('+');
    const shape = build().outputs[0]?.shape.join('x') ?? '';
    tasks.set(key, { task: { key, label: `k${k} ${ops} ${shape}`, targetName, target, source, build }, kernels: [k] });
  }
  return [...tasks.values()].map(({ task, kernels }) => ({ ...task, weight: kernels.length, kernels })).sort((a, b) => b.weight - a.weight);
}

/** A task from a module's compute builder (a single-op workload). */
export async function moduleTask(module: string, name: string, arg: unknown, targetName: TargetName, label = name): Promise<Task> {
  const target = getBackend(targetName).info;
  const source: TaskSource = { kind: 'module', module, name, arg };
  const build = await loadSource(source);
  return { key: taskKey(build(), target.name), label, weight: 1, kernels: [], targetName, target, source, build };
}
