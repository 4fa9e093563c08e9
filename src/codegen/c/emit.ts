/**
 * @file TIR → C source for the c backend. Each PrimFunc becomes a `static` kernel taking
 * `restrict` pointers (const where it never stores; plain for the pairs the function declares
 * may alias, an output written in place over an input) plus the thread count, and an exported
 * wrapper with the uniform ABI `int32_t kiln_entry_<name>(void *const *args, int32_t nthreads)`.
 * `kiln_manifest()` returns the manifest (../abi.ts) as JSON, assert messages included, so the
 * library describes itself.
 *
 * Parallel loops run on kiln's thread pool (pool.ts): a loop's body becomes a function of a range
 * of the loop and of the values the body uses from the kernel (buffers as restrict pointers,
 * enclosing loop and let variables), which the pool calls per chunk through a task that unpacks
 * them from a struct on the kernel's stack. A parallel loop inside another runs serially in its
 * body.
 *
 * Failures: a failed assert (or a failed heap allocation) stores its code in `kiln_err` and jumps
 * to the exit of the innermost scope that must clean up: a heap buffer (freed, then on outward),
 * a parallel loop body (the iteration ends; the outlined function returns the code, and the
 * kernel checks what the pool returns), or the function.
 *
 * Storage: 'local' buffers up to 16 KiB live on the stack (64-byte aligned) so the compiler can
 * keep a register tile in registers; larger ones and 'global' ones are 64-byte aligned heap
 * blocks freed at the end of their scope.
 */

import { bytesOf } from '../../ir/dtype.js';
import type { Buffer, Expr, Var } from '../../ir/expr.js';
import { children } from '../../ir/visit.js';
import type { Allocate, Assert, For, PrimFunc, Stmt, Store } from '../../tir/stmt.js';
import { stmtChildren, stmtExprs, visitStmt } from '../../tir/visit.js';
import type { Manifest } from '../abi.js';
import { bufferElems, checkEntries, entryInfo } from '../abi.js';
import { CStylePrinter } from '../cstyle/printer.js';
import type { CExprContext } from './expr.js';
import { cExpr, cType } from './expr.js';
import { C_PRELUDE } from './prelude.js';
import { cStringLiteral, physLanes, scalarType } from './types.js';
import { VectorLib } from './vectors.js';

const TARGET = 'c';
const STACK_LIMIT_BYTES = 16 * 1024;
const MAX_UNROLL = 64;

interface Exit {
  readonly label: string;
  used: boolean;
}

class CPrinter extends CStylePrinter {
  private readonly exits: Exit[] = [{ label: 'kiln_done', used: false }];
  private labels = 0;
  private readonly cx: CExprContext;
  /** functions outlined from this kernel's parallel loops, printed before it */
  private readonly outlined: string[] = [];
  /** in an outlined loop body: the loop whose range the pool hands in */
  private rangeLoop: For | null = null;

  constructor(
    func: PrimFunc,
    private readonly lib: VectorLib,
    private readonly messageCode: (message: string) => number,
    /** the kernel's printer, for an outlined body: identifiers are the kernel's */
    private readonly kernel: CPrinter | null = null,
  ) {
    super(TARGET, func);
    this.cx = { lib, ident: (x) => this.ident(x), error: (what) => this.error(what) };
  }

  protected override ident(x: Var | Buffer): string {
    return this.kernel === null ? super.ident(x) : this.kernel.ident(x);
  }

  print(): string {
    const { name } = this.func;
    const { params: infos, aliases } = entryInfo(this.func);
    const written = infos.map((p) => p.written);
    // a parameter that may share memory with another (in place) must not promise otherwise
    const aliased = new Set(aliases.flatMap((a) => [a.written, a.read]));
    const params = this.func.params.map((b, i) => `${written[i] ? '' : 'const '}${scalarType(b.dtype)} *${aliased.has(i) ? '' : 'restrict '}${this.ident(b)}`);
    const args = this.func.params.map((b, i) => `(${written[i] ? '' : 'const '}${scalarType(b.dtype)} *)args[${i}]`);
    const body = this.printBody();
    const failing = this.exits[0].used;
    return [
      ...this.outlined,
      `static int32_t kiln_impl_${name}(${[...params, 'int32_t kiln_nthreads'].join(', ')}) {`,
      ...(failing ? ['  int32_t kiln_err = 0;'] : []),
      ...body,
      ...(failing ? ['kiln_done:', '  return kiln_err;'] : ['  return 0;']),
      '}',
      '',
      `KILN_EXPORT int32_t kiln_entry_${name}(void *const *args, int32_t nthreads) {`,
      `  return kiln_impl_${name}(${[...args, 'nthreads'].join(', ')});`,
      '}',
      '',
    ].join('\n');
  }

  protected expr(e: Expr): string {
    return cExpr(e, this.cx);
  }

  protected declare(v: Var, value: Expr): string {
    if (value.lanes !== v.lanes) this.error(`let ${this.ident(v)} has ${v.lanes} lanes but its value has ${value.lanes}`);
    return `const ${cType(v.dtype, v.lanes, this.lib)} ${this.ident(v)} = ${this.expr(value)};`;
  }

  protected loopHead(s: For): string[] {
    const i = this.ident(s.loopVar);
    if (s.loopVar.dtype !== 'int32' && s.loopVar.dtype !== 'int64') this.error(`loop ${i} has a ${s.loopVar.dtype} variable`);
    const min = this.scalar(s.min, 'loop min');
    const extent = this.scalar(s.extent, 'loop extent');
    const end = s.min.kind === 'int' && s.min.value === 0 ? extent : `${min} + ${extent}`;
    const head = `for (${scalarType(s.loopVar.dtype)} ${i} = ${min}; ${i} < ${end}; ++${i})`;
    if (s.forKind === 'unrolled' && s.extent.kind === 'int' && s.extent.value > 1) {
      return [`#pragma GCC unroll ${Math.min(s.extent.value, MAX_UNROLL)}`, head];
    }
    return [head];
  }

  /** A parallel loop goes to the pool; inside an outlined body, nested ones run serially. */
  protected override forLoop(s: For): void {
    if (s === this.rangeLoop) return this.rangeLoopBody(s);
    if (s.forKind !== 'parallel') return super.forLoop(s);
    if (this.kernel === null) return this.callPool(s);
    super.forLoop({ ...s, forKind: 'serial' });
  }

  /** The outlined loop over the pool's range: each iteration has its own exit. */
  private rangeLoopBody(s: For): void {
    const i = this.ident(s.loopVar);
    if (s.loopVar.dtype !== 'int32' && s.loopVar.dtype !== 'int64') this.error(`loop ${i} has a ${s.loopVar.dtype} variable`);
    this.open(`for (${scalarType(s.loopVar.dtype)} ${i} = kiln_lo; ${i} < kiln_hi; ++${i})`);
    const exit = this.pushExit();
    this.stmt(s.body);
    this.exits.pop();
    if (exit.used) this.line(`${exit.label}:;`);
    this.close();
    if (exit.used) this.line(`if (kiln_err != 0) goto ${this.innerExit()};`);
  }

  /** Outlines parallel loop `s` (see the file comment) and calls the pool with it. */
  private callPool(s: For): void {
    const root = this.kernel ?? this;
    const fn = `kiln_${this.func.name}_par${root.outlined.length + 1}`;
    const { vars, buffers, written } = captures(s);
    const { aliases } = entryInfo(this.func);
    const aliased = new Set(aliases.flatMap((a) => [this.func.params[a.written].id, this.func.params[a.read].id]));
    const pointer = (b: Buffer, restrict: boolean): string =>
      `${written.has(b.id) ? '' : 'const '}${scalarType(b.dtype)} *${restrict && !aliased.has(b.id) ? 'restrict ' : ''}${this.ident(b)}`;
    const scalars = vars.map((v) => `const ${cType(v.dtype, v.lanes, this.lib)} ${this.ident(v)}`);
    const names = [...buffers, ...vars].map((x) => this.ident(x));
    const body = new CPrinter({ ...this.func, body: s }, this.lib, this.messageCode, root);
    root.outlined.push(
      body.printRange(s, fn, [...buffers.map((b) => pointer(b, true)), ...scalars]),
      [
        `struct ${fn}_args { ${[...buffers.map((b) => pointer(b, false)), ...scalars].map((f) => `${f};`).join(' ')} };`,
        `static int32_t ${fn}_task(void *kiln_p, int64_t kiln_lo, int64_t kiln_hi) {`,
        `  const struct ${fn}_args *kiln_a = (const struct ${fn}_args *)kiln_p;`,
        `  return ${fn}(${['kiln_lo', 'kiln_hi', ...names.map((n) => `kiln_a->${n}`)].join(', ')});`,
        '}',
        '',
      ].join('\n'),
    );
    const min = this.scalar(s.min, 'loop min');
    const end = s.min.kind === 'int' && s.min.value === 0 ? this.scalar(s.extent, 'loop extent') : `${min} + ${this.scalar(s.extent, 'loop extent')}`;
    const n = ++this.labels;
    this.open('');
    this.line(`const struct ${fn}_args kiln_args${n} = { ${names.join(', ')} };`);
    this.line(`const int32_t kiln_r${n} = kiln_parallel(${fn}_task, (void *)&kiln_args${n}, ${min}, ${end}, kiln_nthreads);`);
    this.open(`if (kiln_r${n} != 0)`);
    this.line(`kiln_err = kiln_r${n};`);
    this.line(`goto ${this.innerExit()};`);
    this.close();
    this.close();
  }

  /** The outlined body of parallel loop `s` as function `fn` over [kiln_lo, kiln_hi). */
  private printRange(s: For, fn: string, fields: readonly string[]): string {
    this.rangeLoop = s;
    const body = this.printBody();
    return [
      `static int32_t ${fn}(${['int64_t kiln_lo', 'int64_t kiln_hi', ...fields].join(', ')}) {`,
      ...(this.exits[0].used ? ['  int32_t kiln_err = 0;'] : []),
      ...body,
      ...(this.exits[0].used ? ['kiln_done:', '  return kiln_err;'] : ['  return 0;']),
      '}',
      '',
    ].join('\n');
  }

  protected store(s: Store): void {
    const buf = this.ident(s.buffer);
    if (s.indices.length !== 1) this.error(`store to ${buf} has ${s.indices.length} indices; codegen expects flattened buffers`);
    if (s.value.dtype !== s.buffer.dtype) this.error(`store of ${s.value.dtype} into ${s.buffer.dtype} buffer ${buf}`);
    const idx = s.indices[0];
    const t = s.buffer.dtype;
    const lanes = s.value.lanes;
    if (idx.lanes !== lanes) this.error(`store to ${buf}: ${idx.lanes} index lanes for ${lanes} value lanes`);
    const v = this.expr(s.value);
    if (lanes === 1) return this.line(`${buf}[${this.expr(idx)}] = ${v};`);
    if (idx.kind === 'ramp') {
      const base = this.expr(idx.base);
      if (idx.stride === 1 && physLanes(lanes) === lanes && t !== 'bool') {
        return this.line(`*(${this.lib.type(t, lanes)} *)(${buf} + ${base}) = ${v};`);
      }
      return this.line(`${this.lib.scatter(t, lanes)}(${buf} + ${base}, ${idx.stride}, ${v});`);
    }
    if (idx.kind === 'broadcast') return this.line(`${this.lib.scatter(t, lanes)}(${buf} + ${this.expr(idx.value)}, 0, ${v});`);
    this.line(`${this.lib.scatterIndexed(t, lanes, idx.dtype)}(${buf}, ${this.expr(idx)}, ${v});`);
  }

  protected allocate(s: Allocate): void {
    this.refuseShared(s);
    const b = s.buffer;
    const name = this.ident(b);
    const T = scalarType(b.dtype);
    const elems = Math.max(1, bufferElems(b));
    const bytes = elems * bytesOf(b.dtype);
    this.open('');
    if (b.scope === 'local' && bytes <= STACK_LIMIT_BYTES) {
      this.line(`${T} ${name}[${elems}]${bytes >= 64 ? ' __attribute__((aligned(64)))' : ''};`);
      this.stmt(s.body);
      return this.close();
    }
    const rounded = Math.ceil(bytes / 64) * 64;
    this.line(`${T} *restrict ${name} = (${T} *)aligned_alloc(64, ${rounded});`);
    this.open(`if (${name} == NULL)`);
    this.fail(this.messageCode(`out of memory allocating ${rounded} bytes`)).forEach((l) => this.line(l));
    this.close();
    const exit = this.pushExit();
    this.stmt(s.body);
    this.exits.pop();
    this.line(`free(${name});`);
    if (exit.used) {
      this.open('if (0)');
      this.line(`${exit.label}: /* failure: release, then leave the enclosing scope */`);
      this.line(`free(${name});`);
      this.line(`goto ${this.innerExit()};`);
      this.close();
    }
    this.close();
  }

  protected assertFail(s: Assert): string[] {
    return this.fail(this.messageCode(s.message));
  }

  private fail(code: number): string[] {
    return [`kiln_err = ${code};`, `goto ${this.innerExit()};`];
  }

  private pushExit(): Exit {
    const exit = { label: `kiln_exit_${++this.labels}`, used: false };
    this.exits.push(exit);
    return exit;
  }

  /** The label a failure here jumps to (marked as used). */
  private innerExit(): string {
    const exit = this.exits[this.exits.length - 1];
    exit.used = true;
    return exit.label;
  }
}

/**
 * What the body of loop `s` uses from outside it: buffers (in order of first use, with those it
 * stores to) and variables not bound inside it.
 */
function captures(s: For): { vars: Var[]; buffers: Buffer[]; written: Set<number> } {
  const vars = new Map<number, Var>();
  const buffers = new Map<number, Buffer>();
  const written = new Set<number>();
  const expr = (e: Expr, bound: ReadonlySet<number>): void => {
    if (e.kind === 'var') {
      if (!bound.has(e.id)) vars.set(e.id, e);
      return;
    }
    if (e.kind === 'load') buffers.set(e.buffer.id, e.buffer);
    if (e.kind === 'let') {
      expr(e.value, bound);
      return expr(e.body, new Set([...bound, e.v.id]));
    }
    children(e).forEach((c) => expr(c, bound));
  };
  const stmt = (t: Stmt, bound: ReadonlySet<number>): void => {
    stmtExprs(t).forEach((e) => expr(e, bound));
    if (t.kind === 'store') {
      buffers.set(t.buffer.id, t.buffer);
      written.add(t.buffer.id);
    }
    const inner = t.kind === 'for' ? t.loopVar.id : t.kind === 'let' ? t.v.id : t.kind === 'allocate' ? t.buffer.id : null;
    const next = inner === null ? bound : new Set([...bound, inner]);
    stmtChildren(t).forEach((c) => stmt(c, next));
  };
  stmt(s.body, new Set([s.loopVar.id]));
  const allocated = new Set<number>();
  visitStmt(s, (t) => void (t.kind === 'allocate' && allocated.add(t.buffer.id)));
  return { vars: [...vars.values()], buffers: [...buffers.values()].filter((b) => !allocated.has(b.id)), written };
}

function manifestFunction(m: Manifest): string {
  const chars = [...JSON.stringify(m)];
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += 32) pieces.push(`    ${cStringLiteral(chars.slice(i, i + 32).join(''))}`);
  return ['KILN_EXPORT const char *kiln_manifest(void) {', '  return', `${pieces.join('\n')};`, '}', ''].join('\n');
}

/** The C translation unit for `funcs`. */
export function emitC(funcs: readonly PrimFunc[]): string {
  checkEntries(TARGET, funcs);
  const lib = new VectorLib();
  const messages: string[] = [];
  const codes = new Map<string, number>();
  const messageCode = (message: string): number => {
    let code = codes.get(message);
    if (code === undefined) {
      code = messages.push(message);
      codes.set(message, code);
    }
    return code;
  };
  const kernels = funcs.map((f) => new CPrinter(f, lib, messageCode).print());
  const manifest: Manifest = { entries: funcs.map(entryInfo), messages };
  return [C_PRELUDE, lib.text(), '', ...kernels, manifestFunction(manifest)].join('\n');
}
