/**
 * @file TIR printer: a loop nest as a person would write it.
 *
 *   func matmul(A: float32[64, 64], B: float32[64, 64], C: float32[64, 64]) {
 *     parallel (i, 0, 64) {
 *       for (j, 0, 64) {
 *         C[i, j] = 0.0f
 *         ...
 */

import { printExpr } from '../ir/print.js';
import type { Buffer } from '../ir/expr.js';
import type { PrimFunc, Stmt } from './stmt.js';

function bufDecl(b: Buffer): string {
  const strides = b.strides ? ` strides=[${b.strides.join(', ')}]` : '';
  return `${b.name}: ${b.dtype}[${b.shape.join(', ')}]${strides}`;
}

export function printStmt(s: Stmt, indent = 0): string {
  const pad = '  '.repeat(indent);
  const block = (head: string, body: Stmt): string => `${pad}${head} {\n${printStmt(body, indent + 1)}${pad}}\n`;
  switch (s.kind) {
    case 'for': {
      const kind = s.forKind === 'serial' ? 'for' : s.forKind === 'thread' ? `bind[${s.threadTag}]` : s.forKind;
      return block(`${kind} (${s.loopVar.name}, ${printExpr(s.min)}, ${printExpr(s.extent)})`, s.body);
    }
    case 'store':
      return `${pad}${s.buffer.name}[${s.indices.map(printExpr).join(', ')}] = ${printExpr(s.value)}\n`;
    case 'allocate':
      return `${pad}allocate ${bufDecl(s.buffer)} ${s.buffer.scope}\n${printStmt(s.body, indent)}`;
    case 'if': {
      const head = `${pad}if (${printExpr(s.cond)}) {\n${printStmt(s.then, indent + 1)}${pad}}`;
      return s.otherwise ? `${head} else {\n${printStmt(s.otherwise, indent + 1)}${pad}}\n` : `${head}\n`;
    }
    case 'seq':
      return s.body.map((b) => printStmt(b, indent)).join('');
    case 'let':
      return `${pad}let ${s.v.name} = ${printExpr(s.value)}\n${printStmt(s.body, indent)}`;
    case 'assert':
      return `${pad}assert(${printExpr(s.cond)}, ${JSON.stringify(s.message)})\n${printStmt(s.body, indent)}`;
    case 'attr': {
      const target = s.buffer ? ` ${s.buffer.name}` : '';
      return block(`attr ${s.key}${target} [${s.value.join(', ')}]`, s.body);
    }
    case 'noop':
      return `${pad}noop\n`;
  }
}

export function printFunc(f: PrimFunc): string {
  return `func ${f.name}(${f.params.map(bufDecl).join(', ')}) {\n${printStmt(f.body, 1)}}\n`;
}
