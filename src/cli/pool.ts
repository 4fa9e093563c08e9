/**
 * @file The worker processes behind `kiln conformance`. Each runs cases one at a time (see
 * worker.ts); a case that does not answer within the timeout has its worker killed, and a worker
 * that dies mid-case (a crash in native code, an abort, running out of memory) fails that case
 * with the exit reason. Either way only that case fails: the next one gets a fresh worker.
 */

import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetName } from '../codegen/index.js';
import type { CaseOutcome } from './cases.js';
import type { CaseRequest, WorkerMessage } from './worker.js';

/** The launcher: workers run the same CLI (its internal `conformance-worker` command). */
const LAUNCHER = fileURLToPath(new URL('../../bin/kiln.js', import.meta.url));
const STDERR_KEPT = 400;
/** Time a worker may take to start (load Node, tsx and kiln) on a busy machine. */
const STARTUP_MS = 60_000;

class Worker {
  private readonly child: ChildProcess;
  private readonly ready: Promise<boolean>;
  private settle: ((o: CaseOutcome) => void) | null = null;
  private stderr = '';
  dead = false;

  constructor() {
    this.child = fork(LAUNCHER, ['conformance-worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_KEPT);
    });
    this.ready = new Promise((resolve) => {
      this.child.on('message', (m: WorkerMessage) => {
        if (m.kind === 'ready') resolve(true);
        else this.finish({ status: m.status, reason: m.reason });
      });
      this.child.on('exit', (code, signal) => {
        this.dead = true;
        resolve(false);
        const tail = this.stderr.trim().split('\n').slice(-2).join(' | ');
        this.finish({ status: 'ERROR', reason: `the worker died (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}` });
      });
    });
  }

  /**
   * Runs one case; resolves with its outcome, or an ERROR when the worker dies or the case runs
   * past `timeoutMs` (counted from when the worker is ready; starting one may take longer).
   */
  run(req: CaseRequest, timeoutMs: number): Promise<CaseOutcome> {
    return new Promise((resolve) => {
      const limit = (ms: number, what: string): NodeJS.Timeout =>
        setTimeout(() => {
          this.finish({ status: 'ERROR', reason: `${what} after ${ms / 1000} s` });
          this.kill();
        }, ms);
      let timer = limit(STARTUP_MS + timeoutMs, 'the worker did not start');
      this.settle = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      void this.ready.then((ok) => {
        if (!ok || this.dead || this.settle === null) return;
        clearTimeout(timer);
        timer = limit(timeoutMs, 'timed out');
        this.child.send(req);
      });
    });
  }

  kill(): void {
    this.dead = true;
    this.child.kill('SIGKILL');
  }

  close(): void {
    if (!this.dead && this.child.connected) this.child.disconnect();
  }

  private finish(o: CaseOutcome): void {
    const settle = this.settle;
    this.settle = null;
    settle?.(o);
  }
}

export interface PoolOptions {
  readonly target: TargetName;
  readonly jobs: number;
  readonly timeoutMs: number;
}

/** Runs the cases in `dirs` on `jobs` workers; `report(k, outcome)` is called as each finishes. */
export async function runCases(dirs: readonly string[], opts: PoolOptions, report: (k: number, o: CaseOutcome) => void): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    let w: Worker | null = null;
    while (next < dirs.length) {
      const k = next++;
      w ??= new Worker();
      report(k, await w.run({ dir: dirs[k], target: opts.target }, opts.timeoutMs));
      if (w.dead) w = null;
    }
    w?.close();
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, dirs.length) }, lane));
}
