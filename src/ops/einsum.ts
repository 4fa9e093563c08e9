/**
 * @file Einsum: the general form, as one compute. Each distinct label is an axis; labels in the
 * output are spatial, the others are summed: out[o] = Σ_r Π_k input_k[labels_k(o, r)]. A label
 * repeated within one operand reads its diagonal. An ellipsis stands for the same broadcast batch
 * dims in every operand (named by position from the right); without `->` the output is the
 * ellipsis dims followed by the labels used exactly once, in alphabetical order.
 */

import type { Expr, IterVar } from '../ir/expr.js';
import { constant, intImm, mul } from '../ir/expr.js';
import type { Dim } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, reduceAxis, sum } from '../te/compute.js';
import type { NodeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { broadcastShapes, showShape } from './shape.js';

interface Spec {
  /** per operand, one label per dim (ellipsis dims become '0', '1', … counted from the right) */
  readonly inputs: readonly string[][];
  readonly output: readonly string[];
}

function parseTerm(ctx: NodeContext, term: string, rank: number | null, ellipsisRank: number): string[] {
  const parts = term.split('...');
  if (parts.length > 2) throw ctx.fail(`term "${term}" has more than one ellipsis`);
  for (const p of parts) {
    if (!/^[A-Za-z]*$/.test(p)) throw ctx.fail(`term "${term}" has a character that is not a letter`);
  }
  const letters = parts.join('').length;
  const dots = parts.length === 2 ? (rank === null ? ellipsisRank : rank - letters) : 0;
  if (dots < 0 || (rank !== null && parts.length === 1 && letters !== rank)) throw ctx.fail(`term "${term}" does not match an operand of rank ${rank}`);
  const ell = Array.from({ length: dots }, (_, k) => String(dots - 1 - k));
  return parts.length === 2 ? [...parts[0], ...ell, ...parts[1]] : [...parts[0]];
}

function parse(ctx: NodeContext, ranks: readonly number[]): Spec {
  const eq = ctx.string('equation').replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) throw ctx.fail(`equation "${eq}" has ${terms.length} operands, the node has ${ranks.length}`);
  const inputs = terms.map((t, k) => parseTerm(ctx, t, ranks[k], 0));
  const ellRank = Math.max(0, ...inputs.map((labels) => labels.filter((l) => /\d/.test(l)).length));
  const ellipsis = Array.from({ length: ellRank }, (_, k) => String(ellRank - 1 - k));
  if (rhs !== undefined) return { inputs, output: parseTerm(ctx, rhs, null, ellRank) };
  const counts = new Map<string, number>();
  for (const l of inputs.flat()) if (/[A-Za-z]/.test(l)) counts.set(l, (counts.get(l) ?? 0) + 1);
  const once = [...counts].filter(([, n]) => n === 1).map(([l]) => l).sort();
  return { inputs, output: [...ellipsis, ...once] };
}

/** The extent of every label, from the operand shapes (ellipsis dims broadcast). */
function extents(ctx: NodeContext, spec: Spec, shapes: readonly (readonly Dim[])[]): Map<string, Dim> {
  const out = new Map<string, Dim>();
  spec.inputs.forEach((labels, k) => {
    labels.forEach((l, d) => {
      const dim = shapes[k][d];
      const prev = out.get(l);
      if (prev === undefined || prev === 1) out.set(l, dim);
      else if (/\d/.test(l)) out.set(l, broadcastShapes(ctx, [[prev], [dim]])[0]);
      else if (typeof prev === 'number' && typeof dim === 'number' && prev !== dim) {
        throw ctx.fail(`label ${l} has extents ${prev} and ${dim} in ${shapes.map(showShape).join(', ')}`);
      }
    });
  });
  for (const l of spec.output) if (!out.has(l)) throw ctx.fail(`output label ${l} appears in no operand`);
  return out;
}

defineOp({
  name: 'Einsum',
  inputs: [1, Infinity],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    const types = ctx.node.inputs.map((_, i) => ctx.type(i));
    const dtype = sameDType(ctx, types.map((t) => t.dtype));
    checkDType(ctx, dtype, 'numeric');
    const spec = parse(ctx, types.map((t) => t.shape.length));
    const ext = extents(ctx, spec, types.map((t) => t.shape));
    return [tensorType(dtype, spec.output.map((l) => ext.get(l) ?? 1))];
  },
  compute(ctx) {
    const xs = ctx.node.inputs.map((_, i) => ctx.input(i));
    const spec = parse(ctx, xs.map((x) => x.ndim));
    const ext = extents(ctx, spec, xs.map((x) => x.shape)) as Map<string, number>;
    const summed = [...ext.keys()].filter((l) => !spec.output.includes(l));
    const raxes = new Map<string, IterVar>(summed.map((l) => [l, reduceAxis(ext.get(l) ?? 1, `r_${l}`)]));
    const empty = summed.some((l) => ext.get(l) === 0);
    return [
      compute(ctx.outputs[0].shape, (...o) => {
        if (empty) return constant(0, xs[0].dtype);
        const at = (l: string, size: number): Expr => {
          if (size === 1) return intImm(0);
          const j = spec.output.indexOf(l);
          return j >= 0 ? o[j] : (raxes.get(l)?.var ?? intImm(0));
        };
        const reads: Expr[] = xs.map((x, k) => x.at(...spec.inputs[k].map((l, d) => at(l, x.shape[d]))));
        const product = reads.reduce((a, b) => mul(a, b));
        return raxes.size === 0 ? product : sum(product, [...raxes.values()]);
      }, 'einsum', { tag: 'einsum' }),
    ];
  },
});
