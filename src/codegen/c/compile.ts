/**
 * @file Turning C source into a shared library with the system compiler, through a disk cache.
 *
 * Flags: -O3 -march=native as the target promises; -fwrapv because kiln's int32 wraps
 * (and C's signed overflow is undefined); -fno-math-errno so sqrt and friends inline and
 * vectorize (results are unchanged); -ffp-contract=fast by default, which lets GCC fuse a * b + c
 * into one FMA: a GEMM needs it to reach peak, and it changes float results by at most the one
 * rounding it removes, so tests compare float results with the JS reference within a relative
 * tolerance. `fpContract: 'off'` gives results identical to JS for + - * /.
 * -fno-tree-loop-if-convert: GCC 12's if-conversion for the loop vectorizer miscompiles loops with
 * conditionals under AVX-512 masks (`C[i] = X[i] < 0 ? S[i]*X[i] : X[i]` and `C[i] = A[i] && B[i]`
 * give wrong lanes at -O3 -march=native; found by the ONNX PRelu/And/Or conformance cases). kiln
 * vectorizes its hot loops itself with explicit vector types, which this flag does not touch.
 *
 * Cache: `<dir>/<sha256>.so`, keyed by the source, the flags, the compiler's `--version` text
 * and the CPU (model and feature flags, since -march=native depends on them). A library is
 * compiled to a temporary name in the same directory and renamed into place, so a crash
 * mid-compile never leaves an entry that a later run would load.
 */

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { arch, cpus } from 'node:os';
import { delimiter, join } from 'node:path';
import { POOL_SOURCE } from './pool.js';

export interface CompilerOptions {
  /** the compiler program (a name looked up in PATH, or a path) */
  readonly cc: string;
  readonly cacheDir: string;
  readonly fpContract: 'fast' | 'off';
}

/** No C compiler could be run; the other targets do not need one. */
export class CompilerNotFoundError extends Error {
  constructor(cc: string, why: string) {
    super(`C compiler '${cc}' could not be run (${why}); install one (gcc or clang), or use the 'js' or 'wasm' target, which still work`);
    this.name = 'CompilerNotFoundError';
  }
}

/** The compiler rejected the source; `log` holds its complete output. */
export class CompileError extends Error {
  constructor(
    cc: string,
    readonly log: string,
  ) {
    super(`C compiler '${cc}' failed:\n${log.length > 4000 ? `${log.slice(0, 4000)}\n[... log truncated]` : log}`);
    this.name = 'CompileError';
  }
}

export function compilerFlags(fpContract: 'fast' | 'off'): string[] {
  return [
    '-O3',
    '-march=native',
    '-shared',
    '-fPIC',
    '-std=gnu11',
    '-fwrapv',
    '-fno-math-errno',
    '-fno-tree-loop-if-convert',
    `-ffp-contract=${fpContract}`,
    '-fvisibility=hidden',
    '-Wno-psabi',
  ];
}

interface RunResult {
  readonly ok: boolean;
  readonly output: string;
  readonly missing: string | null;
}

function runProgram(program: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(program, args, { maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      const missing = code === 'ENOENT' || code === 'EACCES' ? code : null;
      resolve({ ok: !err, output: `${stdout}${stderr}`, missing });
    });
  });
}

const versions = new Map<string, Promise<string>>();

/** `cc --version`, asked once per compiler per process. */
async function compilerVersion(cc: string): Promise<string> {
  let pending = versions.get(cc);
  if (!pending) {
    pending = runProgram(cc, ['--version']).then((r) => {
      if (r.missing) throw new CompilerNotFoundError(cc, r.missing);
      if (!r.ok) throw new CompileError(cc, r.output);
      return r.output;
    });
    versions.set(cc, pending);
    pending.catch(() => versions.delete(cc));
  }
  return pending;
}

let fingerprint: string | undefined;

/** The CPU model and feature flags (what -march=native looks at). */
function cpuFingerprint(): string {
  if (fingerprint === undefined) {
    let text = '';
    try {
      const first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0] ?? '';
      text = first
        .split('\n')
        .filter((l) => /^(model name|flags|Features|CPU part)\s*:/.test(l))
        .join('\n');
    } catch {
      // not Linux: the model string below still separates machines
    }
    fingerprint = `${arch()}\n${cpus()[0]?.model ?? ''}\n${text}`;
  }
  return fingerprint;
}

/** The compiler's file (PATH searched, links followed) with its size and time, or null where it cannot be found. */
function compilerFile(cc: string): string | null {
  const dirs = cc.includes('/') ? [''] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    try {
      const path = realpathSync(dir === '' ? cc : join(dir, cc));
      const s = statSync(path);
      if (s.isFile()) return `${path} ${s.size} ${s.mtimeMs}`;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * What, besides the source and the flags, decides the library `cc` builds here: the compiler
 * (its resolved file, size and time — an upgrade replaces it —, else its version text) and the
 * CPU. The compiled-model cache keys its c entries by it; the file spares a loaded model the
 * start of a compiler process.
 */
export async function compilerIdentity(cc: string): Promise<string> {
  return `${cc}\n${compilerFile(cc) ?? (await compilerVersion(cc))}\n${cpuFingerprint()}`;
}

/** Compiles `source` into `<cacheDir>/<key>.so` unless it is there; `link` comes after the source file. */
async function build(key: string, source: string, flags: readonly string[], link: readonly string[], opts: CompilerOptions): Promise<string> {
  const lib = join(opts.cacheDir, `${key}.so`);
  if (existsSync(lib)) return lib;
  await mkdir(opts.cacheDir, { recursive: true });
  const tmp = join(opts.cacheDir, `${key}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(`${tmp}.c`, source);
    const r = await runProgram(opts.cc, [...flags, '-o', `${tmp}.so`, `${tmp}.c`, ...link]);
    if (r.missing) throw new CompilerNotFoundError(opts.cc, r.missing);
    if (!r.ok) throw new CompileError(opts.cc, r.output);
    await rename(`${tmp}.so`, lib);
  } finally {
    await rm(`${tmp}.c`, { force: true });
    await rm(`${tmp}.so`, { force: true });
  }
  return lib;
}

function cacheKey(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * The file name of the thread-pool library (pool.ts) in the cache, built on a miss. Its name is
 * also its soname, so a kernel library finds it beside itself (rpath $ORIGIN) wherever the cache
 * was opened from; `-z nodelete` keeps it mapped while its workers live.
 */
function buildPool(opts: CompilerOptions): Promise<string> {
  const id = JSON.stringify([opts.cc, opts.cacheDir, opts.fpContract]);
  let pending = pools.get(id);
  if (!pending) {
    pending = compilePool(opts);
    pools.set(id, pending);
    void pending.finally(() => pools.delete(id)).catch(() => undefined);
  }
  return pending;
}

/** Pool builds in flight, by compiler and cache: the units of one model, built at once, compile it once. */
const pools = new Map<string, Promise<string>>();

async function compilePool(opts: CompilerOptions): Promise<string> {
  const flags = [...compilerFlags(opts.fpContract), '-pthread', '-Wl,-z,nodelete'];
  const version = await compilerVersion(opts.cc);
  const key = cacheKey([POOL_SOURCE, opts.cc, flags, version, cpuFingerprint()]);
  await build(key, POOL_SOURCE, [...flags, `-Wl,-soname,${key}.so`], [], opts);
  return `${key}.so`;
}

/** The path of a shared library built from `source`, compiling it only on a cache miss. */
export async function buildLibrary(source: string, opts: CompilerOptions): Promise<string> {
  const flags = compilerFlags(opts.fpContract);
  const version = await compilerVersion(opts.cc);
  const pool = await buildPool(opts);
  const key = cacheKey([source, opts.cc, flags, pool, version, cpuFingerprint()]);
  return build(key, source, flags, [join(opts.cacheDir, pool), '-Wl,-rpath,$ORIGIN', '-lm'], opts);
}
