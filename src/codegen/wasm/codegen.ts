/**
 * @file TIR → one WebAssembly module. Each PrimFunc becomes an exported function taking one i32
 * base address per buffer parameter: the runtime passes the address of an argument that already
 * lives in the module's memory (the model's arena, runtime.ts), and copies any other into its
 * planned parameter region and passes that; the module also carries the math functions it uses, the thread-pool runtime when
 * it has parallel loops, and its metadata in the "kiln" custom section.
 *
 * Nothing from the IR's names reaches the binary: exports are `k0, k1, …`, debug names are
 * generated, and PrimFunc names live only in the metadata (and are checked to be identifiers).
 */

import type { PrimFunc, Stmt } from '../../tir/stmt.js';
import { visitStmt } from '../../tir/visit.js';
import { ModuleBuilder } from './builder.js';
import type { ModuleContext } from './context.js';
import { FuncContext } from './context.js';
import { checkEntries, CodegenError, entryInfo } from '../abi.js';
import type { ParamRegion } from './layout.js';
import { align, CLOSURE_OFFSET, CLOSURE_SLOT_BYTES, CLOSURE_SLOTS, CONTROL_BYTES, MAX_MEMORY_BYTES, memoryBytes, planParams } from './layout.js';
import type { HostFn } from './math/library.js';
import { HOST_FNS, MathLibrary } from './math/library.js';
import type { EntryMeta, WasmMeta } from './meta.js';
import { encodeMeta, META_SECTION } from './meta.js';
import { ParallelRuntime } from './parallel.js';
import { emitStmt } from './stmt.js';

export interface EmitOptions {
  /** threads parallel loops may use; 1 emits them as serial loops and needs no shared memory */
  readonly threads: number;
  /** fuse float32 vector multiply-adds into f32x4.relaxed_madd (see relaxed.ts) */
  readonly relaxedSimd?: boolean;
}

interface Scan {
  readonly parallel: boolean;
  readonly hostFns: Set<HostFn>;
}

/** What the module needs before any function is written: imports must come first. */
function scan(funcs: readonly PrimFunc[]): Scan {
  let parallel = false;
  const hostFns = new Set<HostFn>();
  for (const f of funcs) {
    visitStmt(
      f.body,
      (s) => {
        if (s.kind === 'for' && s.forKind === 'parallel') parallel = true;
      },
      (e) => {
        if (e.kind !== 'call' || e.dtype !== 'float64') return;
        if (HOST_FNS.has(e.fn)) hostFns.add(e.fn as HostFn);
        if (e.fn === 'erf') hostFns.add('exp');
      },
    );
  }
  return { parallel, hostFns };
}

function writtenBuffers(body: Stmt): Set<number> {
  const out = new Set<number>();
  visitStmt(body, (s) => {
    if (s.kind === 'store') out.add(s.buffer.id);
  });
  return out;
}

function checkParams(funcs: readonly PrimFunc[]): void {
  for (const f of funcs) {
    const ids = new Set(f.params.map((p) => p.id));
    if (ids.size !== f.params.length) throw new CodegenError('wasm', f.name, 'a buffer is passed twice');
  }
}

function emitEntry(mod: ModuleContext, f: PrimFunc, index: number, regions: readonly ParamRegion[]): EntryMeta {
  const fb = mod.mb.func(`kernel${index}`, { params: f.params.map(() => 'i32'), results: [] });
  const fc = new FuncContext(mod, fb, f.name, false, 0);
  f.params.forEach((p, i) => fc.buffers.set(p.id, { kind: 'dynamic', base: fb.params[i] }));
  emitStmt(fc, f.body);
  const exportName = `k${index}`;
  mod.mb.exportFunc(exportName, fb.ref);
  return { name: f.name, exportName, params: regions, aliases: entryInfo(f).aliases };
}

/** Assembles `funcs` into module bytes. */
export function emitModule(funcs: readonly PrimFunc[], options: EmitOptions): Uint8Array {
  checkEntries('wasm', funcs);
  checkParams(funcs);
  const needs = scan(funcs);
  const threaded = needs.parallel && options.threads > 1;
  const paramBase = threaded ? CLOSURE_OFFSET + CLOSURE_SLOTS * CLOSURE_SLOT_BYTES : CONTROL_BYTES;
  const plans = funcs.map((f) => planParams(f.params, writtenBuffers(f.body), paramBase));
  const stackBase = align(Math.max(paramBase, ...plans.map((p) => p.end)), 64);

  const relaxedSimd = options.relaxedSimd ?? false;
  const mb = new ModuleBuilder({ relaxedSimd });
  mb.moduleName('kiln');
  mb.importMemory('env', 'memory', threaded ? { initial: 1, maximum: 65536, shared: true } : { initial: 1 });
  const host = MathLibrary.importHost(mb, needs.hostFns);
  const stackGlobal = mb.global('i32', true, stackBase);
  const mod: ModuleContext = {
    mb,
    math: new MathLibrary(mb, host),
    stackGlobal,
    parallel: threaded ? new ParallelRuntime(mb, stackGlobal) : null,
    messages: [],
    maxStack: 0,
    relaxedSimd,
  };
  const entries = funcs.map((f, i) => emitEntry(mod, f, i, plans[i].regions));
  const stackPerThread = align(mod.maxStack, 64);
  if (memoryBytes(stackBase, stackPerThread, 1) > MAX_MEMORY_BYTES) {
    throw new CodegenError('wasm', funcs.map((f) => f.name).join(', '), `the buffers need ${memoryBytes(stackBase, stackPerThread, 1)} bytes, more than wasm32's 4 GiB`);
  }
  mod.parallel?.finish(stackBase, stackPerThread);
  const meta: WasmMeta = { entries, messages: mod.messages, stackBase, stackPerThread, threaded, relaxedSimd };
  mb.custom(META_SECTION, encodeMeta(meta));
  return mb.finish();
}
