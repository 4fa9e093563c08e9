/**
 * @file The registry of code generation targets: one default backend instance per name, made on
 * first use. A new target adds its name to `TargetName` and its factory to `FACTORIES`; nothing
 * else in the compiler changes.
 */

import { createCBackend } from './c/backend.js';
import { createJsBackend } from './js/backend.js';
import type { Backend } from './target.js';
import { wasmBackend } from './wasm/index.js';

export type TargetName = 'js' | 'c' | 'wasm';

const FACTORIES: Record<TargetName, () => Backend> = {
  js: createJsBackend,
  c: () => createCBackend(),
  wasm: () => wasmBackend,
};

export const TARGET_NAMES = Object.keys(FACTORIES) as TargetName[];

const instances = new Map<TargetName, Backend>();

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(FACTORIES, name);
}

/** The default backend for `name` (the c backend caches libraries under ~/.cache/kiln). */
export function getBackend(name: TargetName): Backend {
  if (!isTargetName(name)) throw new Error(`unknown target '${String(name)}' (known: ${TARGET_NAMES.join(', ')})`);
  let b = instances.get(name);
  if (!b) {
    b = FACTORIES[name]();
    instances.set(name, b);
  }
  return b;
}

export { createCBackend, defaultCacheDir, type CBackendOptions } from './c/backend.js';
export { CompileError, CompilerNotFoundError } from './c/compile.js';
export { createJsBackend } from './js/backend.js';
export { CodegenError, KernelArgError, KernelAssertError } from './abi.js';
