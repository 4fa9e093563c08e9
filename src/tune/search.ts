/**
 * @file Where a round's candidates come from and which are measured. Generators propose traces:
 * the templates' knob configurations (grid: the next unvisited numbers; otherwise random draws),
 * automatic schedules sampled from the sketch rules, and mutations of the best traces measured
 * so far (the evolutionary step; after a resume, the best in the log). Every proposal is replayed
 * and lowered here, so one that does not lower never reaches a worker, and its features are read
 * from the lowered function for the cost model.
 *
 * Selection: `random` measures proposals in random order; `grid` walks template spaces in order;
 * `model` ranks them with the cost model and measures the best predicted, plus a few random ones
 * so the model also learns about what it ranks low.
 */

import type { Step } from '../schedule/index.js';
import { ScheduleError, printSteps } from '../schedule/index.js';
import type { PrimFunc } from '../tir/stmt.js';
import { mutateLowered, sampleLowered, tryLower } from './auto/index.js';
import type { CostModel } from './cost/index.js';
import { TuneError } from './errors.js';
import { extractFeatures } from './features.js';
import type { Task } from './task.js';
import { templatesFor } from './templates/index.js';

export type SearchKind = 'model' | 'random' | 'grid';

export interface Candidate {
  readonly steps: readonly Step[];
  /** `template:matmul`, `auto`, `auto:mutate` */
  readonly origin: string;
  readonly features: Float64Array;
}

/** A trace's identity: two traces with the same printed steps are the same schedule. */
export const traceKey = (steps: readonly Step[]): string => printSteps(steps);

export interface Proposal {
  readonly steps: readonly Step[];
  readonly origin: string;
  /** what the steps lower to, when the generator already lowered them */
  readonly func?: PrimFunc;
}

/** What a task's search remembers between rounds. */
export interface SearchState {
  readonly task: Task;
  readonly rng: () => number;
  /** traces measured (or proposed and rejected), by traceKey */
  readonly seen: Set<string>;
  /** measured successes, fastest first */
  best: { readonly steps: readonly Step[]; readonly ms: number; readonly origin: string }[];
  /** the next grid number per template */
  readonly grid: Map<string, number>;
}

/** Raw proposals for one round: `count` of each kind that applies. */
export function propose(state: SearchState, kind: SearchKind, count: number): Proposal[] {
  const { task, rng } = state;
  const out: Proposal[] = [];
  for (const { template, space } of templatesFor(task.build(), task.target)) {
    const n = Math.min(count, space.size);
    for (let i = 0; i < n; i++) {
      let index: number;
      if (kind === 'grid') {
        index = state.grid.get(template.name) ?? 0;
        if (index >= space.size) break;
        state.grid.set(template.name, index + 1);
      } else index = Math.floor(rng() * space.size);
      try {
        out.push({ steps: template.apply(task.build(), space.at(index), task.target).steps, origin: `template:${template.name}` });
      } catch (e) {
        // a configuration the strategy rejects for this compute is skipped like one that fails to lower
        if (!(e instanceof ScheduleError || e instanceof TuneError)) throw e;
      }
    }
  }
  if (kind === 'grid') return out;
  for (const { steps, func } of sampleLowered(task, count, rng)) out.push({ steps, func, origin: 'auto' });
  const parents = state.best.slice(0, 4);
  for (let i = 0; parents.length > 0 && i < count; i++) {
    const child = mutateLowered(task, parents[i % parents.length].steps, rng);
    if (child) out.push({ steps: child.steps, func: child.func, origin: 'auto:mutate' });
  }
  return out;
}

/** The new, lowerable proposals with their features (each trace once). */
export function candidates(state: SearchState, proposals: readonly Proposal[]): Candidate[] {
  const out: Candidate[] = [];
  for (const p of proposals) {
    const key = traceKey(p.steps);
    if (state.seen.has(key)) continue;
    state.seen.add(key);
    const func = p.func ?? tryLower(state.task, p.steps);
    if (func) out.push({ steps: p.steps, origin: p.origin, features: extractFeatures(func) });
  }
  return out;
}

/** `size` candidates to measure: by predicted speed with `explore` random ones (model), else in order or at random. */
export function select(cands: readonly Candidate[], kind: SearchKind, size: number, model: CostModel, rng: () => number, explore = 2): Candidate[] {
  if (kind === 'grid') return cands.slice(0, size);
  const shuffled = shuffle([...cands], rng);
  if (kind === 'random' || model.size === 0) return shuffled.slice(0, size);
  const scores = model.predict(shuffled.map((c) => c.features));
  const ranked = shuffled.map((c, k) => ({ c, s: scores[k] })).sort((a, b) => a.s - b.s).map((x) => x.c);
  const top = ranked.slice(0, Math.max(0, size - explore));
  const rest = shuffle(ranked.slice(top.length), rng).slice(0, size - top.length);
  return [...top, ...rest];
}

function shuffle<T>(xs: T[], rng: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
