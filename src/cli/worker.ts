/**
 * @file The child side of `kiln conformance` (the internal `conformance-worker` command): it
 * receives one case at a time over IPC, runs it and sends the outcome back, staying alive between
 * cases so the cost of starting Node and loading kiln is paid once per batch. If a case crashes
 * or hangs this process, the parent kills it, fails that case only, and starts a new worker.
 */

import type { TargetName } from '../codegen/index.js';
import type { CaseOutcome } from './cases.js';
import { runCase } from './cases.js';

/** parent → worker */
export interface CaseRequest {
  readonly dir: string;
  readonly target: TargetName;
}

/** worker → parent */
export type WorkerMessage = { readonly kind: 'ready' } | ({ readonly kind: 'result' } & CaseOutcome);

function isRequest(m: unknown): m is CaseRequest {
  const r = m as Partial<CaseRequest> | null;
  return typeof r?.dir === 'string' && typeof r.target === 'string';
}

function send(m: WorkerMessage): void {
  process.send?.(m);
}

export function workerCommand(): Promise<number> {
  if (process.send === undefined) {
    process.stderr.write('kiln conformance-worker: internal command, started by `kiln conformance`\n');
    return Promise.resolve(2);
  }
  return new Promise((resolve) => {
    // cases run one at a time: the parent sends the next only after a result
    process.on('message', (m: unknown) => {
      if (!isRequest(m)) return;
      void runCase(m.dir, m.target).then((outcome) => send({ kind: 'result', ...outcome }));
    });
    process.on('disconnect', () => resolve(0));
    send({ kind: 'ready' });
  });
}
