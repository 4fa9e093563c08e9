/**
 * @file The JS side of the thread pool: workers that each instantiate the module on the shared
 * memory and call its `kiln_worker` loop (see parallel.ts), which returns only when the pool is
 * disposed. A trap inside a worker is caught there: the worker records it in the control block,
 * leaves the job it was in, and re-enters the loop for the next one, so the calling thread never
 * waits forever.
 *
 * In Node the workers are worker_threads; in a browser they are Web Workers started from a Blob
 * (the page must be cross-origin isolated for a shared memory to reach them). Both run the same
 * fixed loop below; it contains no generated or model text.
 */

import { WasmRuntimeError } from './errors.js';
import { CTRL, JOB_COUNT, JOB_GEN_SHIFT, JOB_OPEN, JOB_WAITER } from './layout.js';
import { WORKER_EXPORT } from './parallel.js';

interface WorkerData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly tid: number;
  readonly hostFns: readonly string[];
  readonly ctrl: typeof CTRL;
  readonly genShift: number;
  /** JOB_WAITER | JOB_COUNT and JOB_WAITER | 1: the `job` bits of the last worker leaving while the calling thread sleeps */
  readonly leaveMask: number;
  readonly leaveLast: number;
  readonly entry: string;
}

/** The worker's body, given `data` (a WorkerData) and `ready()` to call once instantiated. */
const LOOP = `
const { module, memory, tid, hostFns, ctrl, genShift, leaveMask, leaveLast, entry } = data;
const imports = { env: { memory }, Math: {} };
for (const name of hostFns) imports.Math[name] = Math[name];
const instance = new WebAssembly.Instance(module, imports);
const i32 = new Int32Array(memory.buffer);
let seen = Atomics.load(i32, ctrl.job >> 2) >>> genShift;
ready();
for (;;) {
  try {
    instance.exports[entry](tid, seen);
    break;
  } catch {
    seen = Atomics.load(i32, ctrl.job >> 2) >>> genShift;
    Atomics.compareExchange(i32, ctrl.err >> 2, 0, -1);
    if ((Atomics.sub(i32, ctrl.job >> 2, 1) & leaveMask) === leaveLast) Atomics.notify(i32, ctrl.job >> 2);
  }
}
`;

const NODE_BOOTSTRAP = `
const { workerData: data, parentPort } = require('node:worker_threads');
const ready = () => parentPort.postMessage('ready');
${LOOP}`;

const BROWSER_BOOTSTRAP = `
onmessage = (event) => {
  const data = event.data;
  const ready = () => postMessage('ready');
  ${LOOP}
};`;

/** One started worker, whatever the platform. */
interface PoolWorker {
  readonly ready: Promise<void>;
  terminate(): void;
}

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

async function nodeSpawner(): Promise<(data: WorkerData) => PoolWorker> {
  const { Worker } = await import('node:worker_threads');
  return (data) => {
    const w = new Worker(NODE_BOOTSTRAP, { eval: true, workerData: data });
    const ready = new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
    });
    // a pool never keeps the process alive; dispose() ends it
    void ready.then(() => w.unref(), () => undefined);
    return { ready, terminate: () => void w.terminate() };
  };
}

/** The part of the browser's Worker the pool uses (the project's lib has no DOM types). */
interface WebWorker {
  onmessage: (() => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(data: WorkerData): void;
  terminate(): void;
}

function browserSpawner(): (data: WorkerData) => PoolWorker {
  const Ctor = (globalThis as { Worker?: new (url: string) => WebWorker }).Worker;
  if (Ctor === undefined) throw new Error('this engine has no Worker');
  const url = URL.createObjectURL(new Blob([BROWSER_BOOTSTRAP], { type: 'text/javascript' }));
  return (data) => {
    const w = new Ctor(url);
    const ready = new Promise<void>((resolve, reject) => {
      w.onmessage = () => resolve();
      w.onerror = (e) => reject(new Error(e.message ?? 'worker failed to start'));
      w.onmessageerror = () => reject(new Error('the module or memory could not be sent to a worker'));
    });
    w.postMessage(data);
    return { ready, terminate: () => w.terminate() };
  };
}

export class WorkerPool {
  private constructor(
    private readonly workers: readonly PoolWorker[],
    private readonly ctrl: Int32Array,
  ) {}

  /** Starts `count` workers and waits until each has instantiated the module. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, hostFns: readonly string[]): Promise<WorkerPool> {
    const ctrl = new Int32Array(memory.buffer, 0, 16);
    const workers: PoolWorker[] = [];
    try {
      const spawn = isNode ? await nodeSpawner() : browserSpawner();
      for (let i = 0; i < count; i++) workers.push(spawn({ module, memory, tid: i + 1, hostFns, ctrl: CTRL, genShift: JOB_GEN_SHIFT, leaveMask: JOB_WAITER | JOB_COUNT, leaveLast: JOB_WAITER | 1, entry: WORKER_EXPORT }));
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      for (const w of workers) w.terminate();
      throw new WasmRuntimeError(`wasm: starting the thread pool failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return new WorkerPool(workers, ctrl);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Closes the current job and blocks until every worker has left it (after the calling thread trapped in it). */
  waitIdle(): void {
    Atomics.and(this.ctrl, CTRL.job >> 2, ~JOB_OPEN);
    while ((Atomics.load(this.ctrl, CTRL.job >> 2) & JOB_COUNT) !== 0) {
      // the workers are finishing chunks already taken; their number is bounded
    }
  }

  dispose(): void {
    Atomics.store(this.ctrl, CTRL.stop >> 2, 1);
    Atomics.add(this.ctrl, CTRL.job >> 2, 1 << JOB_GEN_SHIFT);
    Atomics.notify(this.ctrl, CTRL.job >> 2);
    for (const w of this.workers) w.terminate();
  }
}
