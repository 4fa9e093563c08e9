/**
 * @file Loading a wasm artifact and running its entries. Memory is sized from the artifact's
 * metadata for the requested thread count; a run checks the arguments like every CPU backend
 * (../abi.ts) and passes the entry each argument's address. An argument that is a view of the
 * module's memory (the arena `arena()` hands out, where a model keeps its intermediate values)
 * is used where it is; any other is copied into its planned region, and copied back after the
 * run when the entry writes it. Traps and failed asserts come back as typed errors. Overlapping
 * arguments are only the declared aliases (checkArgs), which the kernel is written to allow.
 */

import { bytesOf } from '../../ir/dtype.js';
import type { EntryInfo, Manifest } from '../abi.js';
import { checkArgs, findEntry, KernelAssertError, validAlias } from '../abi.js';
import type { Artifact, BuildOptions, Executable, HostArray } from '../target.js';
import { RelaxedSimdError, WasmRuntimeError } from './errors.js';
import { HOST_CORES } from './host.js';
import type { ParamRegion } from './layout.js';
import { CTRL, MAX_MEMORY_BYTES, memoryBytes, PAGE_BYTES } from './layout.js';
import { HOST_FNS, HOST_MODULE } from './math/library.js';
import type { EntryMeta, WasmMeta } from './meta.js';
import { META_SECTION, parseMeta } from './meta.js';
import { MIN_PARALLEL_WORK } from './parallel.js';
import { WorkerPool } from './pool.js';
import { enableRelaxedSimd, relaxedSimdSupported } from './relaxed.js';

/** The most threads a pool may have (the control block counts them in 32 bits, the OS in fewer). */
const MAX_THREADS = 256;

/** The import object, checking that the module asks for nothing but memory and Math functions. */
function importsFor(module: WebAssembly.Module, memory: WebAssembly.Memory): { imports: WebAssembly.Imports; hostFns: string[] } {
  const hostFns: string[] = [];
  const math: Record<string, WebAssembly.ImportValue> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === 'env' && imp.name === 'memory' && imp.kind === 'memory') continue;
    if (imp.module !== HOST_MODULE || imp.kind !== 'function' || !HOST_FNS.has(imp.name)) {
      throw new WasmRuntimeError(`wasm artifact: unexpected import ${imp.module}.${imp.name}`);
    }
    hostFns.push(imp.name);
    // the original Math functions (which ignore `this`) are what V8 calls natively from wasm
    // eslint-disable-next-line @typescript-eslint/unbound-method
    math[imp.name] = Math[imp.name as 'exp'];
  }
  return { imports: { env: { memory }, [HOST_MODULE]: math }, hostFns };
}

class WasmExecutable implements Executable {
  private disposed = false;
  private arenaGiven = false;
  /**
   * The buffer the arena's views were made on. Growing any shared memory of the isolate gives
   * every shared memory a new buffer object (V8), so `memory.buffer` alone would stop
   * recognizing the arena and every call would copy its arguments.
   */
  private arenaBuffer: ArrayBufferLike | undefined;
  /** the shared ABI's view of the entries, for argument checks */
  private readonly manifest: Manifest;

  constructor(
    private readonly meta: WasmMeta,
    private readonly memory: WebAssembly.Memory,
    private readonly exports: Record<string, unknown>,
    private readonly pool: WorkerPool | null,
  ) {
    const entries: EntryInfo[] = meta.entries.map((e) => ({
      name: e.name,
      params: e.params.map((p) => ({ dtype: p.dtype, elems: p.length, written: p.written })),
      aliases: e.aliases,
    }));
    if (!entries.every((e) => e.aliases.every((a) => validAlias(e.params, a)))) throw new WasmRuntimeError('wasm artifact: corrupt metadata (alias)');
    this.manifest = { entries, messages: meta.messages };
  }

  private entry(name: string): { info: EntryInfo; meta: EntryMeta; fn: (...bases: number[]) => void } {
    const info = findEntry(this.manifest, name);
    const meta = this.meta.entries.find((e) => e.name === name);
    const fn = meta ? this.exports[meta.exportName] : undefined;
    if (!meta || typeof fn !== 'function') throw new WasmRuntimeError(`wasm artifact: entry ${name} is not exported`);
    return { info, meta, fn: fn as (...bases: number[]) => void };
  }

  /** The bytes of `a` that the region of `p` holds (an argument may be longer than the region). */
  private static bytes(a: HostArray, p: ParamRegion): Uint8Array {
    return new Uint8Array(a.buffer, a.byteOffset, p.length * bytesOf(p.dtype));
  }

  run(name: string, args: readonly HostArray[]): void {
    if (this.disposed) throw new WasmRuntimeError(`wasm: ${name}: the executable was disposed`);
    const { info, meta, fn } = this.entry(name);
    checkArgs(info, args);
    const memory = this.memory.buffer;
    const resident = args.map((a) => a.buffer === memory || a.buffer === this.arenaBuffer);
    const bases = meta.params.map((p, i) => {
      if (resident[i]) return args[i].byteOffset;
      new Uint8Array(memory, p.offset).set(WasmExecutable.bytes(args[i], p));
      return p.offset;
    });
    const ctrl = new Int32Array(memory, 0, 16);
    Atomics.store(ctrl, CTRL.err >> 2, 0);
    try {
      fn(...bases);
    } catch (e) {
      this.pool?.waitIdle();
      throw this.failure(name, ctrl, e);
    }
    if (Atomics.load(ctrl, CTRL.err >> 2) !== 0) throw this.failure(name, ctrl, null);
    meta.params.forEach((p, i) => {
      if (p.written && !resident[i]) WasmExecutable.bytes(args[i], p).set(new Uint8Array(memory, p.offset, p.length * bytesOf(p.dtype)));
    });
  }

  /**
   * `bytes` of the module's memory past everything the kernels use, for a model's arena: views
   * of it are passed to kernels without copies. Growing a non-shared memory detaches its old
   * views, so the memory grows at most once; later calls (and a memory that cannot grow that
   * far) get undefined, and the caller keeps its arena outside.
   */
  arena(bytes: number): Uint8Array | undefined {
    if (this.disposed || this.arenaGiven) return undefined;
    this.arenaGiven = true;
    const start = this.memory.buffer.byteLength;
    if (start + bytes > MAX_MEMORY_BYTES) return undefined;
    try {
      this.memory.grow(Math.ceil(bytes / PAGE_BYTES));
    } catch (e) {
      if (e instanceof RangeError) return undefined;
      throw e;
    }
    this.arenaBuffer = this.memory.buffer;
    return new Uint8Array(this.arenaBuffer, start, bytes);
  }

  private failure(name: string, ctrl: Int32Array, cause: unknown): Error {
    const code = Atomics.load(ctrl, CTRL.err >> 2);
    if (code > 0) return new KernelAssertError(name, this.meta.messages[code - 1] ?? `message #${code - 1}`);
    if (code < 0) return new WasmRuntimeError(`wasm: ${name}: a parallel task trapped in a worker thread`);
    if (cause instanceof WebAssembly.RuntimeError) return new WasmRuntimeError(`wasm: ${name}: trap: ${cause.message}`);
    return cause instanceof Error ? cause : new WasmRuntimeError(`wasm: ${name}: ${String(cause)}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
  }
}

function moduleBytes(artifact: Artifact): Uint8Array {
  if (artifact.target !== 'wasm' || !(artifact.code instanceof Uint8Array)) throw new WasmRuntimeError(`wasm: cannot load a ${artifact.target} artifact`);
  return artifact.code;
}

function invalid(e: unknown): WasmRuntimeError {
  return new WasmRuntimeError(`wasm artifact: invalid module: ${e instanceof Error ? e.message : String(e)}`);
}

interface Prepared {
  readonly meta: WasmMeta;
  readonly memory: WebAssembly.Memory;
  readonly imports: WebAssembly.Imports;
  readonly hostFns: readonly string[];
  readonly threads: number;
}

/** Whether this thread may sleep in Atomics.wait (a browser's main thread may not). */
function callerMayBlock(): boolean {
  try {
    // returns at once: the value differs
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** What loading a wasm artifact takes beyond every backend's options. */
export interface WasmLoadOptions extends BuildOptions {
  /** estimated operations below which a parallel loop runs on the calling thread (default MIN_PARALLEL_WORK; tests set 0 to run even tiny loops on the pool) */
  readonly minParallelWork?: number;
}

/** Reads the metadata and makes the memory, sized for `wanted` threads when the module has parallel loops. */
function prepare(module: WebAssembly.Module, wanted: number, minWork = MIN_PARALLEL_WORK): Prepared {
  const meta = parseMeta(WebAssembly.Module.customSections(module, META_SECTION));
  const threads = meta.threaded ? Math.min(MAX_THREADS, Math.max(1, Math.floor(wanted))) : 1;
  const bytes = memoryBytes(meta.stackBase, meta.stackPerThread, threads);
  if (bytes > MAX_MEMORY_BYTES) throw new WasmRuntimeError(`wasm: ${threads} threads need ${bytes} bytes of memory, more than 4 GiB`);
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  // a shared memory grows only up to its maximum: room for the arena (virtual until grown)
  const memory = new WebAssembly.Memory(meta.threaded ? { initial: pages, maximum: MAX_MEMORY_BYTES / PAGE_BYTES, shared: true } : { initial: pages });
  const ctrl = new Int32Array(memory.buffer, 0, 16);
  Atomics.store(ctrl, CTRL.threads >> 2, threads);
  Atomics.store(ctrl, CTRL.block >> 2, threads > 1 && callerMayBlock() ? 1 : 0);
  Atomics.store(ctrl, CTRL.minWork >> 2, Math.min(0x7fffffff, Math.max(0, Math.floor(minWork))));
  return { meta, memory, threads, ...importsFor(module, memory) };
}

/** Compiles and instantiates an artifact; starts the thread pool when it has parallel loops. */
export async function loadWasm(artifact: Artifact, opts: WasmLoadOptions = {}): Promise<Executable> {
  if (opts.relaxedSimd) await enableRelaxedSimd();
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(moduleBytes(artifact));
  } catch (e) {
    throw e instanceof WasmRuntimeError ? e : invalid(e);
  }
  const p = prepare(module, opts.threads ?? HOST_CORES, opts.minParallelWork);
  const instance = await WebAssembly.instantiate(module, p.imports);
  const pool = p.threads > 1 ? await WorkerPool.start(module, p.memory, p.threads - 1, p.hostFns) : null;
  return new WasmExecutable(p.meta, p.memory, instance.exports, pool);
}

/** Loads without waiting: parallel loops run on the calling thread (starting workers is asynchronous). */
export function loadWasmSync(artifact: Artifact, opts: BuildOptions = {}): Executable {
  if (opts.relaxedSimd && !relaxedSimdSupported()) throw new RelaxedSimdError('relaxed SIMD is not enabled in this engine (load asynchronously to enable it)');
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(moduleBytes(artifact));
  } catch (e) {
    throw e instanceof WasmRuntimeError ? e : invalid(e);
  }
  const p = prepare(module, 1);
  return new WasmExecutable(p.meta, p.memory, new WebAssembly.Instance(module, p.imports).exports, null);
}
