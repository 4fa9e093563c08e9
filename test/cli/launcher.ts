/** Running the `kiln` command line through its launcher, as a user would, in a child process. */

import { execFile } from 'node:child_process';
import path from 'node:path';

const LAUNCHER = path.resolve(import.meta.dirname, '../../bin/kiln.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A runner of `kiln ARGS…` killed after `timeoutMs`; asynchronous, so tests can run concurrently. */
export function kilnWithin(timeoutMs: number): (...args: string[]) => Promise<CliResult> {
  return (...args) =>
    new Promise((resolve) => {
      execFile(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8', timeout: timeoutMs }, (error, stdout, stderr) => {
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
}
