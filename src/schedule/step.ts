/**
 * @file Schedules as data. Every primitive call appends one `Step` naming its stage and axes by
 * their stable names (`i.outer`, `i.j.fused`, `A.local`), so the list can be printed, stored in a
 * tuning record as JSON, and replayed onto a freshly built copy of the same compute.
 *
 *   C: split(i, factor=8) -> i.outer, i.inner
 *   A.local: computeAt(C, i.outer)
 */

import type { Scope } from '../ir/expr.js';
import type { ThreadTag } from '../tir/stmt.js';

export const THREAD_TAGS: readonly ThreadTag[] = [
  'blockIdx.x',
  'blockIdx.y',
  'blockIdx.z',
  'threadIdx.x',
  'threadIdx.y',
  'threadIdx.z',
];

type NoArgs = Readonly<Record<string, never>>;
interface AxisArg {
  readonly axis: string;
}

/** The arguments of each primitive, by primitive name. */
export interface StepArgs {
  split: AxisArg & { readonly by: 'factor' | 'nparts'; readonly value: number };
  tile: { readonly x: string; readonly y: string; readonly xFactor: number; readonly yFactor: number };
  fuse: { readonly axes: readonly string[] };
  reorder: { readonly axes: readonly string[] };
  computeAt: AxisArg & { readonly target: string };
  computeInline: NoArgs;
  computeRoot: NoArgs;
  cacheRead: { readonly scope: Scope; readonly readers: readonly string[] };
  cacheWrite: { readonly scope: Scope };
  rfactor: AxisArg;
  parallel: AxisArg;
  vectorize: AxisArg;
  unroll: AxisArg;
  bind: AxisArg & { readonly tag: ThreadTag };
  doubleBuffer: NoArgs;
  storageAlign: AxisArg & { readonly factor: number; readonly offset: number };
  winograd: { readonly tile: number };
}

export type Prim = keyof StepArgs;

/** One primitive application; `results` names what it created (axes or stages), in order. */
export type Step = {
  [P in Prim]: { readonly prim: P; readonly stage: string; readonly args: StepArgs[P]; readonly results: readonly string[] };
}[Prim];

function argText(step: Step): string {
  switch (step.prim) {
    case 'split':
      return `${step.args.axis}, ${step.args.by}=${step.args.value}`;
    case 'tile':
      return `${step.args.x}, ${step.args.y}, ${step.args.xFactor}, ${step.args.yFactor}`;
    case 'fuse':
    case 'reorder':
      return step.args.axes.join(', ');
    case 'computeAt':
      return `${step.args.target}, ${step.args.axis}`;
    case 'cacheRead':
      return `${step.args.scope}, readers=[${step.args.readers.join(', ')}]`;
    case 'cacheWrite':
      return step.args.scope;
    case 'bind':
      return `${step.args.axis}, ${step.args.tag}`;
    case 'storageAlign':
      return `${step.args.axis}, factor=${step.args.factor}, offset=${step.args.offset}`;
    case 'winograd':
      return `tile=${step.args.tile}`;
    case 'rfactor':
    case 'parallel':
    case 'vectorize':
    case 'unroll':
      return step.args.axis;
    case 'computeInline':
    case 'computeRoot':
    case 'doubleBuffer':
      return '';
  }
}

/** `C: split(i, factor=8) -> i.outer, i.inner` */
export function printStep(step: Step): string {
  const results = step.results.length > 0 ? ` -> ${step.results.join(', ')}` : '';
  return `${step.stage}: ${step.prim}(${argText(step)})${results}`;
}

/** One line per step, in application order. */
export function printSteps(steps: readonly Step[]): string {
  return steps.map(printStep).join('\n');
}
