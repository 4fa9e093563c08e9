/**
 * @file Isolated measurement. Candidates are built by `builders` worker processes and then timed,
 * one at a time, by a single runner process, so builds of the next candidates overlap the timing
 * of this one while no two timings share the cores. Every request has a time limit; a worker that
 * crashes, hangs past its limit or exits is killed and replaced, and only that candidate fails.
 *
 *   const m = new Measurer({ target: 'c', threads: 2 });
 *   const results = await m.measure(task.source, [steps1, steps2]);   // [{ ms: 0.41 }, { ms: null, error: 'timed out after 10 s' }]
 *   m.close();
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetName } from '../../codegen/index.js';
import { IsolatedProcess } from '../../runtime/isolated.js';
import type { Step } from '../../schedule/index.js';
import type { TaskSource } from '../task.js';
import type { BuildHook, WorkerReply, WorkerRequest } from './protocol.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface MeasureOptions {
  readonly target: TargetName;
  readonly threads: number;
  /** limit for timing one candidate, its build (a cache hit) and check included (default 10 s) */
  readonly timeoutMs?: number;
  /** limit for compiling one candidate, and for a runner's first request of a task (default 60 s) */
  readonly buildTimeoutMs?: number;
  /** timed samples per candidate (default 5) */
  readonly repeat?: number;
  /** shortest sample (default 2 ms) */
  readonly minSampleMs?: number;
  /** build processes running beside the runner (default 1) */
  readonly builders?: number;
  /** test-only: builds candidates in the workers through this module (fault injection) */
  readonly hook?: BuildHook;
}

export interface MeasureResult {
  /** the fastest call's time in milliseconds (worker.ts); null when the candidate failed */
  readonly ms: number | null;
  readonly error?: string;
}

type Outcome = { readonly ok: true; readonly ms: number | null } | { readonly ok: false; readonly error: string };

/** One worker process, in its own process group (pausing it pauses the compiler it runs). */
class Child {
  readonly proc: IsolatedProcess<WorkerRequest, Outcome>;
  /** the task sources this process has loaded (its first request of one is slower) */
  readonly seen = new Set<string>();

  /** `quiet`: called when the process asks for quiet, with the function that grants it */
  constructor(quiet: Quiet | null = null) {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
    this.proc = new IsolatedProcess<WorkerRequest, Outcome>(
      child,
      {
        failure: (error) => ({ ok: false, error }),
        message: (raw) => {
          const m = raw as WorkerReply;
          if (m.kind === 'quiet') {
            quiet?.pause();
            this.proc.notify({ kind: 'quiet' });
            return null;
          }
          if (m.kind === 'loud') {
            quiet?.resume();
            return null;
          }
          return m.kind === 'done' ? { ok: true, ms: m.ms } : m.kind === 'failed' ? { ok: false, error: m.error } : null;
        },
        // a runner that dies while the builders are paused must not leave them stopped
        exit: () => quiet?.resume(),
      },
      true,
    );
  }
}

/** Pausing and resuming the builders around a timing. */
interface Quiet {
  pause(): void;
  resume(): void;
}

/** A slot that holds a live worker, replacing it after it dies. */
class Lane {
  private child: Child | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly quiet: Quiet | null = null) {}

  signal(sig: NodeJS.Signals): void {
    this.child?.proc.signal(sig);
  }

  /** Runs `req` after the lane's earlier requests; the first request of a source gets `firstMs`. */
  run(req: WorkerRequest, limitMs: number, firstMs: number): Promise<Outcome> {
    const next = this.queue.then(async () => {
      this.child ??= new Child(this.quiet);
      const c = this.child;
      const key = JSON.stringify(req.source);
      const out = await c.proc.request(req, c.seen.has(key) ? limitMs : Math.max(limitMs, firstMs));
      c.seen.add(key);
      if (c.proc.dead) this.child = null;
      return out;
    });
    this.queue = next;
    return next;
  }

  close(): void {
    this.child?.proc.signal('SIGCONT');
    this.child?.proc.close();
    this.child = null;
  }
}

export class Measurer {
  private readonly builders: Lane[];
  private readonly runner = new Lane({
    pause: () => this.builders.forEach((b) => b.signal('SIGSTOP')),
    resume: () => this.builders.forEach((b) => b.signal('SIGCONT')),
  });
  private nextBuilder = 0;
  private nextId = 0;

  constructor(private readonly opts: MeasureOptions) {
    this.builders = Array.from({ length: Math.max(1, opts.builders ?? 1) }, () => new Lane());
  }

  /** Builds, checks and times each candidate; results in the order given. */
  measure(source: TaskSource, candidates: readonly (readonly Step[])[]): Promise<MeasureResult[]> {
    return Promise.all(candidates.map((steps) => this.one(source, steps)));
  }

  close(): void {
    for (const l of [...this.builders, this.runner]) l.close();
  }

  private async one(source: TaskSource, steps: readonly Step[]): Promise<MeasureResult> {
    const o = this.opts;
    const [timeoutMs, buildMs] = [o.timeoutMs ?? 10_000, o.buildTimeoutMs ?? 60_000];
    const req = (kind: WorkerRequest['kind']): WorkerRequest => ({
      id: this.nextId++,
      kind,
      source,
      target: o.target,
      threads: o.threads,
      steps,
      repeat: o.repeat ?? 5,
      minSampleMs: o.minSampleMs ?? 2,
      hook: o.hook,
    });
    const lane = this.builders[this.nextBuilder++ % this.builders.length];
    const built = await lane.run(req('build'), buildMs, buildMs);
    if (!built.ok) return { ms: null, error: `build: ${built.error}` };
    const timed = await this.runner.run(req('measure'), timeoutMs, buildMs);
    return timed.ok ? { ms: timed.ms } : { ms: null, error: timed.error };
  }
}
