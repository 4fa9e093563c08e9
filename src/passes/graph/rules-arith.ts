/**
 * @file Rules of `graph.simplifyAlgebra` that remove work: operations with a neutral constant
 * operand, Identity and inference-time Dropout, and x·HardSigmoid(x) recognized as HardSwish.
 *
 *   Mul(x, 1), Mul(1, x), Div(x, 1), Add(x, 0), Add(0, x), Sub(x, 0)  →  x
 *   Identity(x), Dropout(x) (mask unused)                               →  x
 *   Mul(x, HardSigmoid(x) {alpha=1/6, beta=0.5})                        →  HardSwish(x)
 *
 * A neutral operand is an initializer whose elements all equal 1 (or 0), and it may broadcast
 * only where the result keeps x's type: Mul(x[3], ones[2, 3]) is a [2, 3] tensor and stays.
 */

import { findAttr } from '../../graph/attrs.js';
import type { Node, Value } from '../../graph/graph.js';
import { typesEqual } from '../../graph/types.js';
import type { Rule, RuleEnv } from './rewrite.js';
import { allEqual } from './rewrite.js';

/** x when `c` is a constant filled with `neutral` that leaves x's type unchanged. */
function neutral(n: Node, env: RuleEnv, x: Value | null, c: Value | null, fill: number): Value | null {
  // the type check first: it is cheap, and rejects large operands (weights) before a scan
  return x !== null && typesEqual(x.type, n.outputs[0].type) && allEqual(env.constant(c), fill) ? x : null;
}

/** A rule for `op` whose operand `fill` is neutral on the right, and also on the left when `commutes`. */
function neutralRule(op: string, fill: number, commutes: boolean): Rule {
  return {
    name: commutes ? `${op}(x, ${fill}) or ${op}(${fill}, x) → x` : `${op}(x, ${fill}) → x`,
    apply(n, env) {
      const [a, b] = n.inputs;
      const x = neutral(n, env, a, b, fill) ?? (commutes ? neutral(n, env, b, a, fill) : null);
      return x && [x];
    },
  };
}

export const mulByOne = neutralRule('Mul', 1, true);
export const addZero = neutralRule('Add', 0, true);
export const subZero = neutralRule('Sub', 0, false);
export const divByOne = neutralRule('Div', 1, false);

export const identity: Rule = {
  name: 'Identity(x) → x',
  apply: (n) => (n.inputs[0] ? [n.inputs[0]] : null),
};

/** A typed Dropout is in inference mode (inference rejects training with a nonzero ratio). */
export const dropout: Rule = {
  name: 'Dropout(x) → x when its mask is unused',
  apply(n, env) {
    const x = n.inputs[0];
    if (x === null || n.outputs.slice(1).some((m) => !env.unused(m))) return null;
    return [x];
  },
};

const SIXTH = Math.fround(1 / 6);
const HALF = 0.5;

function isHardSigmoidOf(env: RuleEnv, h: Value | null, x: Value | null): boolean {
  const p = env.producer(h, 'HardSigmoid');
  if (p === undefined || !env.same(p.inputs[0], x)) return false;
  return (findAttr(p, 'alpha', 'float') ?? 0.2) === SIXTH && (findAttr(p, 'beta', 'float') ?? HALF) === HALF;
}

export const hardSwish: Rule = {
  name: 'Mul(x, HardSigmoid(x) {alpha=1/6, beta=0.5}) → HardSwish(x)',
  apply(n, env) {
    const [a, b] = n.inputs;
    const x = isHardSigmoidOf(env, b, a) ? a : isHardSigmoidOf(env, a, b) ? b : null;
    return x && [env.emit('HardSwish', [x], new Map(), n.name)];
  },
};
