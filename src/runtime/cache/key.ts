/**
 * @file The key of a compiled model in the cache: a SHA-256 over everything that decides what
 * compiling produces — the model's bytes (by their hash, see digest.ts), the target and every option that changes the result
 * (threads, in-place outputs, relaxed SIMD, pass configuration, the tuning records' contents;
 * for c the compiler's version and the CPU), kiln's version, and a hash of kiln's own sources,
 * so that a changed compiler (a new commit, a local edit) never reuses what an older one built.
 * The input shapes join per compile (`shapeKey`): one session compiles each shape list it sees.
 */

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KILN_VERSION } from '../saved/model.js';

export interface KeyParts {
  /** the SHA-256 of the model's bytes (digest.ts) */
  readonly modelHash: string;
  readonly target: string;
  /** the thread count kernels are compiled for (resolved: never the default) */
  readonly threads: number;
  readonly inPlace: boolean;
  readonly relaxedSimd: boolean;
  /** the pass configuration, as JSON */
  readonly passes: unknown;
  /** the tuning records in use, as JSON (null: none) */
  readonly records: unknown;
  /** the c target's compiler identity (codegen/c/compile.ts `compilerIdentity`); '' for others */
  readonly compiler: string;
}

/** kiln's source root: this file lies in <root>/runtime/cache/ (src/ under tsx, the build's folder once compiled). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = /\.(ts|js|mjs)$/;

let sourcesHash: string | undefined;

/** SHA-256 over the path and contents of every source file under kiln's source root, once per process. */
export function kilnSourcesHash(): string {
  if (sourcesHash === undefined) {
    const h = createHash('sha256');
    const walk = (dir: string): void => {
      const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.isFile() && SOURCE.test(e.name)) h.update(`${relative(ROOT, path)}\0`).update(readFileSync(path)).update('\0');
      }
    };
    walk(ROOT);
    sourcesHash = h.digest('hex');
  }
  return sourcesHash;
}

/** The key of a session's compiles (without the input shapes). */
export function modelKey(p: KeyParts): string {
  const options = { target: p.target, threads: p.threads, inPlace: p.inPlace, relaxedSimd: p.relaxedSimd, passes: p.passes, records: p.records, compiler: p.compiler };
  return createHash('sha256').update(JSON.stringify([KILN_VERSION, kilnSourcesHash(), p.modelHash, options])).digest('hex');
}

/** The key of one compile: the session's key and the input shape signature. */
export function shapeKey(model: string, signature: string): string {
  return createHash('sha256').update(`${model}\n${signature}`).digest('hex');
}
