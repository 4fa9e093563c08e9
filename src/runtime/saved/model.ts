/**
 * @file What a saved model holds, and its encoding into a container (container.ts): the kiln
 * version that wrote it, what the target needs of the engine, the input and output names with
 * the dtypes and shapes it was compiled for, the execution plan (kernel calls over one arena,
 * see ../plan.ts) with its constants as blobs, and the wasm module as a blob.
 *
 * The compiled-model cache (../cache/) stores the same record, with the key it was stored under,
 * and for the c target the names of the kernel libraries it built in place of a module (an empty
 * blob): `decodeCachedModel` reads those; `decodeSavedModel`, for saved files, accepts wasm only.
 *
 * Decoding checks every field, because the file is untrusted: a step names a kernel and slots
 * that must lie inside the arena, the feeds, the constants or the outputs; load.ts then checks
 * the steps against the module's own parameter list, so no run can reach memory it should not.
 */

import type { TypedData } from '../../graph/tensor.js';
import { shapeSize } from '../../graph/tensor.js';
import type { DType } from '../../ir/dtype.js';
import { bytesOf, DTYPES } from '../../ir/dtype.js';
import type { OutputPlan, Plan, Slot, Step } from '../plan.js';
import { packContainer, unpackContainer } from './container.js';
import { SavedModelError } from './errors.js';

/** The version of kiln (package.json's), recorded in every saved model. */
export const KILN_VERSION = '0.1.0';

export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** What running the model asks of the engine. */
export interface TargetNeeds {
  readonly name: 'wasm';
  /** a shared memory and workers: SharedArrayBuffer (in a browser, a cross-origin isolated page) */
  readonly threaded: boolean;
  /** relaxed-SIMD instructions (Node 20: V8's flag, which kiln sets; browsers: Chromium 114+) */
  readonly relaxedSimd: boolean;
  /** the thread count it was compiled for (any count runs it) */
  readonly threads: number;
}

/** A c model in the compiled-model cache: the kernel libraries it was built into on this machine. */
export interface CLibraries {
  readonly name: 'c';
  /** the thread count it was compiled for */
  readonly threads: number;
  /** file names (`<sha256>.so`) in the cache's library directory, in unit order */
  readonly files: readonly string[];
  /** entries that call another entry's kernel (codegen/c/backend.ts) */
  readonly same: Readonly<Record<string, string>>;
}

export interface SavedModel {
  readonly kilnVersion: string;
  readonly target: TargetNeeds;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly plan: Plan;
  /** the WebAssembly module's bytes */
  readonly module: Uint8Array;
}

/** An entry of the compiled-model cache: a saved model of either target, and its cache key. */
export interface CachedModel extends Omit<SavedModel, 'target'> {
  readonly key: string;
  readonly target: TargetNeeds | CLibraries;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkEndianness(where: string): void {
  // blobs hold typed arrays' bytes as they are in memory
  if (!littleEndian) throw new SavedModelError(where, 'saved models need a little-endian host');
}

/** The typed array that holds each dtype (bool as 0/1 bytes). */
export const ARRAY_NAMES: Readonly<Record<DType, string>> = {
  float32: 'Float32Array', float64: 'Float64Array', int8: 'Int8Array', uint8: 'Uint8Array', int32: 'Int32Array', int64: 'BigInt64Array', bool: 'Uint8Array',
};

/** The name of an array's class, as ARRAY_NAMES spells it. */
export function arrayName(a: TypedData): string {
  return Object.prototype.toString.call(a).slice(8, -1);
}

type SlotJson = { kind: 'feed' | 'constant' | 'output'; index: number } | { kind: 'arena'; offset: number; dtype: DType; elems: number };

/** The bytes of a saved model (or a cache entry). */
export function encodeSavedModel(m: SavedModel | CachedModel): Uint8Array {
  checkEndianness('save');
  const blobs: Uint8Array[] = [m.module];
  const constants: { dtype: DType; elems: number; blob: number }[] = [];
  const constantIndex = new Map<TypedData, number>();
  const slot = (s: Slot, dtype: () => DType): SlotJson => {
    if (s.kind !== 'constant') return s;
    let k = constantIndex.get(s.data);
    if (k === undefined) {
      k = constants.push({ dtype: dtype(), elems: s.data.length, blob: blobs.length }) - 1;
      blobs.push(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength));
      constantIndex.set(s.data, k);
    }
    return { kind: 'constant', index: k };
  };
  const dtypeOf = (data: TypedData): DType => {
    const kind = arrayName(data);
    const d = DTYPES.find((t) => t !== 'bool' && ARRAY_NAMES[t] === kind);
    if (d === undefined) throw new SavedModelError('save', `a constant of array type ${kind} cannot be saved`);
    return d;
  };
  const steps = m.plan.steps.map((s) => ({
    entry: s.entry,
    label: s.label,
    op: s.op,
    args: s.args.map((a) => slot(a, () => (a.kind === 'constant' ? dtypeOf(a.data) : 'uint8'))),
  }));
  const outputs = m.outputs.map((o, k) => {
    const source = m.plan.outputs[k].source;
    return { ...o, source: source.kind === 'written' ? source : { kind: 'copy', from: slot(source.from, () => o.dtype) } };
  });
  const key = 'key' in m ? { key: m.key } : {};
  const model = { kiln: m.kilnVersion, ...key, target: m.target, inputs: m.inputs, outputs, arenaBytes: m.plan.arenaBytes, steps, constants, module: 0 };
  return packContainer(model, blobs);
}

const CTORS: Readonly<Record<DType, (b: ArrayBuffer, offset?: number, length?: number) => TypedData>> = {
  float32: (b, o, n) => new Float32Array(b, o, n), float64: (b, o, n) => new Float64Array(b, o, n), int8: (b, o, n) => new Int8Array(b, o, n),
  uint8: (b, o, n) => new Uint8Array(b, o, n), int32: (b, o, n) => new Int32Array(b, o, n), int64: (b, o, n) => new BigInt64Array(b, o, n),
  bool: (b, o, n) => new Uint8Array(b, o, n),
};

/** The most elements one tensor may have (a typed array's index range, with room). */
const MAX_ELEMS = 2 ** 31 - 1;

function fail(detail: string): never {
  throw new SavedModelError('saved model', `corrupt: ${detail}`);
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function list(v: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(`${what} is not a list`);
  return v as readonly unknown[];
}

function count(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) fail(`${what} is not an integer from 0 to ${max}`);
  return v;
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(`${what} is not a string`);
  return v;
}

function dtype(v: unknown, what: string): DType {
  const d = DTYPES.find((t) => t === v);
  if (d === undefined) fail(`${what} is not a dtype`);
  return d;
}

function flag(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail(`${what} is not a boolean`);
  return v;
}

function tensorInfo(v: unknown, what: string): TensorInfo {
  const r = record(v, what);
  const shape = list(r.shape, `${what} shape`).map((d) => count(d, `${what} dimension`, MAX_ELEMS));
  if (shapeSize(shape) > MAX_ELEMS) fail(`${what} has more than ${MAX_ELEMS} elements`);
  return { name: text(r.name, `${what} name`), dtype: dtype(r.dtype, `${what} dtype`), shape };
}

function targetNeeds(v: unknown): TargetNeeds {
  const r = record(v, 'target');
  if (r.name !== 'wasm') throw new SavedModelError('saved model', `compiled for target ${JSON.stringify(r.name)}; only wasm models can be loaded`);
  return { name: 'wasm', threaded: flag(r.threaded, 'target.threaded'), relaxedSimd: flag(r.relaxedSimd, 'target.relaxedSimd'), threads: count(r.threads, 'target.threads', 1024) };
}

const LIBRARY_FILE = /^[0-9a-f]{64}\.so$/;

function cLibraries(r: Record<string, unknown>): CLibraries {
  const files = list(r.files, 'target.files').map((f, k) => {
    const name = text(f, `library ${k}`);
    if (!LIBRARY_FILE.test(name)) fail(`library ${k} is not a library file name`);
    return name;
  });
  const same: Record<string, string> = {};
  for (const [from, to] of Object.entries(record(r.same, 'target.same'))) same[from] = text(to, `target.same ${JSON.stringify(from)}`);
  return { name: 'c', threads: count(r.threads, 'target.threads', 1024), files, same };
}

/** Reads and checks a saved model; throws a SavedModelError naming what is wrong. */
export function decodeSavedModel(bytes: Uint8Array): SavedModel {
  const { key: _key, ...model } = decodeModel(bytes, targetNeeds, false);
  return model;
}

/**
 * Reads and checks an entry of the compiled-model cache (either target); its constants are views
 * of `bytes`, which the model then owns.
 */
export function decodeCachedModel(bytes: Uint8Array): CachedModel {
  const cached = decodeModel(bytes, (v) => {
    const r = record(v, 'target');
    return r.name === 'c' ? cLibraries(r) : targetNeeds(v);
  }, true);
  if (cached.key === null) fail('the cache entry has no key');
  return { ...cached, key: cached.key };
}

function decodeModel<T extends TargetNeeds | CLibraries>(bytes: Uint8Array, target: (v: unknown) => T, views: boolean): Omit<SavedModel, 'target'> & { target: T; key: string | null } {
  checkEndianness('saved model');
  const { model, blobs } = unpackContainer(bytes);
  const r = record(model, 'model');
  const blob = (v: unknown, what: string): Uint8Array => blobs[count(v, what, blobs.length - 1)] ?? fail(`${what} names no blob`);
  const inputs = list(r.inputs, 'inputs').map((v, k) => tensorInfo(v, `input ${k}`));
  const outputInfo = list(r.outputs, 'outputs').map((v, k) => ({ info: tensorInfo(v, `output ${k}`), source: record(v, `output ${k}`).source }));
  const outputs = outputInfo.map((o) => o.info);
  const arenaBytes = count(r.arenaBytes, 'arenaBytes', 2 ** 32);
  const constants = list(r.constants, 'constants').map((v, k): TypedData => {
    const c = record(v, `constant ${k}`);
    const dt = dtype(c.dtype, `constant ${k} dtype`);
    const elems = count(c.elems, `constant ${k} elems`, MAX_ELEMS);
    const b = blob(c.blob, `constant ${k} blob`);
    if (b.length !== elems * bytesOf(dt)) fail(`constant ${k} holds ${b.length} bytes, not ${elems} ${dt} elements`);
    // a copy (aligned for its element size, owned by the model rather than the caller's bytes) unless views are wanted and aligned
    if (views && b.byteOffset % bytesOf(dt) === 0) return CTORS[dt](b.buffer as ArrayBuffer, b.byteOffset, elems);
    return CTORS[dt](b.slice().buffer);
  });
  const slot = (v: unknown, what: string): Slot => {
    const s = record(v, what);
    switch (s.kind) {
      case 'feed':
        return { kind: 'feed', index: count(s.index, `${what} feed`, inputs.length - 1) };
      case 'output':
        return { kind: 'output', index: count(s.index, `${what} output`, outputs.length - 1) };
      case 'constant':
        return { kind: 'constant', data: constants[count(s.index, `${what} constant`, constants.length - 1)] };
      case 'arena': {
        const dt = dtype(s.dtype, `${what} dtype`);
        const offset = count(s.offset, `${what} offset`, arenaBytes);
        const elems = count(s.elems, `${what} elems`, MAX_ELEMS);
        if (offset % bytesOf(dt) !== 0 || offset + elems * bytesOf(dt) > arenaBytes) fail(`${what} lies outside the arena`);
        return { kind: 'arena', offset, dtype: dt, elems };
      }
      default:
        return fail(`${what} has no known kind`);
    }
  };
  const steps = list(r.steps, 'steps').map((v, k): Step => {
    const s = record(v, `step ${k}`);
    const args = list(s.args, `step ${k} args`).map((a, i) => slot(a, `step ${k} argument ${i}`));
    return { entry: text(s.entry, `step ${k} entry`), label: text(s.label, `step ${k} label`), op: text(s.op, `step ${k} op`), args };
  });
  const outputPlans = outputInfo.map(({ info, source }, k): OutputPlan => {
    const s = record(source, `output ${k} source`);
    const type = { dtype: info.dtype, shape: info.shape };
    if (s.kind === 'written') return { type, source: { kind: 'written' } };
    if (s.kind !== 'copy') fail(`output ${k} source has no known kind`);
    const from = slot(s.from, `output ${k} source`);
    if (from.kind === 'output') fail(`output ${k} is copied from an output`);
    return { type, source: { kind: 'copy', from } };
  });
  steps.forEach((s, k) => s.args.forEach((a, i) => {
    if (a.kind === 'output' && outputPlans[a.index].source.kind !== 'written') fail(`step ${k} argument ${i} writes output ${a.index}, which is copied`);
  }));
  return {
    kilnVersion: text(r.kiln, 'kiln version'),
    key: r.key === undefined ? null : text(r.key, 'key'),
    target: target(r.target),
    inputs,
    outputs,
    plan: { steps, outputs: outputPlans, arenaBytes },
    module: blob(r.module, 'module'),
  };
}
