/**
 * @file What the wasm target knows about the machine it runs on. In Node the core count comes
 * from `os`, in a browser from `navigator`; nothing else is probed (cache sizes are typical
 * desktop values, since WebAssembly cannot observe them).
 */

const nodeOs = typeof process !== 'undefined' && process.versions?.node !== undefined ? await import('node:os') : null;

function cores(): number {
  if (nodeOs) return nodeOs.availableParallelism();
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

export const HOST_CORES = Math.max(1, cores());
