import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../../../src/graph/builder.js';
import type { Graph, Value } from '../../../src/graph/graph.js';
import { zeros } from '../../../src/graph/tensor.js';
import { nodeUses } from '../../../src/graph/uses.js';
import { ARENA_ALIGN, GraphPassError, fuseOps, isFused, planMemory, valueBytes } from '../../../src/passes/graph/index.js';
import { builder, ctx, f32, typed } from './helpers.js';

/** A typed graph over x: float32[16] (64 bytes) built by `f`. */
function graphOf(f: (b: GraphBuilder, x: Value) => Value[]): Graph {
  const b = builder();
  const x = b.input('x', f32([16]));
  return typed(b.build(f(b, x)));
}

/** The offsets by the model names of the values. */
function offsetsByName(g: Graph, inPlace = true): Record<string, number> {
  const plan = planMemory(g, valueBytes, { inPlace });
  const out: Record<string, number> = {};
  for (const n of g.nodes) for (const v of n.outputs) if (plan.offsets.has(v.id)) out[v.name] = plan.offsets.get(v.id)!;
  return out;
}

const named = (b: GraphBuilder, op: string, inputs: Value[], name: string): Value => b.node(op, inputs, { outputs: [{ name }] }).outputs[0];

describe('planMemory', () => {
  it('places the example of its header: in place for Exp, a fresh block for the broadcasting Add', () => {
    // Rule: Exp is elementwise and a dies there (same size): b takes a's block. Add broadcasts.
    const g = graphOf((b, x) => {
      const a = named(b, 'Relu', [x], 'a');
      const e = named(b, 'Exp', [a], 'b');
      const c = named(b, 'Add', [e, x], 'c');
      return [named(b, 'Neg', [c], 'out')];
    });
    expect(offsetsByName(g)).toEqual({ a: 0, b: 0, c: 64 });
    expect(planMemory(g, valueBytes).arenaBytes).toBe(128);
  });

  it('without in-place, reuses a freed block only after its value died', () => {
    // Rule: a is freed after Exp reads it, so c (defined later) reuses a's block.
    const g = graphOf((b, x) => {
      const a = named(b, 'Relu', [x], 'a');
      const e = named(b, 'Exp', [a], 'b');
      const c = named(b, 'Sigmoid', [e], 'c');
      return [named(b, 'Neg', [c], 'out')];
    });
    expect(offsetsByName(g, false)).toEqual({ a: 0, b: 64, c: 0 });
  });

  it('picks the smallest free block that fits (best fit), every offset 64-byte aligned', () => {
    // Rule: when t is placed, a's 192-byte block at 0 and h's 64-byte block at 256 are free;
    // t (64 bytes) takes the smaller one, where first fit would take offset 0.
    const b = builder();
    const x = b.input('x', f32([48]));
    const xs = b.input('xs', f32([16]));
    const a = named(b, 'Relu', [x], 'a');
    const s1 = named(b, 'Relu', [xs], 's1');
    const h = named(b, 'Relu', [xs], 'h');
    const s2 = named(b, 'Relu', [xs], 's2');
    const q = named(b, 'Mul', [h, s2], 'q');
    const r = named(b, 'Neg', [a], 'r');
    const t = named(b, 'Exp', [s1], 't');
    const v = named(b, 'Add', [named(b, 'Add', [t, q], 'u'), s2], 'v');
    const g = typed(b.build([v, named(b, 'Neg', [r], 'w')]));
    expect(offsetsByName(g, false)).toMatchObject({ a: 0, s1: 192, h: 256, s2: 320, q: 384, r: 448, t: 256 });
    const plan = planMemory(g, valueBytes, { inPlace: false });
    expect([...plan.offsets.values()].every((o) => o % ARENA_ALIGN === 0)).toBe(true);
  });

  it('writes an elementwise Fused node in place, but not a broadcast one', () => {
    // Rule: a Fused node counts as elementwise by its pattern: Fused(Exp, Sigmoid) writes over a,
    // which dies there; Fused(Add, Neg) broadcasts, so n gets a block of its own while f dies.
    const g = fuseOps.run(
      graphOf((b, x) => {
        const a = named(b, 'Softmax', [x], 'a');
        const f = named(b, 'Sigmoid', [named(b, 'Exp', [a], 'e')], 'f');
        const d = named(b, 'Softmax', [f], 'd');
        const n = named(b, 'Neg', [named(b, 'Add', [f, x], 'c')], 'n');
        return [d, named(b, 'Softmax', [n], 'out')];
      }),
      ctx,
    );
    expect(g.nodes.map((n) => (isFused(n) ? n.attrs.get('pattern')?.value : n.op))).toEqual(['Softmax', 'elementwise', 'Softmax', 'broadcast', 'Softmax']);
    expect(offsetsByName(g)).toEqual({ a: 0, f: 0, n: 64 });
  });

  it('leaves inputs, initializers and graph outputs out of the arena', () => {
    const g = graphOf((b, x) => [named(b, 'Add', [x, b.initializer('c', zeros('float32', [16]))], 'y')]);
    expect(planMemory(g, valueBytes)).toEqual({ offsets: new Map(), arenaBytes: 0 });
  });

  it('names a value it cannot size', () => {
    const b = builder();
    const x = b.input('x', f32(['N']));
    const g = typed(b.build([b.node('Relu', [b.node('Exp', [x], { outputs: [{ name: 'e' }] }).outputs[0]]).outputs[0]]));
    expect(() => planMemory(g, valueBytes)).toThrow(GraphPassError);
    expect(() => planMemory(g, valueBytes)).toThrow('planMemory: value "e": has no concrete shape to size it by');
    expect(() => planMemory(g, () => -1)).toThrow('planMemory: value "e": has a bad size -1');
  });

  it('never overlaps two values live at once (random graphs)', () => {
    // Property: for every pair of planned values whose live ranges [def, last use] intersect,
    // their byte ranges are disjoint — except an in-place pair, whose ranges touch only at the
    // elementwise node where the input dies and the output is born.
    const ops = ['Relu', 'Exp', 'Add', 'Mul', 'Sigmoid'] as const;
    const step = fc.record({ op: fc.constantFrom(...ops), a: fc.nat(), b: fc.nat(), len: fc.integer({ min: 1, max: 40 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), fc.boolean(), fc.nat(), (steps, inPlace, outs) => {
        const g = randomGraph(steps, outs);
        checkNoOverlap(g, planMemory(g, valueBytes, { inPlace }));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});


/** Values of several sizes; each op reads earlier values of its size (picked by a, b). */
function randomGraph(steps: readonly { op: string; a: number; b: number; len: number }[], outs: number): Graph {
  const b = builder();
  const bySize = new Map<number, Value[]>();
  const all: Value[] = [];
  const pick = (len: number, k: number): Value => {
    let vs = bySize.get(len);
    if (!vs) bySize.set(len, (vs = [b.input(`in${len}`, f32([len]))]));
    return vs[k % vs.length];
  };
  for (const s of steps) {
    const len = s.len % 4 === 0 ? 16 : s.len;
    const args = s.op === 'Add' || s.op === 'Mul' ? [pick(len, s.a), pick(len, s.b)] : [pick(len, s.a)];
    const v = b.node(s.op, args).outputs[0];
    bySize.get(len)!.push(v);
    all.push(v);
  }
  return typed(b.build([all[all.length - 1], all[outs % all.length]]));
}

function checkNoOverlap(g: Graph, plan: ReturnType<typeof planMemory>): void {
  const def = new Map<number, number>();
  const last = new Map<number, number>();
  g.nodes.forEach((n, i) => {
    for (const v of n.outputs) {
      def.set(v.id, i);
      last.set(v.id, i);
    }
    for (const v of nodeUses(n)) last.set(v.id, i);
  });
  const values = g.nodes.flatMap((n) => n.outputs).filter((v) => plan.offsets.has(v.id));
  for (const [i, u] of values.entries()) {
    const [ou, su] = [plan.offsets.get(u.id)!, valueBytes(u)];
    expect(ou + su).toBeLessThanOrEqual(plan.arenaBytes);
    for (const v of values.slice(i + 1)) {
      const [ov, sv] = [plan.offsets.get(v.id)!, valueBytes(v)];
      const timeOverlap = def.get(u.id)! <= last.get(v.id)! && def.get(v.id)! <= last.get(u.id)!;
      const spaceOverlap = ou < ov + sv && ov < ou + su;
      if (!timeOverlap || !spaceOverlap) continue;
      // the only allowed overlap: v written in place over u at the node where u dies
      const node = g.nodes[def.get(v.id)!];
      const inPlace = last.get(u.id) === def.get(v.id) && node.inputs.includes(u) && ou === ov && su === sv && ['Relu', 'Exp', 'Sigmoid'].includes(node.op);
      expect(inPlace).toBe(true);
    }
  }
}
