/**
 * @file The one error type of the schedule layer. Messages start with the primitive call they
 * reject, written as the user would read it — `split(C, i): …`, `computeAt(P, C.j.outer): …` — so
 * a tuner log or a test names the exact step that was illegal.
 */

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** Throws a ScheduleError for `prim(subject): problem`. */
export function fail(prim: string, subject: string, problem: string): never {
  throw new ScheduleError(`${prim}(${subject}): ${problem}`);
}
