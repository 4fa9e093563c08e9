/**
 * @file Rules of `graph.simplifyAlgebra` for ops that only move elements: shape changes become
 * Reshapes, which compose, and transposes compose by their permutations.
 *
 *   Squeeze/Unsqueeze/Flatten(x) with a static output shape s  →  Reshape(x, s)
 *   Reshape(x, s) whose output type is x's type                  →  x
 *   Reshape(Reshape(x, s1), s2)                                  →  Reshape(x, s2)
 *   Transpose(x) {perm=identity}                                 →  x
 *   Transpose(Transpose(x) {perm=p}) {perm=q}                    →  Transpose(x) {perm=p∘q}
 *                                                                   (or x when p∘q is the identity)
 *
 * Reshape∘Reshape keeps s2 only when it has no 0 entry (a 0 copies a dim of the inner result,
 * not of x); otherwise it needs the static output shape.
 */

import { attrs, findAttr, ints } from '../../graph/attrs.js';
import type { Node, Value } from '../../graph/graph.js';
import { tensorNumbers } from '../../graph/tensor.js';
import { typesEqual } from '../../graph/types.js';
import type { Rule, RuleEnv } from './rewrite.js';
import { staticType } from './rewrite.js';

export const shapeToReshape: Rule = {
  name: 'Squeeze/Unsqueeze/Flatten(x) → Reshape(x, static shape)',
  apply(n, env) {
    const out = staticType(n.outputs[0]);
    const x = n.inputs[0];
    return out && x && [env.emit('Reshape', [x, env.int64s(out.shape)], new Map(), n.name)];
  },
};

export const reshapeNoOp: Rule = {
  name: 'Reshape(x, s) → x when the type does not change',
  apply(n) {
    const x = n.inputs[0];
    return x && typesEqual(x.type, n.outputs[0].type) ? [x] : null;
  },
};

/** The shape input of Reshape node `n` when it can be read from x directly, else null. */
function reusableShape(n: Node, env: RuleEnv): Value | null {
  const s = env.constant(n.inputs[1]);
  const allowZero = (findAttr(n, 'allowzero', 'int') ?? 0) !== 0;
  return s !== undefined && (allowZero || tensorNumbers(s).every((d) => d !== 0)) ? n.inputs[1] : null;
}

export const reshapeReshape: Rule = {
  name: 'Reshape(Reshape(x, s1), s2) → Reshape(x, s2)',
  apply(n, env) {
    const inner = env.producer(n.inputs[0], 'Reshape');
    const x = inner?.inputs[0] ?? null;
    if (x === null) return null;
    const out = staticType(n.outputs[0]);
    if (out !== null) return [env.emit('Reshape', [x, env.int64s(out.shape)], new Map(), n.name)];
    const s = reusableShape(n, env);
    return s && [env.emit('Reshape', [x, s], n.attrs, n.name)];
  },
};

/** Transpose's permutation: its attribute, or the reversal of the axes. */
function permOf(n: Node): number[] | null {
  const rank = n.inputs[0]?.type?.shape.length;
  if (rank === undefined) return null;
  const perm = findAttr(n, 'perm', 'ints') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
  return perm.map((p) => (p < 0 ? p + rank : p));
}

const isIdentity = (perm: readonly number[]): boolean => perm.every((p, k) => p === k);

export const transposeCompose: Rule = {
  name: 'Transpose(Transpose(x, p), q) → Transpose(x, p∘q); Transpose(x, identity) → x',
  apply(n, env) {
    const q = permOf(n);
    if (q === null) return null;
    if (isIdentity(q)) return n.inputs[0] && [n.inputs[0]];
    const inner = env.producer(n.inputs[0], 'Transpose');
    const p = inner && permOf(inner);
    const x = inner?.inputs[0];
    if (!p || !x) return null;
    // out[i] = mid[q[i]] and mid[j] = x[p[j]], so out[i] = x[p[q[i]]]
    const composed = q.map((j) => p[j]);
    return [isIdentity(composed) ? x : env.emit('Transpose', [x], attrs({ perm: ints(composed) }), n.name)];
  },
};
