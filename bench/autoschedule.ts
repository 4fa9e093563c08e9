/**
 * @file `npx tsx bench/autoschedule.ts [--op gemm|conv|dwconv] [--n 1024] [--seconds 120]
 * [--threads 1] [--batch 8] [--seed 1] [--model FILE] [--json]`
 *
 * The automatic scheduler alone — no template — against the hand-written strategy, on target c.
 * A small model-guided evolutionary search: sample schedules from the sketch rules, rank them by
 * the cost model (trained on every measurement so far), build the most promising few in one C
 * compile, time each (median of runs), mutate the best, repeat until the time budget is spent.
 * Prints the curve of the best GFLOP/s against seconds spent (everything counted: sampling,
 * lowering, features, training, compiling, running). At the end the best schedule and the hand
 * strategy are timed in alternating rounds, which gives the ratio. Every measured candidate is
 * checked against the hand strategy's result.
 *
 * `--model FILE` starts from a saved cost model (transfer) when the file exists and saves the
 * model there at the end.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildKernel, buildKernels } from '../src/codegen/build.js';
import { getBackend } from '../src/codegen/index.js';
import { defaultSchedule } from '../src/runtime/schedule.js';
import type { Schedule, Step } from '../src/schedule/index.js';
import { createSchedule, printSteps, replaySchedule } from '../src/schedule/index.js';
import { defaultMatmulKnobs, scheduleMatmul } from '../src/strategy/cpu/matmul.js';
import type { Tensor } from '../src/te/index.js';
import { add, compute, mul, placeholder, reduceAxis, sum } from '../src/te/index.js';
import type { ScheduleTask } from '../src/tune/auto/index.js';
import { kernelArgs, lowerSchedule, mutateSchedule, sampleSchedules, seededRng } from '../src/tune/auto/index.js';
import { CostModel } from '../src/tune/cost/index.js';
import { extractFeatures } from '../src/tune/features.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    op: { type: 'string', default: 'gemm' },
    n: { type: 'string', default: '1024' },
    seconds: { type: 'string', default: '120' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const budget = Number(values.seconds);
const threads = Number(values.threads);
const batch = Number(values.batch);
const target = 'c';
const info = getBackend(target).info;

interface Workload {
  readonly flops: number;
  build(): Tensor[];
  /** the hand-written schedule to compare against */
  hand(outputs: readonly Tensor[]): Schedule;
}

function gemm(size: number): Workload {
  return {
    flops: 2 * size ** 3,
    build() {
      const A = placeholder([size, size], 'float32', 'A');
      const B = placeholder([size, size], 'float32', 'B');
      const k = reduceAxis(size, 'k');
      return [compute([size, size], (i, j) => sum(mul(A.at(i, k.var), B.at(k.var, j)), [k]), 'C', { tag: 'matmul' })];
    },
    hand(outputs) {
      const s = createSchedule(outputs);
      scheduleMatmul(s, outputs[0], defaultMatmulKnobs(info, { n: size, k: size }));
      return s;
    },
  };
}

/** A 3×3 convolution, stride 1, on an unpadded c×h×h input (the default schedule is the reference). */
function conv(c: number, h: number, m: number, depthwise: boolean): Workload {
  const o = h - 2;
  return {
    flops: 2 * m * o * o * 9 * (depthwise ? 1 : c),
    build() {
      const X = placeholder([1, c, h, h], 'float32', 'X');
      const W = placeholder(depthwise ? [c, 1, 3, 3] : [m, c, 3, 3], 'float32', 'W');
      const ry = reduceAxis(3, 'ry');
      const rx = reduceAxis(3, 'rx');
      if (depthwise) {
        return [compute([1, c, o, o], (b, ch, y, x) => sum(mul(X.at(b, ch, add(y, ry.var), add(x, rx.var)), W.at(ch, 0, ry.var, rx.var)), [ry, rx]), 'dw', { tag: 'depthwise_conv2d' })];
      }
      const rc = reduceAxis(c, 'rc');
      return [compute([1, m, o, o], (b, f, y, x) => sum(mul(X.at(b, rc.var, add(y, ry.var), add(x, rx.var)), W.at(f, rc.var, ry.var, rx.var)), [rc, ry, rx]), 'conv', { tag: 'conv2d' })];
    },
    hand: (outputs) => defaultSchedule(outputs, info),
  };
}

const workloads: Record<string, () => Workload> = {
  gemm: () => gemm(n),
  conv: () => conv(64, 58, 64, false),
  dwconv: () => conv(96, 82, 96, true),
};
const make = workloads[values.op ?? 'gemm'];
if (!make) throw new Error(`autoschedule: unknown --op ${values.op}; expected ${Object.keys(workloads).join(', ')}`);
const work = make();
const task: ScheduleTask = { build: () => ({ outputs: work.build() }), target: info };

function randomArray(len: number, seed: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: len }, () => rng() - 0.5);
}

const probe = work.build();
const probeArgs = kernelArgs(probe);
const inputs = probeArgs.slice(0, probeArgs.length - 1).map((t, k) => randomArray(t.shape.reduce((a, b) => a * b, 1), k + 1));
const outLen = probe[0].shape.reduce((a, b) => a * b, 1);

/**
 * Median seconds of one kernel run: up to 5 runs within 250 ms after a warm-up run. A kernel whose
 * warm-up is `slow` seconds or more is clearly worse than the best so far; its warm-up time stands.
 */
function timeRuns(run: () => void, slow = Infinity): number {
  const w0 = performance.now();
  run(); // warm caches and pages
  const warm = (performance.now() - w0) / 1e3;
  if (warm >= slow) return warm;
  const times: number[] = [];
  const start = performance.now();
  do {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1e3);
  } while (times.length < 5 && performance.now() - start < 250);
  return median(times);
}

async function timeSchedule(s: Schedule, outputs: readonly Tensor[]): Promise<{ seconds: number; out: Float32Array }> {
  const kernel = await buildKernel(s, kernelArgs(outputs), { target, threads, name: 'hand' });
  const out = new Float32Array(outLen);
  const seconds = timeRuns(() => kernel.run([...inputs, out]));
  kernel.dispose();
  return { seconds, out };
}

function maxRelError(want: Float32Array, got: Float32Array): number {
  let scale = 0;
  let err = 0;
  for (let q = 0; q < want.length; q++) {
    scale = Math.max(scale, Math.abs(want[q]));
    err = Math.max(err, Math.abs(want[q] - got[q]));
  }
  return Number.isNaN(err) ? Infinity : err / Math.max(1e-6, scale);
}

const gflops = (seconds: number): number => work.flops / seconds / 1e9;

// --- the reference: the hand strategy --------------------------------------------------------
const handOutputs = work.build();
const handStart = await timeSchedule(work.hand(handOutputs), handOutputs);
const reference = handStart.out;

// --- the search --------------------------------------------------------------------------------
const rng = seededRng(Number(values.seed));
const model = values.model && existsSync(values.model) ? CostModel.fromJSON(JSON.parse(readFileSync(values.model, 'utf8'))) : new CostModel();
const measured = new Map<string, number>(); // printed trace → seconds (Infinity: failed)
const best: { steps: Step[]; seconds: number }[] = [];
const curve: { t: number; measured: number; best: number }[] = [];
const t0 = performance.now();
const elapsed = (): number => (performance.now() - t0) / 1e3;
let failures = 0;
/** seconds spent per phase of the search */
const phases = { sample: 0, mutate: 0, features: 0, build: 0, run: 0, train: 0 };
function timed<T>(phase: keyof typeof phases, f: () => T): T {
  const start = performance.now();
  try {
    return f();
  } finally {
    phases[phase] += (performance.now() - start) / 1e3;
  }
}

/** Builds `traces` into one artifact, times each and checks it; a batch that fails to build is split. */
async function measure(traces: readonly Step[][]): Promise<number[]> {
  const outputs = traces.map(() => work.build());
  const specs = traces.map((steps, k) => ({ schedule: replaySchedule(steps, outputs[k]), args: kernelArgs(outputs[k]), name: `k${k}` }));
  let kernel;
  const start = performance.now();
  try {
    kernel = await buildKernels(specs, { target, threads });
  } catch (e) {
    if (traces.length === 1) {
      failures++;
      console.error(`candidate failed to build: ${(e as Error).message.split('\n')[0]}`);
      return [Infinity];
    }
    const half = traces.length >> 1;
    return [...(await measure(traces.slice(0, half))), ...(await measure(traces.slice(half)))];
  } finally {
    phases.build += (performance.now() - start) / 1e3;
  }
  const out = new Float32Array(outLen);
  const seconds = timed('run', () => specs.map((spec) => {
    out.fill(NaN);
    const s = timeRuns(() => kernel.run([...inputs, out], spec.name), 3 * (best[0]?.seconds ?? Infinity));
    if (maxRelError(reference, out) > 1e-3) {
      failures++;
      return Infinity;
    }
    return s;
  }));
  kernel.dispose();
  return seconds;
}

function featuresOf(steps: readonly Step[]): Float64Array {
  const outputs = work.build();
  return extractFeatures(lowerSchedule(replaySchedule(steps, outputs), outputs));
}

/** Fresh samples per round (twice as many in the first, which has nothing to mutate). */
const POOL_SAMPLES = 24;
/** Mutants of the best measured schedules per round. */
const POOL_MUTANTS = 48;
/** Model-guided generations per round: the pool's predicted best are mutated again, unmeasured. */
const GENERATIONS = 2;
const GENERATION_SIZE = 32;
/** Of each batch, this many are drawn at random from the pool instead of by the model. */
const EXPLORE = 2;

interface Candidate {
  readonly steps: Step[];
  readonly features: Float64Array;
  score: number;
}
const pool = new Map<string, Candidate>(); // unmeasured candidates by printed trace

/** One to three edits in a row: small steps around a parent. */
function mutant(parent: readonly Step[]): Step[] | null {
  let child: Step[] | null = [...parent];
  for (let e = 0, edits = 1 + Math.floor(rng() * 3); e < edits && child; e++) {
    const from: Step[] = child;
    child = timed('mutate', () => mutateSchedule(task, from, rng));
  }
  return child;
}

function addToPool(traces: readonly Step[][]): void {
  const added: Candidate[] = [];
  for (const steps of traces) {
    const key = printSteps(steps);
    if (measured.has(key) || pool.has(key)) continue;
    const c = { steps, features: timed('features', () => featuresOf(steps)), score: 0 };
    pool.set(key, c);
    added.push(c);
  }
  const scores = model.size > 0 ? model.predict(added.map((c) => c.features)) : added.map(() => rng());
  added.forEach((c, k) => (c.score = scores[k]));
}

const byScore = (): [string, Candidate][] => [...pool.entries()].sort((a, b) => a[1].score - b[1].score);

while (elapsed() < budget) {
  addToPool(timed('sample', () => sampleSchedules(task, best.length === 0 ? 2 * POOL_SAMPLES : POOL_SAMPLES, rng)));
  const parents = best.slice(0, 8);
  const mutants: Step[][] = [];
  for (let k = 0; k < POOL_MUTANTS && parents.length > 0; k++) {
    const child = mutant(parents[Math.floor(rng() ** 2 * parents.length)].steps);
    if (child) mutants.push(child);
  }
  addToPool(mutants);
  for (let g = 0; g < GENERATIONS && model.size > 0; g++) {
    const elite = byScore().slice(0, GENERATION_SIZE / 2);
    const children: Step[][] = [];
    for (let k = 0; k < GENERATION_SIZE && elite.length > 0; k++) {
      const child = mutant(elite[Math.floor(rng() ** 2 * elite.length)][1].steps);
      if (child) children.push(child);
    }
    addToPool(children);
  }
  const ranked = byScore();
  if (ranked.length === 0) continue;
  const chosen = ranked.slice(0, batch - EXPLORE);
  const rest = ranked.slice(batch - EXPLORE);
  for (let e = 0; e < EXPLORE && rest.length > 0; e++) chosen.push(rest.splice(Math.floor(rng() * rest.length), 1)[0]);
  chosen.forEach(([key]) => pool.delete(key));

  const secs = await measure(chosen.map(([, c]) => c.steps));
  chosen.forEach(([key, c], q) => {
    measured.set(key, secs[q]);
    if (Number.isFinite(secs[q])) best.push({ steps: c.steps, seconds: secs[q] });
  });
  best.sort((a, b) => a.seconds - b.seconds);
  timed('train', () => {
    model.update(chosen.map(([, c]) => c.features), secs, chosen.map(() => `${values.op}:${values.n}`));
    const left = [...pool.values()];
    model.predict(left.map((c) => c.features)).forEach((sc, k) => (left[k].score = sc));
  });
  const point = { t: +elapsed().toFixed(1), measured: measured.size, best: +(best.length > 0 ? gflops(best[0].seconds) : 0).toFixed(1) };
  curve.push(point);
  // progress goes to stderr with --json, so stdout stays one JSON line
  (values.json ? console.error : console.log)(`t=${point.t}s measured=${point.measured} best=${point.best} GFLOP/s`);
}

/**
 * The final comparison: the best automatic schedule and the hand strategy built once each and
 * timed in alternating rounds, so that the load of a shared machine hits both alike.
 */
async function finalComparison(steps: readonly Step[] | undefined): Promise<{ hand: number; auto: number }> {
  const handOut = work.build();
  const specs = [{ schedule: work.hand(handOut), args: kernelArgs(handOut), name: 'hand' }];
  if (steps) {
    const autoOut = work.build();
    specs.push({ schedule: replaySchedule(steps, autoOut), args: kernelArgs(autoOut), name: 'auto' });
  }
  const kernel = await buildKernels(specs, { target, threads });
  const out = new Float32Array(outLen);
  const times: Record<string, number[]> = { hand: [], auto: [] };
  for (let round = 0; round < 5; round++) for (const spec of specs) times[spec.name].push(timeRuns(() => kernel.run([...inputs, out], spec.name)));
  kernel.dispose();
  return { hand: gflops(median(times.hand)), auto: steps ? gflops(median(times.auto)) : 0 };
}

const final = await finalComparison(best[0]?.steps);
if (values.model) writeFileSync(values.model, JSON.stringify(model));

const summary = {
  op: values.op, n, target, threads, vectorBits: info.vectorBits, seconds: budget, measured: measured.size, failures,
  hand_gflops_start: +gflops(handStart.seconds).toFixed(1),
  hand_gflops: +final.hand.toFixed(1), auto_gflops: +final.auto.toFixed(1), ratio: +(final.auto / final.hand).toFixed(3),
  phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, +v.toFixed(1)])), curve,
};
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`final comparison, alternating rounds: hand strategy ${summary.hand_gflops} GFLOP/s, best automatic ${summary.auto_gflops} GFLOP/s (${summary.measured} measured, ${failures} failed) = ${summary.ratio} of the hand strategy`);
  console.log(`seconds per phase: ${JSON.stringify(summary.phases)}`);
  if (best.length > 0) console.log(`best schedule:\n${printSteps(best[0].steps)}`);
}
