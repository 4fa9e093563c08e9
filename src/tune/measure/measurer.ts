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

import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetName } from '../../codegen/index.js';
import type { Step } from '../../schedule/index.js';
import type { TaskSource } from '../task.js';
import type { BuildHook, WorkerReply, WorkerRequest } from './protocol.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const STDERR_KEPT = 400;
/** Time a worker may take to start (Node, tsx and kiln) on a busy machine. */
const STARTUP_MS = 60_000;

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
  /** median time of one call in milliseconds; null when the candidate failed */
  readonly ms: number | null;
  readonly error?: string;
}

type Outcome = { readonly ok: true; readonly ms: number | null } | { readonly ok: false; readonly error: string };

/** One worker process; requests go one at a time. */
class Child {
  private readonly proc: ChildProcess;
  private readonly ready: Promise<boolean>;
  private settle: ((o: Outcome) => void) | null = null;
  private stderr = '';
  dead = false;
  /** the task sources this process has loaded (its first request of one is slower) */
  readonly seen = new Set<string>();

  /** `quiet`: called when the process asks for quiet, with the function that grants it */
  constructor(private readonly quiet: Quiet | null = null) {
    // its own process group, so pausing it pauses the compiler it runs
    this.proc = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
    this.proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_KEPT);
    });
    this.ready = new Promise((resolve) => {
      this.proc.on('message', (m: WorkerReply) => {
        if (m.kind === 'ready') resolve(true);
        else if (m.kind === 'quiet') {
          this.quiet?.pause();
          if (this.proc.connected) this.proc.send({ kind: 'quiet' });
        } else if (m.kind === 'loud') this.quiet?.resume();
        else this.finish(m.kind === 'done' ? { ok: true, ms: m.ms } : { ok: false, error: m.error });
      });
      this.proc.on('exit', (code, signal) => {
        this.dead = true;
        this.quiet?.resume();
        resolve(false);
        const tail = this.stderr.trim().split('\n').slice(-2).join(' | ');
        this.finish({ ok: false, error: `the worker died (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}` });
      });
    });
  }

  request(req: WorkerRequest, limitMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const limit = (ms: number, what: string): NodeJS.Timeout =>
        setTimeout(() => {
          this.finish({ ok: false, error: `${what} after ${ms / 1000} s` });
          this.kill();
        }, ms);
      let timer = limit(STARTUP_MS + limitMs, 'the worker did not start');
      this.settle = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      void this.ready.then((ok) => {
        if (!ok || this.dead || this.settle === null) return;
        clearTimeout(timer);
        timer = limit(limitMs, 'timed out');
        this.proc.send(req);
      });
    });
  }

  kill(): void {
    this.dead = true;
    this.signal('SIGKILL');
  }

  /** Signals the process's whole group (it and the compiler it may be running). */
  signal(sig: NodeJS.Signals): void {
    if (this.proc.pid === undefined || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    try {
      process.kill(-this.proc.pid, sig);
    } catch {
      // the group is already gone
    }
  }

  close(): void {
    if (!this.dead && this.proc.connected) this.proc.disconnect();
  }

  private finish(o: Outcome): void {
    const settle = this.settle;
    this.settle = null;
    settle?.(o);
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
    this.child?.signal(sig);
  }

  /** Runs `req` after the lane's earlier requests; the first request of a source gets `firstMs`. */
  run(req: WorkerRequest, limitMs: number, firstMs: number): Promise<Outcome> {
    const next = this.queue.then(async () => {
      this.child ??= new Child(this.quiet);
      const c = this.child;
      const key = JSON.stringify(req.source);
      const out = await c.request(req, c.seen.has(key) ? limitMs : Math.max(limitMs, firstMs));
      c.seen.add(key);
      if (c.dead) this.child = null;
      return out;
    });
    this.queue = next;
    return next;
  }

  close(): void {
    this.child?.signal('SIGCONT');
    this.child?.close();
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
