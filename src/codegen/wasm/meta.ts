/**
 * @file The metadata a wasm artifact carries in its "kiln" custom section: where each entry's
 * parameters live in memory, the assert messages (kept here, indexed by number, never executed),
 * and the stack sizes. Loading parses it defensively: an artifact is data and may be corrupt.
 */

import type { DType } from '../../ir/dtype.js';
import { DTYPES } from '../../ir/dtype.js';
import type { ParamAlias } from '../../tir/stmt.js';
import { WasmRuntimeError } from './errors.js';
import type { ParamRegion } from './layout.js';

export const META_SECTION = 'kiln';
const VERSION = 3;

export interface EntryMeta {
  readonly name: string;
  readonly exportName: string;
  readonly params: readonly ParamRegion[];
  /** parameter pairs the caller may pass the same memory for (each has its own region here) */
  readonly aliases: readonly ParamAlias[];
}

export interface WasmMeta {
  readonly entries: readonly EntryMeta[];
  readonly messages: readonly string[];
  readonly stackBase: number;
  readonly stackPerThread: number;
  /** the module imports a shared memory and runs parallel loops on a thread pool */
  readonly threaded: boolean;
  /** the module uses relaxed-SIMD instructions (the engine must support them) */
  readonly relaxedSimd: boolean;
}

export function encodeMeta(meta: WasmMeta): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ version: VERSION, ...meta }));
}

function fail(what: string): never {
  throw new WasmRuntimeError(`wasm artifact: corrupt metadata (${what})`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(what);
  return v;
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(what);
  return v;
}

function list(v: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(what);
  return v as readonly unknown[];
}

function parseParam(v: unknown): ParamRegion {
  if (!isRecord(v)) fail('param');
  const dtype = DTYPES.find((d) => d === v.dtype);
  if (dtype === undefined || typeof v.written !== 'boolean') fail('param dtype');
  return { dtype: dtype satisfies DType, offset: count(v.offset, 'param offset'), length: count(v.length, 'param length'), written: v.written };
}

function parseAlias(v: unknown): ParamAlias {
  if (!isRecord(v)) fail('alias');
  return { written: count(v.written, 'alias'), read: count(v.read, 'alias') };
}

function parseEntry(v: unknown): EntryMeta {
  if (!isRecord(v)) fail('entry');
  return {
    name: text(v.name, 'entry name'),
    exportName: text(v.exportName, 'entry export'),
    params: list(v.params, 'entry params').map(parseParam),
    aliases: list(v.aliases, 'entry aliases').map(parseAlias),
  };
}

export function parseMeta(sections: readonly ArrayBuffer[]): WasmMeta {
  if (sections.length !== 1) fail(`${sections.length} "${META_SECTION}" sections`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(sections[0]));
  } catch {
    fail('not JSON');
  }
  if (!isRecord(raw) || raw.version !== VERSION) fail('version');
  if (typeof raw.threaded !== 'boolean') fail('threaded');
  if (typeof raw.relaxedSimd !== 'boolean') fail('relaxedSimd');
  return {
    entries: list(raw.entries, 'entries').map(parseEntry),
    messages: list(raw.messages, 'messages').map((m) => text(m, 'message')),
    stackBase: count(raw.stackBase, 'stackBase'),
    stackPerThread: count(raw.stackPerThread, 'stackPerThread'),
    threaded: raw.threaded,
    relaxedSimd: raw.relaxedSimd,
  };
}
