/**
 * @file The messages between the measurer (parent) and its worker processes. A worker answers
 * one request at a time: `build` compiles a candidate (for the C target this fills the disk
 * cache, so the runner's build of the same source is a cache hit); `measure` builds it, checks its
 * outputs against the default schedule's on the same seeded inputs, and times it. Around the
 * timed calls the runner asks for quiet (`quiet` … `loud`): the parent pauses the builders, so
 * a compile never shares the cores with a timing, and answers `quiet` once they are paused.
 */

import type { TargetName } from '../../codegen/index.js';
import type { Step } from '../../schedule/index.js';
import type { TaskSource } from '../task.js';

/** A test-only module that builds candidates in the worker in place of kiln (fault injection). */
export interface BuildHook {
  /** exports `buildCandidate(steps, compute, build)`: see worker.ts */
  readonly module: string;
}

/** parent → worker: a candidate to build or measure, or the answer to a request for quiet */
export type WorkerMessage = WorkerRequest | { readonly kind: 'quiet' };

export interface WorkerRequest {
  readonly id: number;
  readonly kind: 'build' | 'measure';
  readonly source: TaskSource;
  readonly target: TargetName;
  readonly threads: number;
  readonly steps: readonly Step[];
  /** timed samples after the warm-up */
  readonly repeat: number;
  /** each sample repeats the call until it spans at least this long */
  readonly minSampleMs: number;
  readonly hook?: BuildHook;
}

export type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'quiet' }
  | { readonly kind: 'loud' }
  | { readonly kind: 'done'; readonly id: number; readonly ms: number | null }
  | { readonly kind: 'failed'; readonly id: number; readonly error: string };
