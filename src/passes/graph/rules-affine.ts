/**
 * @file Rules of `graph.simplifyAlgebra` that fold per-channel affine maps into a convolution's
 * constants, and lower BatchNormalization to them. With f = scale / sqrt(var + ε):
 *
 *   Mul(Conv(x, W, b), c)            →  Conv(x, W·c, b·c)
 *   Add(Conv(x, W, b), c)            →  Conv(x, W, b + c)
 *   BatchNorm(Conv(x, W, b), scale, B, mean, var)
 *                                    →  Conv(x, W·f, (b − mean)·f + B)
 *   BatchNorm(x, scale, B, mean, var) →  Add(Mul(x, f), B − mean·f)     (f, shift per channel)
 *
 * c is a constant that varies at most along the channel axis (shape [M, 1, 1], [1, M, 1, 1], [1]
 * or a scalar) and does not change the output's type. A conv is only rewritten when the matched
 * node is the only reader of its output, which is no graph output; a missing bias counts as 0.
 * The new weights are emitted as nodes over the constants — `graph.foldConstants` evaluates
 * them afterwards with the ops' own kernels, so no arithmetic is done here by hand.
 */

import { findAttr } from '../../graph/attrs.js';
import type { Node, Value } from '../../graph/graph.js';
import { typesEqual } from '../../graph/types.js';
import type { Rule, RuleEnv } from './rewrite.js';
import { staticType } from './rewrite.js';

interface ConvMatch {
  readonly conv: Node;
  readonly weights: Value;
  readonly bias: Value | null;
  /** output channels */
  readonly channels: number;
}

/** The Conv producing `y` when `n` is its only reader and its weights and bias are constant. */
function convOf(env: RuleEnv, y: Value | null, n: Node): ConvMatch | null {
  const conv = env.producer(y, 'Conv');
  if (conv === undefined || y === null || !env.soleUse(y, n)) return null;
  const [, weights, bias = null] = conv.inputs;
  const w = staticType(weights);
  if (!env.isConstant(weights) || w === null || (bias !== null && !env.isConstant(bias))) return null;
  return { conv, weights, bias, channels: w.shape[0] };
}

/** How many elements `c` has (1 or `channels`) when it varies only along axis 1 of a rank-`rank` result. */
function perChannel(c: Value | null, rank: number, channels: number): number | null {
  const t = staticType(c);
  if (t === null || t.shape.length > rank) return null;
  const offset = rank - t.shape.length;
  const ok = t.shape.every((d, k) => d === 1 || (offset + k === 1 && d === channels));
  return ok ? t.shape.reduce((a, b) => a * b, 1) : null;
}

/** `v` reshaped to `[count, 1, …]` of rank `rank`. */
function column(env: RuleEnv, v: Value, count: number, rank: number): Value {
  return env.emit('Reshape', [v, env.int64s([count, ...Array<number>(rank - 1).fill(1)])]);
}

function rebuild(env: RuleEnv, m: ConvMatch, weights: Value, bias: Value | null): Value {
  return env.emit('Conv', [m.conv.inputs[0], weights, bias], m.conv.attrs, m.conv.name);
}

/** The per-channel operand of binary node `n` applied to a conv it may fold into. */
function convAndOperand(n: Node, env: RuleEnv): { m: ConvMatch; c: Value; count: number } | null {
  for (const [y, c] of [[n.inputs[0], n.inputs[1]], [n.inputs[1], n.inputs[0]]] as const) {
    const m = convOf(env, y, n);
    if (m === null || !env.isConstant(c) || !typesEqual(y!.type, n.outputs[0].type)) continue;
    const count = perChannel(c, y!.type!.shape.length, m.channels);
    if (count !== null) return { m, c, count };
  }
  return null;
}

export const mulIntoConv: Rule = {
  name: 'Mul(Conv(x, W, b), c) → Conv(x, W·c, b·c)',
  apply(n, env) {
    const hit = convAndOperand(n, env);
    if (hit === null) return null;
    const { m, c, count } = hit;
    const w = env.emit('Mul', [m.weights, column(env, c, count, staticType(m.weights)!.shape.length)]);
    const b = m.bias && env.emit('Mul', [m.bias, column(env, c, count, 1)]);
    return [rebuild(env, m, w, b)];
  },
};

export const addIntoConv: Rule = {
  name: 'Add(Conv(x, W, b), c) → Conv(x, W, b + c)',
  apply(n, env) {
    const hit = convAndOperand(n, env);
    if (hit === null) return null;
    const { m, c, count } = hit;
    const bias = m.bias ?? env.zeros(staticType(m.weights)!.dtype, [m.channels]);
    return [rebuild(env, m, m.weights, env.emit('Add', [bias, column(env, c, count, 1)]))];
  },
};

/** BatchNormalization's constant operands when it is an inference-mode, per-channel one over `channels`. */
function bnParams(n: Node, env: RuleEnv, channels: number): { shift: Value; mean: Value; factor: Value } | null {
  const [, scale, shift, mean, variance] = n.inputs;
  const params = [scale, shift, mean, variance];
  const dtype = n.inputs[0]?.type?.dtype;
  const perChannelConst = (v: Value | null): v is Value => {
    const t = env.isConstant(v) ? staticType(v) : null;
    return t !== null && t.dtype === dtype && t.shape.length === 1 && t.shape[0] === channels;
  };
  if (!params.every(perChannelConst) || n.outputs.slice(1).some((o) => !env.unused(o))) return null;
  if ((findAttr(n, 'training_mode', 'int') ?? 0) !== 0 || (findAttr(n, 'spatial', 'int') ?? 1) !== 1) return null;
  const eps = env.scalar(findAttr(n, 'epsilon', 'float') ?? 1e-5, dtype!);
  const factor = env.emit('Div', [scale, env.emit('Sqrt', [env.emit('Add', [variance, eps])])]);
  return { shift: shift!, mean: mean!, factor };
}

export const batchNormIntoConv: Rule = {
  name: 'BatchNormalization(Conv(x, W, b)) → Conv(x, W·f, (b − mean)·f + B)',
  apply(n, env) {
    const m = convOf(env, n.inputs[0], n);
    const p = m && bnParams(n, env, m.channels);
    if (!m || !p) return null;
    const rank = staticType(m.weights)!.shape.length;
    const weights = env.emit('Mul', [m.weights, column(env, p.factor, m.channels, rank)]);
    const bias0 = m.bias ?? env.zeros(staticType(m.weights)!.dtype, [m.channels]);
    const bias = env.emit('Add', [env.emit('Mul', [env.emit('Sub', [bias0, p.mean]), p.factor]), p.shift]);
    return [rebuild(env, m, weights, bias)];
  },
};

export const batchNormToAffine: Rule = {
  name: 'BatchNormalization(x) → Add(Mul(x, f), B − mean·f)',
  apply(n, env) {
    const x = n.inputs[0];
    const rank = x?.type?.shape.length ?? 0;
    const channels = x?.type?.shape[1];
    if (x === null || rank < 2 || typeof channels !== 'number') return null;
    const p = bnParams(n, env, channels);
    if (p === null) return null;
    const shift = env.emit('Sub', [p.shift, env.emit('Mul', [p.mean, p.factor])]);
    const scaled = env.emit('Mul', [x, column(env, p.factor, channels, rank - 1)]);
    return [env.emit('Add', [scaled, column(env, shift, channels, rank - 1)], new Map(), n.name)];
  },
};
