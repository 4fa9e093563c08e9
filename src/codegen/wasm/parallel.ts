/**
 * @file The thread pool's side inside the module. Every thread runs the same module on one
 * shared memory; the control block (layout.ts CTRL) is the only channel between them.
 *
 * A parallel loop calls `kiln_parallel(site, extent, work)`, `work` the estimated operations of
 * one iteration (work.ts). A loop whose total work is below what a region costs runs on the
 * calling thread alone; otherwise `kiln_parallel` splits [0, extent) into chunks,
 * publishes the job (a new generation in `job`, open) and wakes the workers, then takes chunks
 * itself through the same atomic counter as they do (`kiln_grab`). When none are left it closes
 * the job and waits until the workers that joined it have left. A worker (`kiln_worker`, called
 * once per worker thread from JS) watches `job` for a while and then sleeps on it; on a new
 * generation it joins (one compare-exchange, only while the job is open), takes chunks until none
 * are left, and leaves. So the calling thread never waits for a worker that is not running
 * already: one the OS has not scheduled yet simply misses the job. Once closed and empty, a job
 * has no worker in it, so the counters can be reset for the next one without races.
 *
 * memory.atomic.wait32 is only issued on an otherwise empty operand stack and its result is
 * dropped at once: the baseline compiler of Node 20's V8 corrupts stack values around it.
 */

import type { FunctionBuilder, ModuleBuilder } from './builder.js';
import type { Code, FuncRef, Global, Label } from './code.js';
import { CTRL, JOB_COUNT, JOB_GEN_SHIFT, JOB_OPEN, JOB_WAITER } from './layout.js';

/** Chunks per thread: more balances uneven work, fewer costs fewer atomic operations. */
const CHUNKS_PER_THREAD = 4;

/**
 * Checks of `job` a worker makes before it sleeps: about 1 ms at the half nanosecond a check takes
 * in optimized code, several times that if the worker's loop, which never returns, stays in V8's
 * baseline tier (the spin's length in time is not measured). Like the c pool's spin
 * (src/codegen/c/pool.ts), it spans the gaps between the runs of a model called in a loop, so a
 * worker keeps the second CPU of this virtual machine busy, which reaches full speed only after
 * milliseconds of steady work. Bench rows on wasm at 2 threads, alternating variants,
 * kiln / onnxruntime-web with 2^21 checks against 2^17 (65 µs): ShuffleNet 0.70, 0.94, 0.97,
 * 0.97 against 1.06, 1.00, 1.06, 0.98; rec 0.98, 0.86 against 0.97, 1.03; cls 0.62, 0.70 against
 * 0.77, 0.81; SqueezeNet, GEMM 256×768×768 and det's 1×1 conv alike or better. Spinning burns a
 * core through the serial kernels between parallel ones; on a machine loaded far past its cores,
 * where a process's threads share its scheduler slot (autogroup), that time is taken from the
 * calling thread (ShuffleNet at loads of 10–16: medians 64–117 ms with 2^18 checks, 31–79 ms
 * with 2^14–2^16, against 37–75 ms on one thread).
 */
const SPIN_CHECKS = 1 << 21;

/** Checks of `job` the calling thread makes, waiting for workers to leave a job, before it sleeps. */
const CALLER_SPIN_CHECKS = 1 << 17;

/**
 * Estimated operations (work.ts) below which a parallel loop runs on the calling thread alone.
 * One thread runs 2^21 of them in 190–220 µs (bench/wasm-pool.ts), so 2^16 take 6–7 µs: about
 * what publishing a job, waking a sleeping worker and waiting for it to leave cost, so half of
 * such a loop on another thread saves nothing. (The bench models' parallel loops all estimate
 * above 10^5.)
 */
export const MIN_PARALLEL_WORK = 1 << 16;

export const WORKER_EXPORT = 'kiln_worker';

const ctrlLoad = (c: Code, field: keyof typeof CTRL): Code => c.i32Const(0).mem('i32.load', CTRL[field]);

export class ParallelRuntime {
  readonly dispatch: FunctionBuilder;
  private readonly runChunk: FunctionBuilder;
  private readonly grab: FunctionBuilder;
  private readonly worker: FunctionBuilder;
  private readonly tasks: FuncRef[] = [];

  constructor(
    private readonly mb: ModuleBuilder,
    private readonly stackGlobal: Global,
  ) {
    this.dispatch = mb.func('kiln_parallel', { params: ['i32', 'i32', 'i32'], results: [] });
    this.runChunk = mb.func('kiln_run_chunk', { params: ['i32', 'i32', 'i32'], results: [] });
    this.grab = mb.func('kiln_grab', { params: [], results: [] });
    this.worker = mb.func('kiln_worker', { params: ['i32', 'i32'], results: [] });
  }

  get taskCount(): number {
    return this.tasks.length;
  }

  /** Registers an outlined loop body `task(lo, hi)`; returns its site number. */
  addTask(task: FuncRef): number {
    return this.tasks.push(task) - 1;
  }

  /** Writes the runtime functions once all sites are known. */
  finish(stackBase: number, stackPerThread: number): void {
    this.emitDispatch();
    this.emitRunChunk();
    this.emitGrab();
    this.emitWorker(stackBase, stackPerThread);
    this.mb.exportFunc(WORKER_EXPORT, this.worker.ref);
  }

  private emitDispatch(): void {
    const fb = this.dispatch;
    const c = fb.code;
    const [site, extent, work] = fb.params as [(typeof fb.params)[0], (typeof fb.params)[0], (typeof fb.params)[0]];
    const [n, chunks, size] = [fb.local('i32', 'threads'), fb.local('i32', 'chunks'), fb.local('i32', 'size')];
    c.localGet(extent).i32Const(0).op('i32.le_s');
    c.if(null, () => void c.op('return'));
    ctrlLoad(c, 'threads').localSet(n);
    c.localGet(n).i32Const(1).op('i32.le_s').localGet(extent).i32Const(1).op('i32.le_s').op('i32.or');
    // extent · work < minWork: the whole loop costs less than a region, so the caller runs it
    c.localGet(extent).op('i64.extend_i32_u').localGet(work).op('i64.extend_i32_u').op('i64.mul');
    ctrlLoad(c, 'minWork').op('i64.extend_i32_u').op('i64.lt_u').op('i32.or');
    c.if(null, () => void c.localGet(site).i32Const(0).localGet(extent).call(this.runChunk.ref).op('return'));
    // size = max(1, floor(extent / (n·k))); chunks = ceil(extent / size): at least n·k chunks
    // (or one per iteration). Rounding the size up instead left fewer, unevenly shared: 14
    // iterations on 2 threads made 7 chunks of 2, 8 iterations for one thread and 6 for the other.
    c.localGet(extent).localGet(n).i32Const(CHUNKS_PER_THREAD).op('i32.mul').op('i32.div_u').localTee(size);
    c.i32Const(1).localGet(size).i32Const(1).op('i32.gt_u').op('select').localSet(size);
    c.localGet(extent).localGet(size).op('i32.add').i32Const(1).op('i32.sub').localGet(size).op('i32.div_u').localSet(chunks);
    for (const [field, value] of [['site', site], ['extent', extent], ['chunks', chunks], ['chunkSize', size]] as const) {
      c.i32Const(0).localGet(value).mem('i32.store', CTRL[field]);
    }
    c.i32Const(0).i32Const(0).atomic('i32.atomic.store', CTRL.next);
    // job = (generation + 1) << 16 | open, no worker in it
    c.i32Const(0);
    c.i32Const(0).atomic('i32.atomic.load', CTRL.job).i32Const(JOB_GEN_SHIFT).op('i32.shr_u').i32Const(1).op('i32.add');
    c.i32Const(JOB_GEN_SHIFT).op('i32.shl').i32Const(JOB_OPEN).op('i32.or').atomic('i32.atomic.store', CTRL.job);
    c.i32Const(0).localGet(n).atomic('memory.atomic.notify', CTRL.job).op('drop');
    c.call(this.grab.ref);
    c.i32Const(0).i32Const(~JOB_OPEN).atomic('i32.atomic.rmw.and', CTRL.job).op('drop');
    this.emitAwaitWorkers(fb);
  }

  /**
   * Waits until the workers in the closed job have left it: a worker is normally finishing its
   * last chunk, so this spins; one that has been preempted holding a chunk can take a scheduler
   * slice or more to come back, so after CALLER_SPIN_CHECKS the calling thread sleeps instead
   * (where it may), rather than burning the time the preempted worker needs.
   */
  private emitAwaitWorkers(fb: FunctionBuilder): void {
    const c = fb.code;
    const [job, spin] = [fb.local('i32', 'job'), fb.local('i32', 'spin')];
    const loadJob = (): void => void c.i32Const(0).atomic('i32.atomic.load', CTRL.job).localTee(job).i32Const(JOB_COUNT).op('i32.and').op('i32.eqz');
    c.i32Const(CALLER_SPIN_CHECKS).localSet(spin);
    c.block(null, (done) => {
      c.loop(null, (watch) => {
        loadJob();
        c.brIf(done);
        c.localGet(spin).i32Const(1).op('i32.sub').localTee(spin).brIf(watch);
      });
      ctrlLoad(c, 'block').op('i32.eqz');
      c.if(null, () => {
        c.loop(null, (watch) => {
          loadJob();
          c.brIf(done).br(watch);
        });
      });
      c.loop(null, (sleep) => {
        loadJob();
        c.brIf(done);
        // announce the sleep; a worker that left meanwhile changed `job`, so look again
        c.i32Const(0).localGet(job).localGet(job).i32Const(JOB_WAITER).op('i32.or').atomic('i32.atomic.rmw.cmpxchg', CTRL.job).localGet(job).op('i32.ne').brIf(sleep);
        c.i32Const(0).localGet(job).i32Const(JOB_WAITER).op('i32.or').i64Const(-1).atomic('memory.atomic.wait32', CTRL.job).op('drop');
        c.br(sleep);
      });
    });
  }

  /** Leaves the job; the last worker to leave wakes the calling thread if it sleeps. */
  private emitLeave(): void {
    const c = this.worker.code;
    c.i32Const(0).i32Const(1).atomic('i32.atomic.rmw.sub', CTRL.job).i32Const(JOB_WAITER | JOB_COUNT).op('i32.and').i32Const(JOB_WAITER | 1).op('i32.eq');
    // every sleeper on `job` wakes: idle workers sleep on it too, and go back to sleep
    c.if(null, () => void c.i32Const(0).i32Const(-1).atomic('memory.atomic.notify', CTRL.job).op('drop'));
  }

  /** br_table over the sites: block i is left to reach task i. */
  private emitRunChunk(): void {
    const fb = this.runChunk;
    const c = fb.code;
    const [site, lo, hi] = fb.params as [(typeof fb.params)[0], (typeof fb.params)[0], (typeof fb.params)[0]];
    const labels: Label[] = [];
    const open = (i: number, exit: Label): void => {
      c.block(null, (l) => {
        labels[i] = l;
        if (i === 0) c.localGet(site).brTable(labels, exit);
        else open(i - 1, exit);
      });
      c.localGet(lo).localGet(hi).call(this.tasks[i]).op('return');
    };
    if (this.tasks.length > 0) c.block(null, (exit) => open(this.tasks.length - 1, exit));
  }

  private emitGrab(): void {
    const fb = this.grab;
    const c = fb.code;
    const [chunk, lo] = [fb.local('i32', 'chunk'), fb.local('i32', 'lo')];
    c.loop(null, (next) => {
      c.i32Const(0).i32Const(1).atomic('i32.atomic.rmw.add', CTRL.next).localTee(chunk);
      ctrlLoad(c, 'chunks').op('i32.ge_u');
      c.if(null, () => void c.op('return'));
      ctrlLoad(c, 'site');
      c.localGet(chunk);
      ctrlLoad(c, 'chunkSize').op('i32.mul').localTee(lo);
      // hi = min(lo + size, extent)
      c.localGet(lo);
      ctrlLoad(c, 'chunkSize').op('i32.add');
      ctrlLoad(c, 'extent');
      c.localGet(lo);
      ctrlLoad(c, 'chunkSize').op('i32.add');
      ctrlLoad(c, 'extent').op('i32.lt_s').op('select');
      c.call(this.runChunk.ref).br(next);
    });
  }

  private emitWorker(stackBase: number, stackPerThread: number): void {
    const fb = this.worker;
    const c = fb.code;
    // `seen`: the last generation this worker joined or found closed
    const [tid, seen] = fb.params as [(typeof fb.params)[0], (typeof fb.params)[0]];
    const [job, spin] = [fb.local('i32', 'job'), fb.local('i32', 'spin')];
    const newGeneration = (): void => void c.localGet(job).i32Const(JOB_GEN_SHIFT).op('i32.shr_u').localGet(seen).op('i32.ne');
    c.localGet(tid).i32Const(stackPerThread).op('i32.mul').i32Const(stackBase).op('i32.add').globalSet(this.stackGlobal);
    c.loop(null, (top) => {
      c.i32Const(0).atomic('i32.atomic.load', CTRL.stop);
      c.if(null, () => void c.op('return'));
      c.i32Const(0).atomic('i32.atomic.load', CTRL.job).localSet(job);
      newGeneration();
      c.if(null, () => {
        c.localGet(job).i32Const(JOB_OPEN).op('i32.and');
        c.if(null, () => {
          // join: fails when the job closed or another worker joined meanwhile; then look again
          c.i32Const(0).localGet(job).localGet(job).i32Const(1).op('i32.add').atomic('i32.atomic.rmw.cmpxchg', CTRL.job).localGet(job).op('i32.ne').brIf(top);
          c.call(this.grab.ref);
          this.emitLeave();
        });
        c.localGet(job).i32Const(JOB_GEN_SHIFT).op('i32.shr_u').localSet(seen).br(top);
      });
      c.i32Const(SPIN_CHECKS).localSet(spin);
      c.loop(null, (watch) => {
        c.i32Const(0).atomic('i32.atomic.load', CTRL.job).localSet(job);
        newGeneration();
        c.brIf(top);
        c.localGet(spin).i32Const(1).op('i32.sub').localTee(spin).brIf(watch);
      });
      c.i32Const(0).localGet(job).i64Const(-1).atomic('memory.atomic.wait32', CTRL.job).op('drop');
      c.br(top);
    });
  }
}
