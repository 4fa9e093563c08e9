/**
 * @file State shared while one module is assembled (ModuleContext) and while one wasm function
 * is written (FuncContext): what each TIR variable and buffer is bound to, a pool of reusable
 * temporary locals, and the static depth of the allocation stack.
 *
 * Temporaries follow a stack discipline: a statement marks the pool, and everything acquired
 * while it is emitted is released when it ends, so big unrolled bodies reuse a bounded set of
 * locals instead of declaring thousands.
 */

import type { DType } from '../../ir/dtype.js';
import type { Buffer } from '../../ir/expr.js';
import type { FunctionBuilder, ModuleBuilder } from './builder.js';
import type { Code, Global, Local } from './code.js';
import { CodegenError } from '../abi.js';
import type { MathLibrary } from './math/library.js';
import type { ValType } from './opcodes.js';
import type { ParallelRuntime } from './parallel.js';
import type { RegisterFile } from './registers.js';

/** The wasm type holding one scalar of a dtype; narrow integers and bool live in i32. */
export function wasmType(t: DType): Exclude<ValType, 'v128'> {
  switch (t) {
    case 'float32':
      return 'f32';
    case 'float64':
      return 'f64';
    case 'int64':
      return 'i64';
    default:
      return 'i32';
  }
}

/**
 * A vector value: `packed` holds four lanes per v128 (float32, int32, and bool as all-ones/zero
 * lane masks); `lanes` holds one scalar local per lane (every other case).
 */
export interface VecVal {
  readonly form: 'packed' | 'lanes';
  readonly dtype: DType;
  readonly lanes: number;
  readonly parts: readonly Local[];
}

/** A scalar known to be ≥ 0 (a loop counter from 0, say) lets addresses use the offset immediate. */
export type Binding = { readonly kind: 'scalar'; readonly local: Local; readonly nonNegative?: boolean } | { readonly kind: 'vector'; readonly value: VecVal };

/**
 * Where a buffer lives: at an address held in a local (parameters, allocations), or in locals
 * altogether (small local buffers, see registers.ts).
 */
export type BufferLoc =
  | { readonly kind: 'dynamic'; readonly base: Local }
  | { readonly kind: 'registers'; readonly file: RegisterFile };

export interface ModuleContext {
  readonly mb: ModuleBuilder;
  readonly math: MathLibrary;
  /** the per-instance (so per-thread) base address of the allocation stack */
  readonly stackGlobal: Global;
  /** present when parallel loops run on the thread pool */
  readonly parallel: ParallelRuntime | null;
  /** assert messages; an assert stores its index + 1 before trapping */
  readonly messages: string[];
  /** deepest allocation stack seen in any function, in bytes */
  maxStack: number;
  /** float32 vector multiply-adds become f32x4.relaxed_madd */
  readonly relaxedSimd: boolean;
}

class LocalPool {
  private readonly free = new Map<ValType, Local[]>();
  private readonly live: Local[] = [];

  constructor(private readonly fb: FunctionBuilder) {}

  acquire(type: ValType): Local {
    const l = this.free.get(type)?.pop() ?? this.fb.local(type);
    this.live.push(l);
    return l;
  }

  mark(): number {
    return this.live.length;
  }

  release(mark: number): void {
    while (this.live.length > mark) {
      const l = this.live.pop()!;
      let list = this.free.get(l.type);
      if (!list) {
        list = [];
        this.free.set(l.type, list);
      }
      list.push(l);
    }
  }
}

export class FuncContext {
  readonly code: Code;
  readonly vars = new Map<number, Binding>();
  readonly buffers = new Map<number, BufferLoc>();
  private readonly pool: LocalPool;
  /** ids of loop variables whose loops must be unrolled (they index a register file) */
  readonly unroll = new Set<number>();
  /** bytes of the allocation stack in use at the current point */
  stackDepth: number;
  /** this thread's stack base, read from the global once at entry */
  readonly stackBase: Local;
  /**
   * the lanes of the vector being computed that are used (one side of a select on lanes known at
   * compile time): its vector loads read only those, since the others may lie out of bounds
   */
  laneMask: readonly boolean[] | null = null;

  constructor(
    readonly mod: ModuleContext,
    readonly fb: FunctionBuilder,
    /** the PrimFunc name, for error messages */
    readonly where: string,
    /** true inside an outlined parallel task: nested parallel loops run serially */
    readonly inTask: boolean,
    stackDepth: number,
  ) {
    this.code = fb.code;
    this.pool = new LocalPool(fb);
    this.stackDepth = stackDepth;
    this.stackBase = fb.local('i32', 'stack');
    this.code.globalGet(mod.stackGlobal).localSet(this.stackBase);
  }

  error(message: string): CodegenError {
    return new CodegenError('wasm', this.where, message);
  }

  temp(type: ValType): Local {
    return this.pool.acquire(type);
  }

  mark(): number {
    return this.pool.mark();
  }

  release(mark: number): void {
    this.pool.release(mark);
  }

  buffer(b: Buffer): BufferLoc {
    const loc = this.buffers.get(b.id);
    if (!loc) throw this.error(`buffer #${b.id} is neither a parameter nor allocated here`);
    return loc;
  }

  binding(id: number): Binding {
    const bnd = this.vars.get(id);
    if (!bnd) throw this.error(`variable #${id} is used outside its scope`);
    return bnd;
  }

  /** Binds `id` for the duration of `body`. */
  scoped<T>(id: number, bnd: Binding, body: () => T): T {
    this.vars.set(id, bnd);
    try {
      return body();
    } finally {
      this.vars.delete(id);
    }
  }
}
