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
 * `dispose` unloads the libraries; the OpenMP runtime stays loaded (see pinOpenMpRuntime). Its idle
 * workers spin only briefly before they sleep (see OPENMP_SPIN_COUNT).
 */

import koffi, { type LibraryHandle } from 'koffi';
import { readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import type { PrimFunc } from '../../tir/stmt.js';
import type { EntryInfo } from '../abi.js';
import { KernelAssertError, KernelArgError, checkArgs, checkEntries, parseManifest } from '../abi.js';
import type { Artifact, Backend, BuildOptions, Executable, HostArray } from '../target.js';
import { buildLibrary } from './compile.js';
import type { ParallelRuntime } from './emit.js';
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
    if (k === undefined) throw new KernelArgError(entry, `no such entry (artifact has: ${[...this.kernels.keys()].join(', ')})`);
    checkArgs(k.entry, args);
    const code = k.fn(args, this.threads);
    if (code !== 0) throw new KernelAssertError(entry, k.messages[code - 1] ?? `unknown failure code ${code}`);
  }

  dispose(): void {
    for (const lib of this.libs) lib.unload();
    this.libs = [];
  }
}

/** Shared-object names of the OpenMP runtimes a kernel library may link against. */
const OPENMP_RUNTIMES = ['libgomp.so.1', 'libomp.so.5', 'libomp.so', 'libiomp5.so'];
const pinnedRuntimes: LibraryHandle[] = [];

/**
 * Unloading a kernel library must not unload the OpenMP runtime it brought in: the runtime's
 * worker threads stay parked inside its code and would crash the process. After the first
 * library loads, take one reference to each runtime now mapped and keep it for good.
 */
function pinOpenMpRuntime(): void {
  if (pinnedRuntimes.length > 0) return;
  let maps: string | null = null;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    // no /proc: try every known runtime
  }
  for (const name of OPENMP_RUNTIMES) {
    if (maps !== null && !maps.includes(`/${name}`)) continue;
    try {
      pinnedRuntimes.push(koffi.load(name));
    } catch {
      // not installed under this name
    }
  }
}

/**
 * How long an idle OpenMP worker spins before it sleeps, in pause instructions: about 0.6 ms here
 * (a pause is about 20 ns), far longer than the JavaScript between two kernel calls, so a model's
 * kernels find their workers awake. libgomp's default, 300000 (6 ms), keeps a worker spinning
 * through every gap; on a machine shared with other work the scheduler then preempts it, and the
 * next parallel loop waits for it a whole time slice: resnet50 on 2 threads took 5× longer than
 * with 2500 under a load of 15 on 2 cores (1770 ms against 336 ms). On a quiet machine 2500
 * (50 µs) let workers fall asleep inside a run: resnet50, squeezenet and shufflenet at 2 threads
 * took 1.80, 1.55, 1.71× onnxruntime-node's time against 1.47–1.56, 1.46–1.66, 1.38–1.42× with
 * 30000 (bench, two runs).
 */
const OPENMP_SPIN_COUNT = '30000';

/**
 * libgomp reads its settings from the environment once, as it loads with the first kernel
 * library: set the spin count before that, unless the user chose a wait policy of their own.
 */
function setOpenMpWaitPolicy(): void {
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) process.env.GOMP_SPINCOUNT = OPENMP_SPIN_COUNT;
}

/**
 * Loads built libraries (as `load` leaves them, or as a compiled-model cache recorded them) into
 * one executable; `same` names the entries that call another entry's kernel.
 */
export function openLibraries(files: readonly string[], same: Readonly<Record<string, string>>, threads: number): Executable {
  const libs: LibraryHandle[] = [];
  setOpenMpWaitPolicy();
  try {
    const kernels = new Map<string, Bound>();
    for (const file of files) {
      const lib = koffi.load(file);
      libs.push(lib);
      pinOpenMpRuntime();
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
function emitUnits(funcs: readonly PrimFunc[], cores: number, parallel: ParallelRuntime): CArtifact {
  // kernels are compared under one stand-in name, so their own names are checked here first
  checkEntries('c', funcs);
  const first = new Map<string, string>();
  const same: Record<string, string> = {};
  const distinct: { readonly index: number; readonly bytes: number }[] = [];
  funcs.forEach((f, index) => {
    let text: string;
    try {
      text = emitC([{ ...f, name: SAME_NAME }], parallel);
    } catch (e) {
      emitC([f], parallel); // the same failure, naming this kernel
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
  const sources = units.filter((u) => u.members.length > 0).map((u) => emitC(u.members.sort((a, b) => a - b).map((k) => funcs[k]), parallel));
  return { target: 'c', code: sources.join('\n'), entries: funcs.map((f) => f.name), units: sources, same };
}

function isCArtifact(a: Artifact): a is CArtifact {
  return Array.isArray((a as Partial<CArtifact>).units);
}

export function createCBackend(opts: CBackendOptions = {}): Backend {
  const compiler = { cc: opts.cc ?? 'cc', cacheDir: opts.cacheDir ?? defaultCacheDir(), fpContract: opts.fpContract ?? 'fast' };
  const info = hostTargetInfo();
  // A/B only: which runtime parallel loops use
  const parallel: ParallelRuntime = process.env.KILN_C_PARALLEL === 'openmp' ? 'openmp' : 'pool';
  return {
    name: 'c',
    info,
    emit(funcs: readonly PrimFunc[]): CArtifact {
      return emitUnits(funcs, info.cores, parallel);
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
