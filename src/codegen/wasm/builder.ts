/**
 * @file A small typed WebAssembly module builder: types, imports, functions with locals,
 * globals, memory, exports, data, custom sections and a name section. kiln assembles its
 * binaries through this instead of text templates or an external assembler, so nothing but
 * Node or a browser is needed to run the default target.
 *
 * Function indices count imports first, so every import must be declared before the first
 * function is defined; the builder enforces it rather than renumbering calls afterwards.
 */

import type { FuncRef, Global, Local } from './code.js';
import { Code } from './code.js';
import { ByteSink, WasmEncodeError } from './encode.js';
import type { ValType } from './opcodes.js';
import { CONTROL, VALTYPE_CODE } from './opcodes.js';

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface MemoryLimits {
  /** initial size in 64 KiB pages */
  readonly initial: number;
  readonly maximum?: number;
  /** shared between threads (requires `maximum`) */
  readonly shared?: boolean;
}

export interface ModuleOptions {
  /** allow relaxed-SIMD instructions, whose results may differ between engines */
  readonly relaxedSimd?: boolean;
}

/** Debug names must be generated identifiers: they never carry text from a model. */
const DEBUG_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function checkName(what: string, name: string): string {
  if (!DEBUG_NAME.test(name)) throw new WasmEncodeError(`${what}: ${JSON.stringify(name)} is not a generated identifier`);
  return name;
}

export class FunctionBuilder {
  readonly code: Code;
  readonly params: readonly Local[];
  private readonly localTypes: ValType[] = [];
  readonly localNames = new Map<number, string>();

  constructor(
    readonly ref: FuncRef,
    readonly name: string,
    options: ModuleOptions,
  ) {
    this.code = new Code({ relaxedSimd: options.relaxedSimd ?? false });
    this.params = ref.params.map((type, index) => ({ index, type }));
  }

  /** A new local of `type`; `name` (a generated identifier) goes to the name section. */
  local(type: ValType, name?: string): Local {
    const index = this.params.length + this.localTypes.length;
    this.localTypes.push(type);
    if (name !== undefined) this.localNames.set(index, checkName('local name', name));
    return { index, type };
  }

  nameParam(i: number, name: string): void {
    if (i >= this.params.length) throw new WasmEncodeError(`${this.name}: no parameter ${i}`);
    this.localNames.set(i, checkName('parameter name', name));
  }

  /** The code-section entry: run-length encoded local declarations, then the instructions. */
  encode(): Uint8Array {
    const out = new ByteSink();
    const runs: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    out.u32(runs.length);
    for (const [n, t] of runs) {
      out.u32(n);
      out.byte(VALTYPE_CODE[t]);
    }
    out.bytes(this.code.finish());
    return out.finish();
  }
}

interface Import {
  readonly module: string;
  readonly field: string;
  readonly encode: (s: ByteSink) => void;
}

interface Export {
  readonly name: string;
  readonly kind: number;
  readonly index: number;
}

type DataSegment = { readonly offset: number; readonly bytes: Uint8Array } | { readonly offset: null; readonly bytes: Uint8Array };

function encodeLimits(s: ByteSink, m: MemoryLimits): void {
  if (m.shared && m.maximum === undefined) throw new WasmEncodeError('memory: a shared memory needs a maximum');
  if (m.maximum !== undefined && m.maximum < m.initial) throw new WasmEncodeError(`memory: maximum ${m.maximum} is below initial ${m.initial}`);
  s.byte(m.maximum === undefined ? 0x00 : m.shared ? 0x03 : 0x01);
  s.u32(m.initial);
  if (m.maximum !== undefined) s.u32(m.maximum);
}

export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly typeIndex = new Map<string, number>();
  private readonly imports: Import[] = [];
  private importedFuncs = 0;
  private readonly funcs: FunctionBuilder[] = [];
  private readonly funcNames = new Map<number, string>();
  private readonly globals: { global: Global; init: number | bigint }[] = [];
  private readonly exports: Export[] = [];
  private readonly data: DataSegment[] = [];
  private readonly customs: { name: string; bytes: Uint8Array }[] = [];
  private memory: MemoryLimits | null = null;
  private hasMemory = false;
  private name: string | null = null;

  constructor(private readonly options: ModuleOptions = {}) {}

  private typeOf(t: FuncType): number {
    const key = `${t.params.join(',')}->${t.results.join(',')}`;
    let index = this.typeIndex.get(key);
    if (index === undefined) {
      index = this.types.length;
      this.types.push(t);
      this.typeIndex.set(key, index);
    }
    return index;
  }

  private checkNoMemory(): void {
    if (this.hasMemory) throw new WasmEncodeError('memory: a module has at most one memory');
    this.hasMemory = true;
  }

  importMemory(module: string, field: string, limits: MemoryLimits): void {
    this.checkNoMemory();
    this.imports.push({ module, field, encode: (s) => {
      s.byte(0x02);
      encodeLimits(s, limits);
    } });
  }

  importFunc(module: string, field: string, type: FuncType, name: string): FuncRef {
    if (this.funcs.length > 0) throw new WasmEncodeError(`import ${module}.${field}: imports must precede function definitions`);
    const typeIndex = this.typeOf(type);
    const ref: FuncRef = { index: this.importedFuncs++, params: type.params, results: type.results };
    this.imports.push({ module, field, encode: (s) => {
      s.byte(0x00);
      s.u32(typeIndex);
    } });
    this.funcNames.set(ref.index, checkName('import name', name));
    return ref;
  }

  /** Defines a function; its body is written through the returned builder's `code`. */
  func(name: string, type: FuncType): FunctionBuilder {
    this.typeOf(type);
    const ref: FuncRef = { index: this.importedFuncs + this.funcs.length, params: type.params, results: type.results };
    const fb = new FunctionBuilder(ref, checkName('function name', name), this.options);
    this.funcs.push(fb);
    this.funcNames.set(ref.index, name);
    return fb;
  }

  /** Defines the module's own memory (instead of importing one). */
  defineMemory(limits: MemoryLimits): void {
    this.checkNoMemory();
    this.memory = limits;
  }

  global(type: Exclude<ValType, 'v128'>, mutable: boolean, init: number | bigint): Global {
    const global: Global = { index: this.globals.length, type, mutable };
    this.globals.push({ global, init });
    return global;
  }

  exportFunc(name: string, fn: FuncRef): void {
    this.addExport(name, 0x00, fn.index);
  }

  exportMemory(name: string): void {
    if (!this.hasMemory) throw new WasmEncodeError(`export ${name}: the module has no memory`);
    this.addExport(name, 0x02, 0);
  }

  exportGlobal(name: string, g: Global): void {
    this.addExport(name, 0x03, g.index);
  }

  private addExport(name: string, kind: number, index: number): void {
    if (this.exports.some((e) => e.name === name)) throw new WasmEncodeError(`export ${name}: duplicate export name`);
    this.exports.push({ name, kind, index });
  }

  /** An active data segment copied to `offset` at instantiation. */
  activeData(offset: number, bytes: Uint8Array): void {
    this.data.push({ offset, bytes });
  }

  /** A passive data segment for memory.init; returns its index. */
  passiveData(bytes: Uint8Array): number {
    this.data.push({ offset: null, bytes });
    return this.data.length - 1;
  }

  custom(name: string, bytes: Uint8Array): void {
    if (name === 'name') throw new WasmEncodeError('custom: the name section is written by the builder');
    this.customs.push({ name, bytes });
  }

  moduleName(name: string): void {
    this.name = checkName('module name', name);
  }

  finish(): Uint8Array {
    const out = new ByteSink();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (s: ByteSink) => void): void => {
      const s = new ByteSink();
      fill(s);
      out.byte(id);
      out.sized(s);
    };
    const bodies = this.funcs.map((f) => f.encode());
    section(1, (s) => this.encodeTypes(s));
    if (this.imports.length > 0) section(2, (s) => this.encodeImports(s));
    if (this.funcs.length > 0) section(3, (s) => this.encodeFuncDecls(s));
    const memory = this.memory;
    if (memory) {
      section(5, (s) => {
        s.u32(1);
        encodeLimits(s, memory);
      });
    }
    if (this.globals.length > 0) section(6, (s) => this.encodeGlobals(s));
    if (this.exports.length > 0) section(7, (s) => this.encodeExports(s));
    if (this.data.some((d) => d.offset === null)) section(12, (s) => s.u32(this.data.length));
    if (bodies.length > 0) {
      section(10, (s) => {
        s.u32(bodies.length);
        for (const b of bodies) {
          s.u32(b.length);
          s.bytes(b);
        }
      });
    }
    if (this.data.length > 0) section(11, (s) => this.encodeData(s));
    for (const c of this.customs) {
      section(0, (s) => {
        s.name(c.name);
        s.bytes(c.bytes);
      });
    }
    section(0, (s) => this.encodeNames(s));
    return out.finish();
  }

  private encodeTypes(s: ByteSink): void {
    s.u32(this.types.length);
    for (const t of this.types) {
      s.byte(0x60);
      s.u32(t.params.length);
      for (const p of t.params) s.byte(VALTYPE_CODE[p]);
      s.u32(t.results.length);
      for (const r of t.results) s.byte(VALTYPE_CODE[r]);
    }
  }

  private encodeImports(s: ByteSink): void {
    s.u32(this.imports.length);
    for (const imp of this.imports) {
      s.name(imp.module);
      s.name(imp.field);
      imp.encode(s);
    }
  }

  private encodeFuncDecls(s: ByteSink): void {
    s.u32(this.funcs.length);
    for (const f of this.funcs) s.u32(this.typeOf({ params: f.ref.params, results: f.ref.results }));
  }

  private encodeGlobals(s: ByteSink): void {
    s.u32(this.globals.length);
    for (const { global, init } of this.globals) {
      s.byte(VALTYPE_CODE[global.type]);
      s.byte(global.mutable ? 1 : 0);
      const code = new Code({ relaxedSimd: false });
      if (global.type === 'i32') code.i32Const(Number(init));
      else if (global.type === 'i64') code.i64Const(BigInt(init));
      else if (global.type === 'f32') code.f32Const(Number(init));
      else code.f64Const(Number(init));
      s.bytes(code.finish());
    }
  }

  private encodeExports(s: ByteSink): void {
    s.u32(this.exports.length);
    for (const e of this.exports) {
      s.name(e.name);
      s.byte(e.kind);
      s.u32(e.index);
    }
  }

  private encodeData(s: ByteSink): void {
    s.u32(this.data.length);
    for (const d of this.data) {
      if (d.offset === null) {
        s.byte(0x01);
      } else {
        s.byte(0x00);
        s.byte(CONTROL['i32.const']);
        s.s32(d.offset);
        s.byte(CONTROL.end);
      }
      s.u32(d.bytes.length);
      s.bytes(d.bytes);
    }
  }

  /** The "name" custom section: module, function and local names, all generated. */
  private encodeNames(s: ByteSink): void {
    s.name('name');
    const sub = (id: number, fill: (b: ByteSink) => void): void => {
      const b = new ByteSink();
      fill(b);
      s.byte(id);
      s.sized(b);
    };
    const name = this.name;
    if (name !== null) sub(0, (b) => b.name(name));
    const funcs = [...this.funcNames].sort((a, b) => a[0] - b[0]);
    sub(1, (b) => {
      b.u32(funcs.length);
      for (const [i, n] of funcs) {
        b.u32(i);
        b.name(n);
      }
    });
    const withLocals = this.funcs.filter((f) => f.localNames.size > 0);
    sub(2, (b) => {
      b.u32(withLocals.length);
      for (const f of withLocals) {
        b.u32(f.ref.index);
        const locals = [...f.localNames].sort((x, y) => x[0] - y[0]);
        b.u32(locals.length);
        for (const [i, n] of locals) {
          b.u32(i);
          b.name(n);
        }
      }
    });
  }
}
