/**
 * @file What every CPU backend agrees on at the boundary between JavaScript and a kernel: the
 * manifest that describes each entry's parameters (dtype, element count, whether the kernel
 * writes it, which output may be passed the memory of which input), the checks `Executable.run` makes before calling native code (a wrong array type or
 * length would otherwise read or write out of bounds and crash the process), and the errors a
 * backend raises. The manifest travels inside each artifact (a JSON literal in JS, a string
 * returned by `kiln_manifest()` in C), so a loaded artifact is self-describing.
 */

import type { DType } from '../ir/dtype.js';
import { DTYPES } from '../ir/dtype.js';
import type { Buffer } from '../ir/expr.js';
import type { ParamAlias, PrimFunc } from '../tir/stmt.js';
import { visitStmt } from '../tir/visit.js';
import type { HostArray } from './target.js';

export interface ParamInfo {
  readonly dtype: DType;
  /** elements the kernel may touch: 1 + the largest flat offset of the buffer */
  readonly elems: number;
  /** whether the kernel stores to this parameter */
  readonly written: boolean;
}

export interface EntryInfo {
  readonly name: string;
  readonly params: readonly ParamInfo[];
  /** the parameter pairs that may start at the same address (in place); no other two overlap */
  readonly aliases: readonly ParamAlias[];
}

export interface Manifest {
  readonly entries: readonly EntryInfo[];
  /** assert messages; native kernels return `index + 1` when the assert at `index` fails */
  readonly messages: readonly string[];
}

/** IR the backend cannot translate; names the target and the kernel. */
export class CodegenError extends Error {
  constructor(target: string, func: string, what: string) {
    super(`codegen ${target}: kernel ${func}: ${what}`);
    this.name = 'CodegenError';
  }
}

/** A failed `assert` inside a kernel (for example a bounds check). */
export class KernelAssertError extends Error {
  constructor(
    readonly entry: string,
    readonly assertMessage: string,
  ) {
    super(`kernel ${entry}: assertion failed: ${assertMessage}`);
    this.name = 'KernelAssertError';
  }
}

/** Arguments that do not match an entry's parameters. */
export class KernelArgError extends Error {
  constructor(entry: string, what: string) {
    super(`kernel ${entry}: ${what}`);
    this.name = 'KernelArgError';
  }
}

const ENTRY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Entry names become part of generated symbols; they must be plain identifiers. */
export function checkEntryName(target: string, name: string): void {
  if (!ENTRY_NAME.test(name)) throw new CodegenError(target, JSON.stringify(name), 'entry name is not a plain identifier');
}

/** Rejects entry names that are not identifiers or that repeat. */
export function checkEntries(target: string, funcs: readonly PrimFunc[]): void {
  const seen = new Set<string>();
  for (const f of funcs) {
    checkEntryName(target, f.name);
    if (seen.has(f.name)) throw new CodegenError(target, f.name, 'two kernels share this name');
    seen.add(f.name);
  }
}

/** Elements spanned by a buffer: product of the shape, or 1 + the largest strided offset. */
export function bufferElems(b: Buffer): number {
  if (b.shape.some((d) => d === 0)) return 0;
  if (!b.strides) return b.shape.reduce((n, d) => n * d, 1);
  return 1 + b.shape.reduce((n, d, i) => n + (d - 1) * (b.strides?.[i] ?? 0), 0);
}

function writtenBuffers(f: PrimFunc): Set<number> {
  const ids = new Set<number>();
  visitStmt(f.body, (s) => {
    if (s.kind === 'store') ids.add(s.buffer.id);
  });
  return ids;
}

export function entryInfo(f: PrimFunc): EntryInfo {
  const written = writtenBuffers(f);
  const params = f.params.map((b) => ({ dtype: b.dtype, elems: bufferElems(b), written: written.has(b.id) }));
  const aliases = f.aliases ?? [];
  if (!aliases.every((a) => validAlias(params, a))) throw new CodegenError('abi', f.name, 'declares an alias between parameters that cannot share memory');
  return { name: f.name, params, aliases };
}

/** An alias pairs a written parameter with a read-only one of the same dtype and length. */
export function validAlias(params: readonly ParamInfo[], a: ParamAlias): boolean {
  const w = params[a.written] as ParamInfo | undefined;
  const r = params[a.read] as ParamInfo | undefined;
  return w !== undefined && r !== undefined && w.written && !r.written && w.dtype === r.dtype && w.elems === r.elems;
}

/** Parses and validates a manifest read back from an artifact. */
export function parseManifest(text: string): Manifest {
  const raw: unknown = JSON.parse(text);
  const fail = (): never => {
    throw new Error('artifact manifest is malformed');
  };
  if (typeof raw !== 'object' || raw === null) return fail();
  const { entries, messages } = raw as { entries?: unknown; messages?: unknown };
  if (!Array.isArray(messages) || !messages.every((m) => typeof m === 'string')) return fail();
  if (!Array.isArray(entries)) return fail();
  const isParam = (p: unknown): p is ParamInfo => {
    const q = p as Partial<ParamInfo> | null;
    return !!q && DTYPES.includes(q.dtype as DType) && Number.isInteger(q.elems) && typeof q.written === 'boolean';
  };
  const isAlias = (a: unknown): a is ParamAlias => {
    const q = a as Partial<ParamAlias> | null;
    return !!q && Number.isInteger(q.written) && Number.isInteger(q.read);
  };
  for (const e of entries as unknown[]) {
    const q = e as Partial<EntryInfo> | null;
    if (!q || typeof q.name !== 'string' || !ENTRY_NAME.test(q.name)) return fail();
    if (!Array.isArray(q.params) || !q.params.every(isParam)) return fail();
    const params = q.params;
    if (!Array.isArray(q.aliases) || !q.aliases.every((a: unknown) => isAlias(a) && validAlias(params, a))) return fail();
  }
  return { entries: entries as EntryInfo[], messages: messages };
}

const ARRAY_OF: Record<DType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int32: 'Int32Array',
  int64: 'BigInt64Array',
  bool: 'Uint8Array',
};

function arrayKind(a: HostArray): string {
  return Object.prototype.toString.call(a).slice(8, -1);
}

function overlaps(a: HostArray, b: HostArray): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Checks `args` against an entry before it runs: count, array type, length, and that a written
 * parameter shares no memory with another (kernels assume no aliasing, `restrict` in C) unless
 * the entry declares that pair an alias and both start at the same address.
 */
export function checkArgs(e: EntryInfo, args: readonly HostArray[]): void {
  if (args.length !== e.params.length) {
    throw new KernelArgError(e.name, `expects ${e.params.length} arguments, got ${args.length}`);
  }
  e.params.forEach((p, i) => {
    const a = args[i];
    const kind = arrayKind(a);
    if (kind !== ARRAY_OF[p.dtype]) throw new KernelArgError(e.name, `argument ${i} (${p.dtype}) must be a ${ARRAY_OF[p.dtype]}, got ${kind}`);
    if (a.length < p.elems) throw new KernelArgError(e.name, `argument ${i} needs ${p.elems} elements, got ${a.length}`);
  });
  const declared = (i: number, j: number): boolean => e.aliases.some((a) => a.written === i && a.read === j);
  e.params.forEach((p, i) => {
    if (!p.written) return;
    args.forEach((b, j) => {
      if (j === i || !overlaps(args[i], b)) return;
      if (declared(i, j) && args[i].byteOffset === b.byteOffset) return;
      throw new KernelArgError(e.name, `argument ${i} is written and overlaps argument ${j}`);
    });
  });
}

/**
 * The error for a call to an entry an artifact lacks, naming the ones it has in sorted order
 * (k2 before k10): a c artifact's entries are spread over libraries by size, so their own order
 * says nothing.
 */
export function noSuchEntry(name: string, entries: Iterable<string>): KernelArgError {
  const names = [...entries].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return new KernelArgError(name, `no such entry (artifact has: ${names.join(', ')})`);
}

/** Finds an entry of a loaded artifact or names the ones that exist. */
export function findEntry(m: Manifest, name: string): EntryInfo {
  const e = m.entries.find((x) => x.name === name);
  if (!e) throw noSuchEntry(name, m.entries.map((x) => x.name));
  return e;
}
