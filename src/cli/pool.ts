/**
 * @file The worker processes behind `kiln conformance`. Each runs cases one at a time (see
 * worker.ts); a case that does not answer within the timeout has its worker killed, and a worker
 * that dies mid-case (a crash in native code, an abort, running out of memory) fails that case
 * with the exit reason. Either way only that case fails: the next one gets a fresh worker.
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetName } from '../codegen/index.js';
import { IsolatedProcess } from '../runtime/isolated.js';
import type { CaseOutcome } from './cases.js';
import type { CaseRequest, WorkerMessage } from './worker.js';

/** The launcher: workers run the same CLI (its internal `conformance-worker` command). */
const LAUNCHER = fileURLToPath(new URL('../../bin/kiln.js', import.meta.url));

type Worker = IsolatedProcess<CaseRequest, CaseOutcome>;

function startWorker(): Worker {
  const child = fork(LAUNCHER, ['conformance-worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  return new IsolatedProcess(child, {
    failure: (reason) => ({ status: 'ERROR', reason }),
    message: (m) => {
      const r = m as WorkerMessage;
      return r.kind === 'result' ? { status: r.status, reason: r.reason } : null;
    },
  });
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
      w ??= startWorker();
      report(k, await w.request({ dir: dirs[k], target: opts.target }, opts.timeoutMs));
      if (w.dead) w = null;
    }
    w?.close();
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, dirs.length) }, lane));
}
