/**
 * @file The JS side of the thread pool: worker_threads that each instantiate the module on the
 * shared memory and call its `kiln_worker` loop (see parallel.ts), which returns only when the
 * pool is disposed. A trap inside a worker is caught here: the worker records it in the control
 * block, counts itself finished for the current job, and re-enters the loop for the next one, so
 * the calling thread never waits forever.
 *
 * The worker's bootstrap is a fixed script below; it contains no generated or model text.
 */

import type { Worker } from 'node:worker_threads';
import { WasmRuntimeError } from './errors.js';
import { CTRL } from './layout.js';
import { WORKER_EXPORT } from './parallel.js';

const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, tid, hostFns, ctrl, entry } = workerData;
const imports = { env: { memory }, Math: {} };
for (const name of hostFns) imports.Math[name] = Math[name];
const instance = new WebAssembly.Instance(module, imports);
const i32 = new Int32Array(memory.buffer);
let seen = Atomics.load(i32, ctrl.gen >> 2);
parentPort.postMessage('ready');
for (;;) {
  try {
    instance.exports[entry](tid, seen);
    break;
  } catch {
    seen = Atomics.load(i32, ctrl.gen >> 2);
    Atomics.compareExchange(i32, ctrl.err >> 2, 0, -1);
    Atomics.add(i32, ctrl.finished >> 2, 1);
  }
}
`;

export class WorkerPool {
  private constructor(
    private readonly workers: readonly Worker[],
    private readonly ctrl: Int32Array,
  ) {}

  /** Starts `count` workers and waits until each has instantiated the module. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, hostFns: readonly string[]): Promise<WorkerPool> {
    const { Worker } = await import('node:worker_threads');
    const ctrl = new Int32Array(memory.buffer, 0, 16);
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const workerData = { module, memory, tid: i + 1, hostFns, ctrl: CTRL, entry: WORKER_EXPORT };
        workers.push(new Worker(BOOTSTRAP, { eval: true, workerData }));
      }
      await Promise.all(workers.map((w) => ready(w)));
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw new WasmRuntimeError(`wasm: starting the thread pool failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const w of workers) w.unref();
    return new WorkerPool(workers, ctrl);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Blocks until every worker has left the current job (after the calling thread trapped in it). */
  waitIdle(): void {
    while (Atomics.load(this.ctrl, CTRL.finished >> 2) < this.workers.length) {
      // the workers are finishing chunks already taken; their number is bounded
    }
  }

  dispose(): void {
    Atomics.store(this.ctrl, CTRL.stop >> 2, 1);
    Atomics.add(this.ctrl, CTRL.gen >> 2, 1);
    Atomics.notify(this.ctrl, CTRL.gen >> 2);
    for (const w of this.workers) void w.terminate();
  }
}

function ready(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
  });
}
