/**
 * @file Automatic schedules: sample whole schedules from the sketch rules (sketch.ts) and mutate
 * traces for evolutionary search (mutate.ts). Both hand out plain Step lists that replay onto a
 * fresh copy of the task's compute and lower.
 *
 *   const rng = seededRng(1);
 *   const traces = sampleSchedules(task, 32, rng);
 *   const child = mutateSchedule(task, traces[0], rng);   // one parameter changed, or null
 *
 * `sampleLowered` and `mutateLowered` hand out each trace with the function it lowered to, for
 * callers that read features or build from it.
 */

import type { Step } from '../../schedule/index.js';
import type { Rng } from './random.js';
import { sampleSketch } from './sketch.js';
import type { Lowered, ScheduleTask } from './task.js';
import { isScheduleFailure, lowerSchedule } from './task.js';

export { mutateLowered, mutateSchedule } from './mutate.js';
export type { Rng } from './random.js';
export { seededRng } from './random.js';
export type { Lowered, ScheduleTask } from './task.js';
export { kernelArgs, lowerSchedule, tryLower } from './task.js';

/** Draws per requested schedule before giving up: a compute no rule schedules legally must not loop. */
const ATTEMPTS_PER_SAMPLE = 20;

/**
 * `count` schedules drawn from the sketch rules, each checked to lower; a draw the schedule or
 * lowering rejects is drawn again. Fewer come back only when draws keep failing.
 */
export function sampleSchedules(task: ScheduleTask, count: number, rng: Rng): Step[][] {
  return sampleLowered(task, count, rng).map((c) => c.steps);
}

/** `sampleSchedules` with the function each trace lowered to. */
export function sampleLowered(task: ScheduleTask, count: number, rng: Rng): Lowered[] {
  const out: Lowered[] = [];
  for (let tries = 0; out.length < count && tries < count * ATTEMPTS_PER_SAMPLE; tries++) {
    const { outputs } = task.build();
    try {
      const s = sampleSketch(outputs, task.target, rng);
      const func = lowerSchedule(s, outputs);
      out.push({ steps: [...s.steps], func });
    } catch (e) {
      if (!isScheduleFailure(e)) throw e;
    }
  }
  return out;
}
