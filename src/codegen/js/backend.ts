/**
 * @file The JavaScript backend: the reference target, needing nothing but a JS engine. Kernels
 * run on the calling thread (parallel loops run serially) and vectors are computed lane by lane.
 *
 * Limits: int64 values are loaded from BigInt64Array into doubles and stored back with BigInt,
 * so int64 arithmetic is exact only while every intermediate stays within ±2^53 (beyond that it
 * rounds instead of wrapping like C). Everything else matches the C target bit for bit except
 * libm rounding in math calls and FMA contraction there (see ../c/compile.ts).
 */

import type { Artifact, Backend, BuildOptions, Executable, HostArray, TargetInfo } from '../target.js';
import type { Manifest } from '../abi.js';
import { checkArgs, findEntry, parseManifest } from '../abi.js';
import type { PrimFunc } from '../../tir/stmt.js';
import { emitJs } from './emit.js';
import { RUNTIME } from './runtime.js';

type Kernel = (...args: HostArray[]) => void;

interface JsModule {
  readonly manifest: Manifest;
  readonly entries: Readonly<Record<string, Kernel>>;
}

const INFO: TargetInfo = {
  name: 'js',
  vectorBits: 128,
  cores: 1,
  l1Bytes: 32 * 1024,
  l2Bytes: 1024 * 1024,
  l3Bytes: 8 * 1024 * 1024,
  threads: false,
  sharedMemory: false,
};

function instantiate(code: string): JsModule {
  // Compiling generated source is this backend's purpose; the source holds no model text.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('kiln', code) as (rt: typeof RUNTIME) => unknown;
  const mod = factory(RUNTIME) as { manifest?: unknown; entries?: Record<string, unknown> } | null;
  if (!mod?.entries || typeof mod.manifest !== 'object') throw new Error('js artifact did not define a module');
  const manifest = parseManifest(JSON.stringify(mod.manifest));
  for (const e of manifest.entries) {
    if (typeof mod.entries[e.name] !== 'function') throw new Error(`js artifact lacks entry ${e.name}`);
  }
  return { manifest, entries: mod.entries as Record<string, Kernel> };
}

class JsExecutable implements Executable {
  private mod: JsModule | null;

  constructor(mod: JsModule) {
    this.mod = mod;
  }

  run(entry: string, args: readonly HostArray[]): void {
    if (!this.mod) throw new Error(`kernel ${entry}: executable was disposed`);
    checkArgs(findEntry(this.mod.manifest, entry), args);
    this.mod.entries[entry](...args);
  }

  dispose(): void {
    this.mod = null;
  }
}

function loadJs(artifact: Artifact): Executable {
  if (artifact.target !== 'js' || typeof artifact.code !== 'string') {
    throw new Error(`js backend cannot load a '${artifact.target}' artifact`);
  }
  return new JsExecutable(instantiate(artifact.code));
}

export function createJsBackend(): Backend {
  return {
    name: 'js',
    info: INFO,
    emit(funcs: readonly PrimFunc[]): Artifact {
      return { target: 'js', code: emitJs(funcs), entries: funcs.map((f) => f.name) };
    },
    load(artifact: Artifact, _opts?: BuildOptions): Promise<Executable> {
      try {
        return Promise.resolve(loadJs(artifact));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    loadSync: (artifact: Artifact, _opts?: BuildOptions): Executable => loadJs(artifact),
  };
}
