/**
 * @file The loop IR: statements and functions. Expressions come from ../ir/expr.ts.
 *
 * A `PrimFunc` takes global buffers and runs its body once. Loops carry a `forKind` that passes
 * and code generators act on: `parallel` loops become thread-pool work, `vectorized` loops become
 * vector code (after the vectorize pass rewrites them to ramps), `unrolled` loops are copied out.
 */

import type { Buffer, Expr, Var } from '../ir/expr.js';

export type ForKind = 'serial' | 'parallel' | 'vectorized' | 'unrolled' | 'thread';

/** GPU axes a loop can be bound to (used by the GPU targets). */
export type ThreadTag = 'blockIdx.x' | 'blockIdx.y' | 'blockIdx.z' | 'threadIdx.x' | 'threadIdx.y' | 'threadIdx.z';

export interface For {
  readonly kind: 'for';
  readonly loopVar: Var;
  readonly min: Expr;
  readonly extent: Expr;
  readonly forKind: ForKind;
  /** set when forKind is 'thread' */
  readonly threadTag: ThreadTag | null;
  readonly body: Stmt;
}
/** `buffer[indices] = value`; a ramp index stores `value.lanes` elements. */
export interface Store {
  readonly kind: 'store';
  readonly buffer: Buffer;
  readonly indices: readonly Expr[];
  readonly value: Expr;
}
/** Declares the storage of `buffer` (scope local or shared) for the extent of `body`. */
export interface Allocate {
  readonly kind: 'allocate';
  readonly buffer: Buffer;
  readonly body: Stmt;
}
export interface IfThenElse {
  readonly kind: 'if';
  readonly cond: Expr;
  readonly then: Stmt;
  readonly otherwise: Stmt | null;
}
export interface Seq {
  readonly kind: 'seq';
  readonly body: readonly Stmt[];
}
export interface LetStmt {
  readonly kind: 'let';
  readonly v: Var;
  readonly value: Expr;
  readonly body: Stmt;
}
/** Stops with a bounds error when `cond` is false; `message` is generated text, never model text. */
export interface Assert {
  readonly kind: 'assert';
  readonly cond: Expr;
  readonly message: string;
  readonly body: Stmt;
}
/**
 * An annotation over `body` that a later pass consumes: `double_buffer` (buffer written in a
 * loop, to be rotated), `storage_align` (value = [axis, factor, offset]), `pragma_unroll`.
 */
export interface Attr {
  readonly kind: 'attr';
  readonly key: 'double_buffer' | 'storage_align' | 'pragma_unroll';
  readonly buffer: Buffer | null;
  readonly value: readonly number[];
  readonly body: Stmt;
}
/** A statement that does nothing (kept so that empty bodies stay well-formed). */
export interface NoOp {
  readonly kind: 'noop';
}

export type Stmt = For | Store | Allocate | IfThenElse | Seq | LetStmt | Assert | Attr | NoOp;

export interface PrimFunc {
  readonly kind: 'primfunc';
  /** a generated identifier, safe in any target language */
  readonly name: string;
  /** global buffers, inputs then outputs */
  readonly params: readonly Buffer[];
  readonly body: Stmt;
  /**
   * Parameter pairs the caller may pass the same memory for (an output written over an input, in
   * place; see inPlace.ts); any other two parameters never overlap. Absent means none.
   */
  readonly aliases?: readonly ParamAlias[];
}

/** The written parameter `written` may start at the same address as the read parameter `read`. */
export interface ParamAlias {
  readonly written: number;
  readonly read: number;
}

// ---------------------------------------------------------------------------------------------

export const NOOP: NoOp = { kind: 'noop' };

export function forLoop(
  loopVar: Var,
  min: Expr,
  extent: Expr,
  body: Stmt,
  forKind: ForKind = 'serial',
  threadTag: ThreadTag | null = null,
): For {
  return { kind: 'for', loopVar, min, extent, forKind, threadTag, body };
}

export function store(buffer: Buffer, indices: readonly Expr[], value: Expr): Store {
  return { kind: 'store', buffer, indices, value };
}

export function allocate(buffer: Buffer, body: Stmt): Allocate {
  return { kind: 'allocate', buffer, body };
}

export function ifThenElse(cond: Expr, then: Stmt, otherwise: Stmt | null = null): IfThenElse {
  return { kind: 'if', cond, then, otherwise };
}

/** A sequence, flattened, with no-ops dropped; a single statement is returned as itself. */
export function seq(...stmts: Stmt[]): Stmt {
  const flat: Stmt[] = [];
  for (const s of stmts) {
    if (s.kind === 'seq') flat.push(...s.body);
    else if (s.kind !== 'noop') flat.push(s);
  }
  if (flat.length === 0) return NOOP;
  if (flat.length === 1) return flat[0];
  return { kind: 'seq', body: flat };
}

export function letStmt(v: Var, value: Expr, body: Stmt): LetStmt {
  return { kind: 'let', v, value, body };
}

export function assertStmt(cond: Expr, message: string, body: Stmt): Assert {
  return { kind: 'assert', cond, message, body };
}

export function attr(key: Attr['key'], buffer: Buffer | null, value: readonly number[], body: Stmt): Attr {
  return { kind: 'attr', key, buffer, value, body };
}

export function primFunc(name: string, params: readonly Buffer[], body: Stmt): PrimFunc {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`primFunc: unsafe name ${JSON.stringify(name)}`);
  return { kind: 'primfunc', name, params, body };
}
