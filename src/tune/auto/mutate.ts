/**
 * @file Evolutionary mutation of a schedule trace: change one decision and keep the rest, the
 * way Ansor's evolutionary search does. The edits work on any trace (not just sampled ones),
 * because they are made on steps and checked by replaying and lowering:
 *
 *   tile size        a split's factor: mostly near its value (twice, half, the neighbouring
 *                    divisors), else any divisor; half the time with the splits of the same
 *                    factor in the stages computed at it or at which it is computed (an
 *                    accumulator's tile and its anchor's)
 *   unroll           an unroll step removed, or one added on an inner loop
 *
 * A stage that computes a Winograd transform (a first half, or a stage reading one directly or
 * through inlined stages) keeps its splits and unrolls: they give each copy a constant matrix row, and without
 * them every point evaluates its selects (det's 3×3 conv: 6 ms became 144).
 *   parallel         a fuse step takes one more or one fewer of its neighbouring loops; the later
 *                    steps follow the fused loop's new name
 *   compute location a computeAt step moves to another loop of the same stage
 *   loop order       two neighbouring loops of a reorder step trade places
 *
 *   C: split(i.inner, factor=8)   →   C: split(i.inner, factor=4)
 */

import type { IterVar } from '../../ir/expr.js';
import type { Schedule, Stage, Step } from '../../schedule/index.js';
import { replaySchedule } from '../../schedule/index.js';
import { readThroughInlined } from './analysis.js';
import type { Rng } from './random.js';
import { divisors, pick } from './random.js';
import type { Lowered, ScheduleTask } from './task.js';
import { isScheduleFailure, tryLower } from './task.js';

type Mutation = (task: ScheduleTask, steps: readonly Step[], rng: Rng) => Step[] | null;

/** Edits tried before giving up: most traces accept most edits, so a few suffice. */
const ATTEMPTS = 12;

/**
 * A trace that differs from `steps` in one decision, replays on a fresh compute of `task` and
 * lowers; null when no edit tried applies.
 */
export function mutateSchedule(task: ScheduleTask, steps: readonly Step[], rng: Rng): Step[] | null {
  return mutateLowered(task, steps, rng)?.steps ?? null;
}

/** `mutateSchedule` with the function the child lowered to. */
export function mutateLowered(task: ScheduleTask, steps: readonly Step[], rng: Rng): Lowered | null {
  for (let n = 0; n < ATTEMPTS; n++) {
    const edit = pick(rng, MUTATIONS);
    const child = edit(task, steps, rng);
    const func = child && tryLower(task, child);
    if (child && func) return { steps: child, func };
  }
  return null;
}

/** The schedule after the first `k` steps, or null when they do not replay. */
function prefix(task: ScheduleTask, steps: readonly Step[], k: number): Schedule | null {
  try {
    return replaySchedule(steps.slice(0, k), task.build().outputs);
  } catch (e) {
    if (isScheduleFailure(e)) return null;
    throw e;
  }
}

function indicesOf(steps: readonly Step[], keep: (s: Step) => boolean): number[] {
  return steps.flatMap((s, k) => (keep(s) ? [k] : []));
}

function replaced(steps: readonly Step[], k: number, step: Step): Step[] {
  return [...steps.slice(0, k), step, ...steps.slice(k + 1)];
}

const isHalf = (st: Stage): boolean => st.tensor.op.kind === 'compute' && st.tensor.op.tag === 'winograd_half';

/** Whether stage `name` of `s` computes a Winograd transform: a first half, or a stage reading one directly or through inlined stages. */
function computesTransform(s: Schedule | null, name: string): boolean {
  const st = s?.stageNamed(name);
  return !!s && !!st && (isHalf(st) || readThroughInlined(s, st, isHalf) !== undefined);
}

/** The indices of steps of kind `prim`, less those of stages that compute a Winograd transform. */
function mutable(task: ScheduleTask, steps: readonly Step[], prim: Step['prim']): number[] {
  // only a trace with a winograd step has such stages: the others need no replay to tell
  const s = steps.some((x) => x.prim === 'winograd') ? prefix(task, steps, steps.length) : null;
  return indicesOf(steps, (x) => x.prim === prim && !computesTransform(s, x.stage));
}

const mutateTileSize: Mutation = (task, steps, rng) => {
  const splits = mutable(task, steps, 'split');
  if (splits.length === 0) return null;
  const k = pick(rng, splits);
  const step = steps[k];
  if (step.prim !== 'split') return null;
  const extent = prefix(task, steps, k)?.stageNamed(step.stage)?.axisNamed(step.args.axis)?.extent;
  if (extent === undefined) return null;
  const v = step.args.value;
  // near the parent: twice or half, and the neighbouring divisors (160's 10 → 8 or 16, not only 5 or 20)
  const ds = divisors(extent);
  const at = ds.findIndex((d) => d >= v);
  const neighbours = makesVector(steps, k) ? [] : [ds[at - 1], ds[ds[at] === v ? at + 1 : at]].filter((x) => x !== undefined);
  const near = [...new Set([v * 2, v / 2, ...neighbours])].filter((x) => Number.isInteger(x) && x >= (makesVector(steps, k) ? 4 : 1) && x <= extent);
  const options = (makesVector(steps, k) || (rng() < 0.7 && near.length > 0) ? near : divisors(extent)).filter((x) => x !== v);
  if (options.length === 0) return null;
  const value = pick(rng, options);
  let child = replaced(steps, k, { ...step, args: { ...step.args, value } });
  // Half the time the splits of the same factor in a stage computed at this one (or this one's
  // target) change with it: they mostly tile the same region, like an accumulator's register
  // tile and its anchor's, and a register tile grown in one alone is cut by the other.
  if (rng() < 0.5) {
    for (const j of linkedSplits(steps, k)) {
      const other = child[j];
      if (other.prim !== 'split' || (makesVector(steps, j) && !(value >= 4 && (value & (value - 1)) === 0))) continue;
      child = replaced(child, j, { ...other, args: { ...other.args, value } });
    }
  }
  return child;
};

/** Whether split step `k` makes a vector loop, which keeps a power-of-two width of at least 4. */
function makesVector(steps: readonly Step[], k: number): boolean {
  const step = steps[k];
  return step.prim === 'split' && steps.some((s) => s.prim === 'vectorize' && s.stage === step.stage && s.args.axis === step.results[1]);
}

/** Split steps with split `k`'s factor on stages computed at its stage, or at which its stage is computed. */
function linkedSplits(steps: readonly Step[], k: number): number[] {
  const step = steps[k];
  if (step.prim !== 'split') return [];
  const linked = new Set<string>();
  for (const s of steps) {
    if (s.prim !== 'computeAt') continue;
    if (s.args.target === step.stage) linked.add(s.stage);
    if (s.stage === step.stage) linked.add(s.args.target);
  }
  return indicesOf(steps, (s) => s.prim === 'split' && s !== step && linked.has(s.stage) && s.args.value === step.args.value);
}

const mutateUnroll: Mutation = (task, steps, rng) => {
  const unrolls = mutable(task, steps, 'unroll');
  if (unrolls.length > 0 && rng() < 0.5) {
    const k = pick(rng, unrolls);
    return [...steps.slice(0, k), ...steps.slice(k + 1)];
  }
  const s = prefix(task, steps, steps.length);
  if (!s) return null;
  // the three innermost loops of each stage that has loops and no annotation on them yet
  const spots = s.stages
    .filter((st) => !st.isPlaceholder && st.attach.kind !== 'inline')
    .flatMap((st) => st.leafAxes().slice(-3).filter((l) => !st.annotation(l) && l.extent > 1).map((l) => ({ st, axis: st.nameOf(l) })));
  if (spots.length === 0) return null;
  const { st, axis } = pick(rng, spots);
  return [...steps, { prim: 'unroll', stage: st.name, args: { axis }, results: [] }];
};

const mutateParallel: Mutation = (task, steps, rng) => {
  const fuses = indicesOf(steps, (s) => s.prim === 'fuse');
  if (fuses.length === 0) return null;
  const k = pick(rng, fuses);
  const step = steps[k];
  if (step.prim !== 'fuse') return null;
  const s = prefix(task, steps, k);
  const st = s?.stageNamed(step.stage);
  if (!s || !st) return null;
  const leaves = st.leafAxes();
  const first = leaves.findIndex((l) => st.nameOf(l) === step.args.axes[0]);
  if (first < 0) return null;
  let run = 0;
  while (first + run < leaves.length && leaves[first + run].iterType === leaves[first].iterType && !st.annotation(leaves[first + run])) run++;
  const count = step.args.axes.length;
  const options = [count - 1, count + 1].filter((c) => c >= 1 && c <= run);
  if (options.length === 0) return null;
  const fused = refuse(s, st, leaves.slice(first, first + pick(rng, options)));
  if (!fused) return null;
  const old = step.results[0];
  const renamed = steps.slice(k + 1).map((later) => renameAxis(later, step.stage, old, fused.results[0]));
  return [...steps.slice(0, k), fused, ...renamed];
};

/** The step `fuse(axes)` records on `st`, with the names the schedule gives its result. */
function refuse(s: Schedule, st: Stage, axes: readonly IterVar[]): Step | null {
  try {
    st.fuse(...axes);
  } catch (e) {
    if (isScheduleFailure(e)) return null;
    throw e;
  }
  return s.steps[s.steps.length - 1] ?? null;
}

/** `step` with loop `from` of stage `stage` called `to` wherever the step names it. */
function renameAxis(step: Step, stage: string, from: string, to: string): Step {
  const r = (name: string): string => (name === from ? to : name);
  if (step.prim === 'computeAt' && step.args.target === stage) return { ...step, args: { ...step.args, axis: r(step.args.axis) } };
  if (step.stage !== stage) return step;
  switch (step.prim) {
    case 'split':
    case 'parallel':
    case 'vectorize':
    case 'unroll':
    case 'rfactor':
    case 'bind':
    case 'storageAlign':
      return { ...step, args: { ...step.args, axis: r(step.args.axis) } } as Step;
    case 'fuse':
    case 'reorder':
      return { ...step, args: { axes: step.args.axes.map(r) } };
    case 'tile':
      return { ...step, args: { ...step.args, x: r(step.args.x), y: r(step.args.y) } };
    default:
      return step;
  }
}

const mutateComputeLocation: Mutation = (task, steps, rng) => {
  const ats = indicesOf(steps, (s) => s.prim === 'computeAt');
  if (ats.length === 0) return null;
  const k = pick(rng, ats);
  const step = steps[k];
  if (step.prim !== 'computeAt') return null;
  const target = prefix(task, steps, k)?.stageNamed(step.args.target);
  if (!target) return null;
  const names = target.leafAxes().filter((l) => l.iterType === 'spatial').map((l) => target.nameOf(l));
  const at = names.indexOf(step.args.axis);
  const near = [names[at - 1], names[at + 1]].filter((n): n is string => n !== undefined);
  const options = at >= 0 && near.length > 0 && rng() < 0.7 ? near : names.filter((n) => n !== step.args.axis);
  if (options.length === 0) return null;
  return replaced(steps, k, { ...step, args: { ...step.args, axis: pick(rng, options) } });
};

const mutateLoopOrder: Mutation = (_task, steps, rng) => {
  const reorders = indicesOf(steps, (s) => s.prim === 'reorder' && s.args.axes.length > 1);
  if (reorders.length === 0) return null;
  const k = pick(rng, reorders);
  const step = steps[k];
  if (step.prim !== 'reorder') return null;
  const axes = [...step.args.axes];
  const at = Math.floor(rng() * (axes.length - 1));
  [axes[at], axes[at + 1]] = [axes[at + 1], axes[at]];
  return replaced(steps, k, { ...step, args: { axes } });
};

const MUTATIONS: readonly Mutation[] = [mutateTileSize, mutateTileSize, mutateUnroll, mutateParallel, mutateComputeLocation, mutateLoopOrder];

