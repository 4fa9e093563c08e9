/**
 * @file TIR → JavaScript source. The artifact is the body of a function of one parameter
 * (`kiln`, the helpers of runtime.ts) that returns `{ manifest, entries }`; backend.ts turns it
 * into functions with `new Function`. Every identifier in the source is a `safeIdent`, a fixed
 * `kiln_` name, or a JavaScript global (`Math`, `Number`, `BigInt`, typed-array constructors);
 * assert messages appear only as `JSON.stringify` literals.
 *
 *   function kiln_entry_add(A_1, B_2, C_3) {
 *     for (let i_4 = 0, i_4_end = 16; i_4 < i_4_end; i_4++) {
 *       C_3[i_4] = kiln_fround(A_1[i_4] + B_2[i_4]);
 *     }
 *   }
 */

import type { DType } from '../../ir/dtype.js';
import type { Expr, Var } from '../../ir/expr.js';
import type { Allocate, Assert, For, PrimFunc, Store } from '../../tir/stmt.js';
import type { Manifest } from '../abi.js';
import { bufferElems, checkEntries, entryInfo } from '../abi.js';
import { CStylePrinter } from '../cstyle/printer.js';
import type { JsExprContext } from './expr.js';
import { jsExpr } from './expr.js';
import { RUNTIME } from './runtime.js';

const TARGET = 'js';

const ARRAY: Record<DType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int32: 'Int32Array',
  int64: 'BigInt64Array',
  bool: 'Uint8Array',
};

class JsPrinter extends CStylePrinter {
  private readonly arrays = new Set<number>();
  private readonly cx: JsExprContext = {
    ident: (x) => this.ident(x),
    isArray: (v) => this.arrays.has(v.id),
    error: (what) => this.error(what),
  };

  constructor(func: PrimFunc) {
    super(TARGET, func);
  }

  print(): string {
    const params = this.func.params.map((b) => this.ident(b)).join(', ');
    return [`function kiln_entry_${this.func.name}(${params}) {`, ...this.printBody(), '}'].join('\n');
  }

  protected expr(e: Expr): string {
    return jsExpr(e, 0, this.cx);
  }

  private lanes(e: Expr): string[] {
    return Array.from({ length: e.lanes }, (_, l) => jsExpr(e, l, this.cx));
  }

  protected declare(v: Var, value: Expr): string {
    if (value.lanes !== v.lanes) this.error(`let ${this.ident(v)} has ${v.lanes} lanes but its value has ${value.lanes}`);
    if (v.lanes === 1) return `const ${this.ident(v)} = ${this.expr(value)};`;
    this.arrays.add(v.id);
    return `const ${this.ident(v)} = [${this.lanes(value).join(', ')}];`;
  }

  protected loopHead(s: For): string[] {
    const i = this.ident(s.loopVar);
    const min = this.scalar(s.min, 'loop min');
    const extent = this.scalar(s.extent, 'loop extent');
    const end = s.min.kind === 'int' && s.min.value === 0 ? extent : `${min} + ${extent}`;
    return [`for (let ${i} = ${min}, ${i}_end = ${end}; ${i} < ${i}_end; ${i}++)`];
  }

  protected store(s: Store): void {
    if (s.indices.length !== 1) this.error(`store to ${this.ident(s.buffer)} has ${s.indices.length} indices; codegen expects flattened buffers`);
    if (s.value.dtype !== s.buffer.dtype) this.error(`store of ${s.value.dtype} into ${s.buffer.dtype} buffer ${this.ident(s.buffer)}`);
    const index = s.indices[0];
    if (index.lanes !== s.value.lanes) this.error(`store to ${this.ident(s.buffer)}: ${index.lanes} index lanes for ${s.value.lanes} value lanes`);
    const buf = this.ident(s.buffer);
    const put = (v: string): string => (s.buffer.dtype === 'int64' ? `BigInt(${v})` : v);
    if (s.value.lanes === 1) {
      this.line(`${buf}[${this.expr(index)}] = ${put(this.expr(s.value))};`);
      return;
    }
    // All lanes are read before any is written, as a vector store would.
    this.open('');
    this.line(`const ${this.lanes(s.value).map((v, l) => `kiln_v${l} = ${v}`).join(', ')};`);
    this.lanes(index).forEach((i, l) => this.line(`${buf}[${i}] = ${put(`kiln_v${l}`)};`));
    this.close();
  }

  protected allocate(s: Allocate): void {
    this.refuseShared(s);
    this.open('');
    this.line(`const ${this.ident(s.buffer)} = new ${ARRAY[s.buffer.dtype]}(${bufferElems(s.buffer)});`);
    this.stmt(s.body);
    this.close();
  }

  protected assertFail(s: Assert): string[] {
    return [`throw kiln_assertFailed(${JSON.stringify(this.func.name)}, ${JSON.stringify(s.message)});`];
  }
}

/** The JavaScript module text for `funcs` (see the file comment for its shape). */
export function emitJs(funcs: readonly PrimFunc[]): string {
  checkEntries(TARGET, funcs);
  const manifest: Manifest = { entries: funcs.map(entryInfo), messages: [] };
  const helpers = Object.keys(RUNTIME).map((k) => `${k}: kiln_${k}`);
  const entries = funcs.map((f) => `${JSON.stringify(f.name)}: kiln_entry_${f.name}`);
  return [
    '"use strict";',
    `const { ${helpers.join(', ')} } = kiln;`,
    ...funcs.map((f) => new JsPrinter(f).print()),
    `return { manifest: ${JSON.stringify(manifest)}, entries: { ${entries.join(', ')} } };`,
    '',
  ].join('\n');
}
