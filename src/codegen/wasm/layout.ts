/**
 * @file The linear-memory plan of a kiln wasm module, fixed at emit time:
 *
 *   [0, 64)             control block: assert slot and the thread pool's counters (see CTRL)
 *   [64, 64 + 4096)     closure slots of the running parallel loop (threaded modules only)
 *   params              one 64-byte aligned region per parameter of the entry being run, for
 *                       arguments copied in from outside the memory; all entries start at the
 *                       same address, since one entry runs at a time
 *   stacks              one stack per thread for `allocate`d buffers, `stackPerThread` bytes each
 *   arena               (optional) grown once after loading: a model's intermediate values,
 *                       which kernels then read and write where they are (runtime.ts)
 */

import type { DType } from '../../ir/dtype.js';
import { bytesOf } from '../../ir/dtype.js';
import type { Buffer } from '../../ir/expr.js';
import { bufferElems } from '../abi.js';

/** Byte offsets of the i32 fields of the control block. */
export const CTRL = {
  /** 0 = no error; k + 1 = assert message k failed; −1 = a worker trapped */
  err: 0,
  /**
   * the current parallel job: its generation (bits 16–31, bumped once per job), whether workers
   * may still join it (JOB_OPEN), whether the calling thread sleeps on it (JOB_WAITER) and how
   * many workers are in it (JOB_COUNT); workers sleep on it too
   */
  job: 4,
  /** set to 1 to make workers return */
  stop: 8,
  /** threads in the pool, the calling thread included */
  threads: 12,
  site: 16,
  extent: 20,
  chunks: 24,
  chunkSize: 28,
  /** next chunk to hand out */
  next: 32,
  /** 1 when the calling thread may sleep in memory.atomic.wait (not on a browser's main thread) */
  block: 36,
  /** estimated operations (work.ts) below which a parallel loop runs on the calling thread alone */
  minWork: 40,
} as const;

/** The `job` bit set while workers may join it. */
export const JOB_OPEN = 0x8000;
/** The `job` bit the calling thread sets before it sleeps until the last worker leaves the job. */
export const JOB_WAITER = 0x4000;
/** The low bits of `job`: how many workers are in it. */
export const JOB_COUNT = JOB_WAITER - 1;
export const JOB_GEN_SHIFT = 16;

export const CONTROL_BYTES = 64;
export const CLOSURE_OFFSET = CONTROL_BYTES;
export const CLOSURE_SLOT_BYTES = 16;
export const CLOSURE_SLOTS = 256;
export const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

export const align = (n: number, to: number): number => Math.ceil(n / to) * to;

export interface ParamRegion {
  readonly dtype: DType;
  readonly offset: number;
  /** elements */
  readonly length: number;
  /** whether the entry stores to it (only those are copied back after a run) */
  readonly written: boolean;
}

/** Assigns each parameter a region starting at `base`; returns the regions and the end address. */
export function planParams(params: readonly Buffer[], written: ReadonlySet<number>, base: number): { regions: ParamRegion[]; end: number } {
  let at = base;
  const regions = params.map((b) => {
    const offset = at;
    const length = bufferElems(b);
    at = align(at + length * bytesOf(b.dtype), 64);
    return { dtype: b.dtype, offset, length, written: written.has(b.id) };
  });
  return { regions, end: at };
}

/** Bytes of memory a module needs when run with `threads` threads. */
export function memoryBytes(stackBase: number, stackPerThread: number, threads: number): number {
  return stackBase + Math.max(1, threads) * stackPerThread;
}
