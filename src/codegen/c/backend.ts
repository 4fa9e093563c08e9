/**
 * @file The c backend: the fastest CPU path. `emit` prints C (emit.ts); `load` builds a shared
 * library through the cache (compile.ts) and binds it with the koffi FFI. Typed arrays are passed
 * without copying: koffi turns the JS array of arguments into the `void *const *args` the kernel
 * ABI expects, each element pointing at the typed array's memory.
 *
 * Arguments are checked against the library's manifest before every call (../abi.ts), because a
 * wrong type or a short array would make native code read or write out of bounds. The thread
 * count belongs to the executable (`BuildOptions.threads` given to `load`, default all cores)
 * and is passed on every call, so executables sharing one library keep their own settings.
 * `dispose` unloads the library; the OpenMP runtime stays loaded (see pinOpenMpRuntime).
 */

import koffi, { type LibraryHandle } from 'koffi';
import { readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import type { PrimFunc } from '../../tir/stmt.js';
import type { Manifest } from '../abi.js';
import { KernelAssertError, checkArgs, findEntry, parseManifest } from '../abi.js';
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

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'kiln');
}

type Kernel = (args: readonly HostArray[], nthreads: number) => number;

function threadCount(opts: BuildOptions | undefined): number {
  const t = opts?.threads ?? availableParallelism();
  if (!Number.isInteger(t) || t < 1 || t > 4096) throw new RangeError(`c backend: threads must be a positive integer, got ${t}`);
  return t;
}

class CExecutable implements Executable {
  private lib: LibraryHandle | null;
  private readonly kernels = new Map<string, Kernel>();

  constructor(
    lib: LibraryHandle,
    private readonly manifest: Manifest,
    private readonly threads: number,
  ) {
    this.lib = lib;
    for (const e of manifest.entries) {
      this.kernels.set(e.name, lib.func(`int32_t kiln_entry_${e.name}(void **args, int32_t nthreads)`) as Kernel);
    }
  }

  run(entry: string, args: readonly HostArray[]): void {
    if (!this.lib) throw new Error(`kernel ${entry}: executable was disposed`);
    checkArgs(findEntry(this.manifest, entry), args);
    const code = this.kernels.get(entry)!(args, this.threads);
    if (code !== 0) throw new KernelAssertError(entry, this.manifest.messages[code - 1] ?? `unknown failure code ${code}`);
  }

  dispose(): void {
    this.lib?.unload();
    this.lib = null;
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

function openLibrary(path: string, threads: number): CExecutable {
  const lib = koffi.load(path);
  pinOpenMpRuntime();
  try {
    const manifestText = (lib.func('const char *kiln_manifest(void)') as () => string)();
    return new CExecutable(lib, parseManifest(manifestText), threads);
  } catch (e) {
    lib.unload();
    throw e;
  }
}

export function createCBackend(opts: CBackendOptions = {}): Backend {
  const compiler = { cc: opts.cc ?? 'cc', cacheDir: opts.cacheDir ?? defaultCacheDir(), fpContract: opts.fpContract ?? 'fast' };
  return {
    name: 'c',
    info: hostTargetInfo(),
    emit(funcs: readonly PrimFunc[]): Artifact {
      return { target: 'c', code: emitC(funcs), entries: funcs.map((f) => f.name) };
    },
    async load(artifact: Artifact, build?: BuildOptions): Promise<Executable> {
      if (artifact.target !== 'c' || typeof artifact.code !== 'string') {
        throw new Error(`c backend cannot load a '${artifact.target}' artifact`);
      }
      const threads = threadCount(build);
      return openLibrary(await buildLibrary(artifact.code, compiler), threads);
    },
  };
}
