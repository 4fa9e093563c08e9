/**
 * @file The child side of measurement: builds and times candidates for the parent (measurer.ts),
 * one request at a time. A candidate that throws is answered as a failure; one that crashes or
 * hangs the process is the parent's to notice (it kills the worker and starts another).
 *
 * Checking: the inputs are seeded random numbers (a model's weights keep their values), outputs
 * start as NaN, and after the warm-up call every output must lie within 1e-4·max|ref| + 1e-5 of
 * the reference, the default schedule's result on the same inputs. Timing: the fastest of single
 * calls, `repeat` times as many as span `minSampleMs`.
 */

import type { Kernel } from '../../codegen/build.js';
import { buildFuncs, lowerKernel } from '../../codegen/build.js';
import type { HostArray } from '../../codegen/target.js';
import { getBackend } from '../../codegen/index.js';
import type { TargetName } from '../../codegen/index.js';
import { arrayOf } from '../../runtime/arrays.js';
import { defaultSchedule } from '../../runtime/schedule.js';
import type { Schedule, Step } from '../../schedule/index.js';
import { replaySchedule } from '../../schedule/index.js';
import type { TaskCompute } from '../task.js';
import { loadSource } from '../task.js';
import type { WorkerMessage, WorkerReply, WorkerRequest } from './protocol.js';

/** What the runner calls: kiln's Kernel, or a fault-injection hook's stand-in. */
export interface Runnable {
  run(args: readonly HostArray[]): void;
  dispose(): void;
}

/** Builds `schedule` on the request's target (the default candidate builder). */
export type BuildFn = (schedule: Schedule, compute: TaskCompute) => Promise<Runnable>;

/** The signature a fault-injection hook module exports as `buildCandidate`. */
export type CandidateHook = (steps: readonly Step[], compute: TaskCompute, build: BuildFn) => Promise<Runnable>;

interface Reference {
  readonly inputs: readonly HostArray[];
  readonly outputs: readonly HostArray[];
}

const builders = new Map<string, Promise<() => TaskCompute>>();
const references = new Map<string, Promise<Reference>>();

function builderOf(req: WorkerRequest): Promise<() => TaskCompute> {
  const key = JSON.stringify(req.source);
  let b = builders.get(key);
  if (!b) builders.set(key, (b = loadSource(req.source)));
  return b;
}

function buildFn(target: TargetName, threads: number): BuildFn {
  return async (schedule, compute) => {
    const opts = { target, threads };
    const kernel: Kernel = await buildFuncs([lowerKernel({ schedule, args: compute.args, name: 'candidate' }, opts)], opts);
    return { run: (args) => kernel.run(args), dispose: () => kernel.dispose() };
  };
}

async function buildCandidate(req: WorkerRequest, compute: TaskCompute): Promise<Runnable> {
  const build = buildFn(req.target, req.threads);
  if (req.hook) {
    const mod = (await import(req.hook.module)) as { buildCandidate: CandidateHook };
    return mod.buildCandidate(req.steps, compute, build);
  }
  return build(replaySchedule(req.steps, compute.outputs), compute);
}

/** xorshift32 in [-1, 1): the same inputs in every worker. */
function randomFill(a: HostArray, seed: number): void {
  let x = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 31 - 1;
  };
  // integer parameters (indices, shapes) stay 0, which is in range for any axis
  if (a instanceof Float32Array || a instanceof Float64Array) for (let i = 0; i < a.length; i++) a[i] = next();
}

function makeInputs(compute: TaskCompute): HostArray[] {
  const count = compute.args.length - compute.outputs.length;
  return compute.args.slice(0, count).map((t, k) => {
    const a = arrayOf(t.dtype, t.shape);
    const c = compute.constants?.[k];
    if (c && !(a instanceof BigInt64Array)) a.set(c);
    else randomFill(a, 1 + k);
    return a;
  });
}

/** A fresh output array shaped like `a`: NaN where floats, so an element left unwritten is caught. */
function nanCopy(a: HostArray): HostArray {
  const out = a.slice();
  if (out instanceof Float32Array || out instanceof Float64Array) out.fill(NaN);
  return out;
}

function referenceOf(req: WorkerRequest, compute: () => TaskCompute): Promise<Reference> {
  const key = JSON.stringify([req.source, req.target, req.threads]);
  let r = references.get(key);
  if (!r) {
    r = (async () => {
      const k = compute();
      const kernel = await buildFn(req.target, req.threads)(defaultSchedule(k.outputs, getBackend(req.target).info), k);
      const inputs = makeInputs(k);
      const outputs = k.outputs.map((t) => nanCopy(arrayOf(t.dtype, t.shape)));
      kernel.run([...inputs, ...outputs]);
      kernel.dispose();
      return { inputs, outputs };
    })();
    references.set(key, r);
  }
  return r;
}

/** The first difference beyond tolerance, or null. */
function mismatch(got: readonly HostArray[], want: readonly HostArray[]): string | null {
  for (const [k, w] of want.entries()) {
    const g = got[k];
    let scale = 0;
    for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(Number(w[i])));
    const tol = 1e-4 * scale + 1e-5;
    for (let i = 0; i < w.length; i++) {
      const [a, b] = [Number(g[i]), Number(w[i])];
      if (!(Math.abs(a - b) <= tol) && !(Number.isNaN(b) && Number.isNaN(a))) return `wrong result: output ${k}[${i}] is ${a}, expected ${b} (tolerance ${tol.toExponential(2)})`;
    }
  }
  return null;
}

/**
 * The fastest of single calls: `repeat` times as many calls as span `minSampleMs`, each timed
 * alone. On a machine shared with other work most calls may be slowed, by a thread the scheduler
 * preempted or, with several threads, by one that joined the parallel loop late. On 2 threads at a
 * load of 10 the median of det's last kernel came out at 3.4× its fastest call for the default
 * (parallel) schedule and 2.4× for a serial one, so medians favoured schedules that leave a core
 * idle. Slowdowns only add time, so the fastest call is the nearest to the schedule's own cost.
 */
function time(kernel: Runnable, args: readonly HostArray[], repeat: number, minSampleMs: number): number {
  const call = (): number => {
    const t = performance.now();
    kernel.run(args);
    return performance.now() - t;
  };
  const calls = Math.max(1, Math.ceil(minSampleMs / Math.max(call(), 1e-4)));
  let fastest = Infinity;
  for (let k = 0; k < repeat * calls; k++) fastest = Math.min(fastest, call());
  return fastest;
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  const compute = await builderOf(req);
  if (req.kind === 'build') {
    const kernel = await buildCandidate(req, compute());
    kernel.dispose();
    return { kind: 'done', id: req.id, ms: null };
  }
  const ref = await referenceOf(req, compute);
  const kernel = await buildCandidate(req, compute());
  try {
    const outputs = ref.outputs.map(nanCopy);
    const args = [...ref.inputs, ...outputs];
    kernel.run(args);
    const wrong = mismatch(outputs, ref.outputs);
    if (wrong) return { kind: 'failed', id: req.id, error: wrong };
    await quiet();
    try {
      return { kind: 'done', id: req.id, ms: time(kernel, args, req.repeat, req.minSampleMs) };
    } finally {
      send({ kind: 'loud' });
    }
  } finally {
    kernel.dispose();
  }
}

const send = (m: WorkerReply): void => void process.send?.(m);
let quieted: (() => void) | null = null;

/** Asks the parent to pause the builders; resolves once it has. */
function quiet(): Promise<void> {
  return new Promise((resolve) => {
    quieted = resolve;
    send({ kind: 'quiet' });
  });
}

/** Serves requests until the parent disconnects. */
export function serve(): void {
  process.on('message', (m: WorkerMessage) => {
    if (m.kind === 'quiet') {
      quieted?.();
      quieted = null;
      return;
    }
    handle(m).then(send, (e: unknown) => send({ kind: 'failed', id: m.id, error: e instanceof Error ? e.message : String(e) }));
  });
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready' });
}
