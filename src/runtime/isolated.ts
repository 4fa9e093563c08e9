/**
 * @file A child process that answers one request at a time under a time limit, so work that may
 * crash, abort or hang (a conformance case, a tuning candidate) fails alone. The process says
 * `{ kind: 'ready' }` once loaded; a request past its limit kills the process, and a process that
 * exits mid-request fails that request with the exit reason and the tail of its stderr. Either
 * way the caller sees one outcome per request and starts a fresh process after a death.
 */

import type { ChildProcess } from 'node:child_process';

const STDERR_KEPT = 400;
/** Time a process may take to start (load Node, tsx and kiln) on a busy machine. */
const STARTUP_MS = 60_000;

export interface IsolatedHandlers<Out> {
  /** the outcome of a request that failed for `reason` (a death, a time limit) */
  readonly failure: (reason: string) => Out;
  /** a message other than `ready`: the outcome it settles, or null for one that settles nothing */
  readonly message: (m: unknown) => Out | null;
  /** called once when the process exits */
  readonly exit?: () => void;
}

export class IsolatedProcess<Req, Out> {
  private readonly ready: Promise<boolean>;
  private settle: ((o: Out) => void) | null = null;
  private stderr = '';
  dead = false;

  /** `group`: the process leads its own process group (forked detached), and signals go to the group */
  constructor(
    private readonly proc: ChildProcess,
    private readonly handlers: IsolatedHandlers<Out>,
    private readonly group = false,
  ) {
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_KEPT);
    });
    this.ready = new Promise((resolve) => {
      proc.on('message', (m: unknown) => {
        if ((m as { kind?: unknown } | null)?.kind === 'ready') return resolve(true);
        const out = handlers.message(m);
        if (out !== null) this.finish(out);
      });
      proc.on('exit', (code, signal) => {
        this.dead = true;
        handlers.exit?.();
        resolve(false);
        const tail = this.stderr.trim().split('\n').slice(-2).join(' | ');
        this.finish(handlers.failure(`the worker died (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}`));
      });
    });
  }

  /**
   * Sends `req`; resolves with its outcome, or a failure when the process dies or the request runs
   * past `limitMs` (counted from when the process is ready; starting one may take longer).
   */
  request(req: Req, limitMs: number): Promise<Out> {
    return new Promise((resolve) => {
      const limit = (ms: number, what: string): NodeJS.Timeout =>
        setTimeout(() => {
          this.finish(this.handlers.failure(`${what} after ${ms / 1000} s`));
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
        this.proc.send(req as object);
      });
    });
  }

  /** Sends a message that is not a request (it settles nothing by itself). */
  notify(m: object): void {
    if (this.proc.connected) this.proc.send(m);
  }

  kill(): void {
    this.dead = true;
    this.signal('SIGKILL');
  }

  /** Signals the process (its whole group when it leads one: it and the compiler it may run). */
  signal(sig: NodeJS.Signals): void {
    const p = this.proc;
    if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return;
    if (!this.group) {
      p.kill(sig);
      return;
    }
    try {
      process.kill(-p.pid, sig);
    } catch {
      // the group is already gone
    }
  }

  close(): void {
    if (!this.dead && this.proc.connected) this.proc.disconnect();
  }

  private finish(o: Out): void {
    const settle = this.settle;
    this.settle = null;
    settle?.(o);
  }
}
