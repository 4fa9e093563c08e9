/**
 * @file The c backend: the fastest CPU path. `emit` prints C (emit.ts); `load` builds shared
 * libraries through the cache (compile.ts) and binds them with the koffi FFI. Typed arrays are
 * passed without copying: koffi turns the JS array of arguments into the `void *const *args` the
 * kernel ABI expects, each element pointing at the typed array's memory.
 *
 * Compile time: the C compiler dominates a model's cold compile, so `emit` prepares it less and
 * better spread work. A kernel whose C is the same as an earlier one's (the same block at the
 * same shapes, repeated through a network) is compiled once and called under both names, and
 * the distinct kernels are dealt into one translation unit per core (largest first, each to the
 * lightest unit), which `load` compiles in parallel, each into a library of its own, cached on
 * its own.
 *
 * Arguments are checked against the libraries' manifests before every call (../abi.ts), because
 * a wrong type or a short array would make native code read or write out of bounds. The thread
 * count belongs to the executable (`BuildOptions.threads` given to `load`, default all cores)
 * and is passed on every call, so executables sharing one library keep their own settings.
 * `dispose` unloads the libraries; the thread pool's library (pool.ts), which each of them links,
 * stays loaded with its workers.
 */

import koffi, { type LibraryHandle } from 'koffi';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import type { PrimFunc } from '../../tir/stmt.js';
import type { EntryInfo } from '../abi.js';
import { KernelAssertError, checkArgs, checkEntries, noSuchEntry, parseManifest } from '../abi.js';
import type { Artifact, Backend, BuildOptions, Executable, HostArray } from '../target.js';
import { buildLibrary } from './compile.js';
import { emitC } from './emit.js';
import { hostTargetInfo } from './host.js';

export interface CBackendOptions {
  /** the C compiler to run (default `cc`) */
  readonly cc?: string;
  /** where built libraries are cached (default `$XDG_CACHE_HOME/kiln`, else `~/.cache/kiln`) */
  readonly cacheDir?: string;
  /** FMA contraction: 'fast' (default) or 'off' for results identical to the js target */
  readonly fpContract?: 'fast' | 'off';
}

/** A c artifact: `units` are whole translation units, each built into a library of its own. */
export interface CArtifact extends Artifact {
  readonly units: readonly string[];
  /** entries whose C is the same as an earlier entry's, mapped to that entry (compiled once) */
  readonly same: Readonly<Record<string, string>>;
}

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'kiln');
}

type KernelFn = (args: readonly HostArray[], nthreads: number) => number;

function threadCount(opts: BuildOptions | undefined): number {
  const t = opts?.threads ?? availableParallelism();
  if (!Number.isInteger(t) || t < 1 || t > 4096) throw new RangeError(`c backend: threads must be a positive integer, got ${t}`);
  return t;
}

/** One callable kernel: its function in a library, its manifest entry, that library's assert messages. */
interface Bound {
  readonly fn: KernelFn;
  readonly entry: EntryInfo;
  readonly messages: readonly string[];
}

class CExecutable implements Executable {
  private libs: readonly LibraryHandle[];

  constructor(
    libs: readonly LibraryHandle[],
    /** the library files, in unit order */
    readonly files: readonly string[],
    readonly same: Readonly<Record<string, string>>,
    private readonly kernels: ReadonlyMap<string, Bound>,
    private readonly threads: number,
  ) {
    this.libs = libs;
  }

  run(entry: string, args: readonly HostArray[]): void {
    if (this.libs.length === 0) throw new Error(`kernel ${entry}: executable was disposed`);
    const k = this.kernels.get(entry);
    if (k === undefined) throw noSuchEntry(entry, this.kernels.keys());
    checkArgs(k.entry, args);
    const code = k.fn(args, this.threads);
    if (code !== 0) throw new KernelAssertError(entry, k.messages[code - 1] ?? `unknown failure code ${code}`);
  }

  dispose(): void {
    for (const lib of this.libs) lib.unload();
    this.libs = [];
  }
}

/**
 * Loads built libraries (as `load` leaves them, or as a compiled-model cache recorded them) into
 * one executable; `same` names the entries that call another entry's kernel.
 */
export function openLibraries(files: readonly string[], same: Readonly<Record<string, string>>, threads: number): Executable {
  const libs: LibraryHandle[] = [];
  try {
    const kernels = new Map<string, Bound>();
    for (const file of files) {
      const lib = koffi.load(file);
      libs.push(lib);
      const manifest = parseManifest((lib.func('const char *kiln_manifest(void)') as () => string)());
      for (const entry of manifest.entries) {
        if (kernels.has(entry.name)) throw new Error(`artifact manifest is malformed: entry ${entry.name} is in two libraries`);
        kernels.set(entry.name, { fn: lib.func(`int32_t kiln_entry_${entry.name}(void **args, int32_t nthreads)`) as KernelFn, entry, messages: manifest.messages });
      }
    }
    for (const [name, to] of Object.entries(same)) {
      const k = kernels.get(to);
      if (k === undefined) throw new Error(`artifact manifest is malformed: entry ${name} stands for ${to}, which no library has`);
      kernels.set(name, k);
    }
    return new CExecutable(libs, files, same, kernels, threadCount({ threads }));
  } catch (e) {
    for (const lib of libs) lib.unload();
    throw e;
  }
}

/** The library files and shared entries behind an executable the c backend loaded; null for any other. */
export function cLibraries(exe: Executable): { readonly files: readonly string[]; readonly same: Readonly<Record<string, string>> } | null {
  return exe instanceof CExecutable ? { files: exe.files, same: exe.same } : null;
}

/** A name no model kernel has (they are `k<n>`): kernels are compared with this name in place of their own. */
const SAME_NAME = 'kiln_kernel';
/** Below this much C, one compiler run costs less than starting several. */
const SPLIT_BYTES = 64 * 1024;

/**
 * The distinct kernels of `funcs` dealt into translation units: the largest first, each to the
 * unit with the least C so far; within a unit they keep their order.
 */
function emitUnits(funcs: readonly PrimFunc[], cores: number): CArtifact {
  // kernels are compared under one stand-in name, so their own names are checked here first
  checkEntries('c', funcs);
  const first = new Map<string, string>();
  const same: Record<string, string> = {};
  const distinct: { readonly index: number; readonly bytes: number }[] = [];
  funcs.forEach((f, index) => {
    let text: string;
    try {
      text = emitC([{ ...f, name: SAME_NAME }]);
    } catch (e) {
      emitC([f]); // the same failure, naming this kernel
      throw e;
    }
    const earlier = first.get(text);
    if (earlier !== undefined) same[f.name] = earlier;
    else {
      first.set(text, f.name);
      distinct.push({ index, bytes: text.length });
    }
  });
  const total = distinct.reduce((n, d) => n + d.bytes, 0);
  const count = Math.max(1, Math.min(distinct.length, total < SPLIT_BYTES ? 1 : Math.max(2, cores)));
  const units = Array.from({ length: count }, () => ({ bytes: 0, members: [] as number[] }));
  for (const d of [...distinct].sort((a, b) => b.bytes - a.bytes)) {
    const lightest = units.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.bytes += d.bytes;
    lightest.members.push(d.index);
  }
  const sources = units.filter((u) => u.members.length > 0).map((u) => emitC(u.members.sort((a, b) => a - b).map((k) => funcs[k])));
  return { target: 'c', code: sources.join('\n'), entries: funcs.map((f) => f.name), units: sources, same };
}

function isCArtifact(a: Artifact): a is CArtifact {
  return Array.isArray((a as Partial<CArtifact>).units);
}

export function createCBackend(opts: CBackendOptions = {}): Backend {
  const compiler = { cc: opts.cc ?? 'cc', cacheDir: opts.cacheDir ?? defaultCacheDir(), fpContract: opts.fpContract ?? 'fast' };
  const info = hostTargetInfo();
  return {
    name: 'c',
    info,
    emit(funcs: readonly PrimFunc[]): CArtifact {
      return emitUnits(funcs, info.cores);
    },
    async load(artifact: Artifact, build?: BuildOptions): Promise<Executable> {
      if (artifact.target !== 'c' || typeof artifact.code !== 'string') {
        throw new Error(`c backend cannot load a '${artifact.target}' artifact`);
      }
      const threads = threadCount(build);
      // an artifact made elsewhere (one source text) is one unit
      const units = isCArtifact(artifact) ? artifact.units : [artifact.code];
      const files = await Promise.all(units.map((u) => buildLibrary(u, compiler)));
      return openLibraries(files, isCArtifact(artifact) ? artifact.same : {}, threads);
    },
  };
}
