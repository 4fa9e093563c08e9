/**
 * @file What automatic scheduling needs of a tuning task: a builder of fresh, identical copies of
 * its compute (a schedule is sampled on one copy and replayed on others) and the target it is
 * scheduled for. src/tune's full Task satisfies it.
 */

import type { TargetInfo } from '../../codegen/target.js';
import { LowerError } from '../../lower/error.js';
import { lower } from '../../lower/index.js';
import type { Schedule, Step } from '../../schedule/index.js';
import { replaySchedule, ScheduleError } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';
import { postOrder } from '../../te/tensor.js';
import type { PrimFunc } from '../../tir/stmt.js';

export interface ScheduleTask {
  /** a fresh, identical compute on every call */
  build(): { readonly outputs: readonly Tensor[] };
  readonly target: TargetInfo;
}

/** A kernel's parameters for `outputs`: its inputs in first-use order, then the outputs. */
export function kernelArgs(outputs: readonly Tensor[]): Tensor[] {
  return [...postOrder(outputs).filter((t) => t.op.kind === 'placeholder'), ...outputs];
}

/**
 * Lowers a schedule of `outputs` to TIR before the TIR passes: what features are read from, and
 * the check that a schedule is legal as a whole (the passes accept whatever lowering produces, at
 * ten times the cost).
 */
export function lowerSchedule(s: Schedule, outputs: readonly Tensor[], name = 'auto'): PrimFunc {
  return lower(s, kernelArgs(outputs), name);
}

/** Whether an error says a schedule is illegal (as opposed to a bug that should surface). */
export function isScheduleFailure(e: unknown): boolean {
  return e instanceof ScheduleError || e instanceof LowerError;
}

/**
 * A trace with the function it lowers to: the cost model's features and the build both read this
 * one lowering (lowering each proposal again for its features took a third of a search's time).
 */
export interface Lowered {
  readonly steps: Step[];
  readonly func: PrimFunc;
}

/** Replays `steps` on a fresh compute of `task` and lowers it; null when either rejects them. */
export function tryLower(task: ScheduleTask, steps: readonly Step[]): PrimFunc | null {
  const { outputs } = task.build();
  try {
    return lowerSchedule(replaySchedule(steps, outputs), outputs);
  } catch (e) {
    if (isScheduleFailure(e)) return null;
    throw e;
  }
}
