/**
 * @file Inlining: every read of a stage marked computeInline is replaced by that stage's
 * expression with its axes bound to the read's indices. Done once, producers first, so a chain of
 * inlined stages collapses into its first non-inlined consumer.
 *
 *   B[i] = A[i] * 2 (inline);  C[i] = B[i + 1] + 1   →   C[i] = A[i + 1] * 2 + 1
 */

import type { Expr } from '../ir/expr.js';
import { substitute, transform } from '../ir/visit.js';
import type { Schedule, Stage } from '../schedule/index.js';

/** The body of every computed stage with inlined stages substituted, keyed by stage. */
export function inlineBodies(s: Schedule): Map<Stage, Expr> {
  const bodies = new Map<Stage, Expr>();
  const inlined = new Map<number, Stage>();
  for (const st of s.stages) {
    if (!st.body) continue;
    const body = transform(st.body, (e) => {
      if (e.kind !== 'tensorRead') return undefined;
      const src = inlined.get(e.tensor.id);
      if (!src) return undefined;
      const map = new Map(src.axis.map((a, d): [number, Expr] => [a.var.id, e.indices[d]]));
      return substitute(bodies.get(src)!, map);
    });
    bodies.set(st, body);
    if (st.attach.kind === 'inline') inlined.set(st.tensor.id, st);
  }
  return bodies;
}
