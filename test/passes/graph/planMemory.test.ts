import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerKernel } from '../../../src/codegen/build.js';
import { getBackend } from '../../../src/codegen/index.js';
import { attrs, int, ints } from '../../../src/graph/attrs.js';
import type { GraphBuilder } from '../../../src/graph/builder.js';
import type { Graph, Node, Value } from '../../../src/graph/graph.js';
import { zeros } from '../../../src/graph/tensor.js';
import { indexGraph, nodeUses } from '../../../src/graph/uses.js';
import type { ConcatViews, InPlace } from '../../../src/passes/graph/index.js';
import { ARENA_ALIGN, GraphPassError, concatViews, fuseOps, isFused, planMemory, valueBytes } from '../../../src/passes/graph/index.js';
import { nodeKernel } from '../../../src/runtime/kernels.js';
import { inPlacePairs } from '../../../src/runtime/plan.js';
import { inPlaceAliases } from '../../../src/tir/inPlace.js';
import { builder, ctx, f32, typed } from './helpers.js';

/** A typed graph over x: float32[16] (64 bytes) built by `f`. */
function graphOf(f: (b: GraphBuilder, x: Value) => Value[]): Graph {
  const b = builder();
  const x = b.input('x', f32([16]));
  return typed(b.build(f(b, x)));
}

/**
 * The pairs the executor offers: each node's kernel (default schedule, wasm's vector width) is
 * lowered and its TIR checked by inPlaceAliases.
 */
function kernelPairs(g: Graph): (n: Node) => readonly InPlace[] {
  const index = indexGraph(g);
  const info = getBackend('wasm').info;
  return (n) => {
    const nk = nodeKernel(n, 'k', 17, (v) => index.constant(v), info);
    return inPlacePairs({ params: nk.params, aliases: inPlaceAliases(lowerKernel(nk.spec)) });
  };
}

/** The offsets by the model names of the values. */
function offsetsByName(g: Graph, inPlace = true): Record<string, number> {
  const plan = planMemory(g, valueBytes, inPlace ? { inPlace: kernelPairs(g) } : {});
  const out: Record<string, number> = {};
  for (const n of g.nodes) for (const v of n.outputs) if (plan.offsets.has(v.id)) out[v.name] = plan.offsets.get(v.id)!;
  return out;
}

const named = (b: GraphBuilder, op: string, inputs: Value[], name: string): Value => b.node(op, inputs, { outputs: [{ name }] }).outputs[0];

describe('planMemory', () => {
  it('places the example of its header: in place for Exp and Add, not for Softmax', () => {
    // Rule: Exp reads a at the index it writes and a dies there (same size): b takes a's block.
    // Softmax reads all of b for each element (a reduction): c gets a block of its own. Add
    // writes over c, which dies there; x is a graph input and is never written.
    const g = graphOf((b, x) => {
      const a = named(b, 'Relu', [x], 'a');
      const e = named(b, 'Exp', [a], 'b');
      const c = named(b, 'Softmax', [e], 'c');
      const d = named(b, 'Add', [c, x], 'd');
      return [named(b, 'Neg', [d], 'out')];
    });
    expect(offsetsByName(g)).toEqual({ a: 0, b: 0, c: 64, d: 64 });
    const plan = planMemory(g, valueBytes, { inPlace: kernelPairs(g) });
    expect(plan.arenaBytes).toBe(128);
    expect([...plan.inPlace].map(([k, ps]) => [k, ps.map((p) => `${p.input.name}→${p.output.name}`)])).toEqual([
      [1, ['a→b']],
      [3, ['c→d']],
    ]);
  });

  it('refuses a transposing reader', () => {
    // Rule: Transpose reads a[j, i] to write t[i, j]: t needs its own block though a dies there.
    const b = builder();
    const x = b.input('x', f32([4, 4]));
    const a = named(b, 'Relu', [x], 'a');
    const t = b.node('Transpose', [a], { attrs: attrs({ perm: ints([1, 0]) }), outputs: [{ name: 't' }] }).outputs[0];
    const g = typed(b.build([named(b, 'Neg', [t], 'out')]));
    expect(offsetsByName(g)).toEqual({ a: 0, t: 64 });
  });

  it('writes over the full-size input of a broadcasting Add, never over the broadcast one', () => {
    // Rule: Add(w, r) reads w at the index it writes, r (one row) for every row. Both die there:
    // y takes w's block; r is smaller than y, and is read broadcast in any case.
    const b = builder();
    const x = b.input('x', f32([4, 4]));
    const xr = b.input('xr', f32([1, 4]));
    const w = named(b, 'Relu', [x], 'w');
    const r = named(b, 'Relu', [xr], 'r');
    const y = named(b, 'Add', [r, w], 'y');
    const g = typed(b.build([named(b, 'Neg', [y], 'out')]));
    expect(offsetsByName(g)).toEqual({ w: 0, r: 64, y: 0 });
  });

  it('refuses an input that is read again later', () => {
    // Rule: a is still live after Exp (Add reads it), so b may not take its block; Add then
    // writes over b, the input that dies there (the first one offered).
    const g = graphOf((b, x) => {
      const a = named(b, 'Relu', [x], 'a');
      const e = named(b, 'Exp', [a], 'b');
      return [named(b, 'Neg', [named(b, 'Add', [e, a], 'c')], 'out')];
    });
    const offsets = offsetsByName(g);
    expect(offsets.b).not.toBe(offsets.a);
    expect([offsets.a, offsets.b]).toContain(offsets.c);
  });

  it('never writes over a graph input, a constant or into a graph output', () => {
    // Rule: only arena values take part. x (input) and k (constant) die at their readers but are
    // not the arena's; y is a graph output and lives in its own array.
    const g = graphOf((b, x) => {
      const a = named(b, 'Relu', [x], 'a');
      const k = b.initializer('k', zeros('float32', [16]));
      const c = named(b, 'Add', [a, k], 'c');
      return [named(b, 'Exp', [c], 'y')];
    });
    const plan = planMemory(g, valueBytes, { inPlace: kernelPairs(g) });
    expect(offsetsByName(g)).toEqual({ a: 0, c: 0 });
    expect([...plan.inPlace.values()].flat().map((p) => `${p.input.name}→${p.output.name}`)).toEqual(['a→c']);
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
    const plan = planMemory(g, valueBytes);
    expect([...plan.offsets.values()].every((o) => o % ARENA_ALIGN === 0)).toBe(true);
  });

  it('writes a Fused node in place over an input its body reads at the written index', () => {
    // Rule: Fused(Exp, Sigmoid) writes over a, which dies there; Fused(Add, Neg) writes over f,
    // which it reads at the index it writes (x is a graph input).
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
    expect(offsetsByName(g)).toEqual({ a: 0, f: 0, n: 0 });
  });

  it('leaves inputs, initializers and graph outputs out of the arena', () => {
    const g = graphOf((b, x) => [named(b, 'Add', [x, b.initializer('c', zeros('float32', [16]))], 'y')]);
    expect(planMemory(g, valueBytes, { inPlace: kernelPairs(g) })).toEqual({ offsets: new Map(), arenaBytes: 0, inPlace: new Map() });
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
    // node where the input dies and the output is born. Every pair of a node's input and output
    // is offered: the pass alone must keep to dying inputs of the same size.
    const ops = ['Relu', 'Exp', 'Add', 'Mul', 'Sigmoid'] as const;
    const step = fc.record({ op: fc.constantFrom(...ops), a: fc.nat(), b: fc.nat(), len: fc.integer({ min: 1, max: 40 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), fc.boolean(), fc.nat(), (steps, inPlace, outs) => {
        const g = randomGraph(steps, outs);
        checkNoOverlap(g, planMemory(g, valueBytes, inPlace ? { inPlace: everyPair } : {}));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});


/** `Concat(...inputs)` along `axis`, its output named `name`. */
const concat = (b: GraphBuilder, inputs: Value[], name: string, axis = 1): Value =>
  b.node('Concat', inputs, { attrs: attrs({ axis: int(axis) }), outputs: [{ name }] }).outputs[0];

/** The views of `g` by value names: `a: 'c@64'` (a lies in c at byte 64). */
function viewsByName(views: ConcatViews, g: Graph): Record<string, string> {
  const names = new Map(g.nodes.flatMap((n) => n.outputs.map((v) => [v.id, v.name] as const)));
  const out: Record<string, string> = {};
  for (const [id, v] of views.views) out[names.get(id)!] = `${v.into.name}@${v.offset}`;
  return out;
}

/** The offsets of `g`'s values with its Concat views (and in-place pairs when asked). */
function offsetsWithViews(g: Graph, inPlace = false): Record<string, number> {
  const plan = planMemory(g, valueBytes, { views: concatViews(g, valueBytes), ...(inPlace ? { inPlace: kernelPairs(g) } : {}) });
  const out: Record<string, number> = {};
  for (const n of g.nodes) for (const v of n.outputs) if (plan.offsets.has(v.id)) out[v.name] = plan.offsets.get(v.id)!;
  return out;
}

/** A graph over x: float32[1, 16] (64 bytes) built by `f`, and its Concat views. */
function viewed(f: (b: GraphBuilder, x: Value) => Value[], shape = [1, 16]): { g: Graph; views: ConcatViews } {
  const b = builder();
  const x = b.input('x', f32(shape));
  const g = typed(b.build(f(b, x)));
  return { g, views: concatViews(g, valueBytes) };
}

describe('concatViews', () => {
  it('places the example of its header: the parts inside the output, the Concat without a kernel', () => {
    // Rule: the dims before axis 1 are [1], so a and b are the two halves of c's bytes.
    const { g, views } = viewed((b, x) => {
      const c = concat(b, [named(b, 'Relu', [x], 'a'), named(b, 'Exp', [x], 'b')], 'c');
      return [named(b, 'Neg', [c], 'out')];
    });
    expect(viewsByName(views, g)).toEqual({ a: 'c@0', b: 'c@64' });
    expect([...views.nodes]).toEqual([2]);
    expect(offsetsWithViews(g)).toEqual({ a: 0, b: 64, c: 0 });
    expect(planMemory(g, valueBytes, { views }).arenaBytes).toBe(128);
  });

  it('joins along any axis with only dims of 1 before it, a negative axis too', () => {
    // Rule: [1, 1, 4] on axis 2 (-1) and [2, 8] on axis 0 are contiguous; [2, 8] on axis 1 is not.
    const along = (shape: number[], axis: number): number =>
      viewed((b, x) => [named(b, 'Neg', [concat(b, [named(b, 'Relu', [x], 'a'), named(b, 'Exp', [x], 'b')], 'c', axis)], 'out')], shape).views.nodes.size;
    expect(along([1, 1, 4], -1)).toBe(1);
    expect(along([1, 1, 4], 2)).toBe(1);
    expect(along([2, 8], 0)).toBe(1);
    expect(along([2, 8], 1)).toBe(0);
    expect(along([2, 8], -1)).toBe(0);
  });

  it('copies a graph input, a constant, a graph output, a repeated value or a value another Concat took', () => {
    // Rule: only distinct values a node writes into the arena can be parts, each of one Concat;
    // nor is a Concat that writes a graph output (its own array) joined.
    const cases: Record<string, (b: GraphBuilder, x: Value) => Value[]> = {
      input: (b, x) => [named(b, 'Neg', [concat(b, [x, named(b, 'Relu', [x], 'a')], 'c')], 'out')],
      constant: (b, x) => [named(b, 'Neg', [concat(b, [b.initializer('k', zeros('float32', [1, 16])), named(b, 'Relu', [x], 'a')], 'c')], 'out')],
      'graph output part': (b, x) => {
        const a = named(b, 'Relu', [x], 'a');
        return [named(b, 'Neg', [concat(b, [a, named(b, 'Exp', [x], 'e')], 'c')], 'out'), a];
      },
      'graph output': (b, x) => [concat(b, [named(b, 'Relu', [x], 'a'), named(b, 'Exp', [x], 'e')], 'c')],
      repeated: (b, x) => {
        const a = named(b, 'Relu', [x], 'a');
        return [named(b, 'Neg', [concat(b, [a, a], 'c')], 'out')];
      },
    };
    for (const [name, f] of Object.entries(cases)) expect(viewed(f).views.nodes.size, name).toBe(0);
    // a is c1's part already: c2 copies it (and e with it)
    const { g, views } = viewed((b, x) => {
      const a = named(b, 'Relu', [x], 'a');
      const c1 = concat(b, [a, named(b, 'Exp', [x], 'e1')], 'c1');
      const c2 = concat(b, [a, named(b, 'Exp', [x], 'e2')], 'c2');
      return [named(b, 'Neg', [c1], 'o1'), named(b, 'Neg', [c2], 'o2')];
    });
    expect(viewsByName(views, g)).toEqual({ a: 'c1@0', e1: 'c1@64' });
  });

  it('nests: a Concat output that is a part of another Concat places its own parts inside that one', () => {
    // Rule: c1 lies at byte 0 of c2, so a and b do too; all three Concats of DenseNet's kind
    // (each layer's output joined to all before it) share c2's block.
    const { g, views } = viewed((b, x) => {
      const c1 = concat(b, [named(b, 'Relu', [x], 'a'), named(b, 'Exp', [x], 'b')], 'c1');
      const c2 = concat(b, [c1, named(b, 'Relu', [c1], 'd')], 'c2');
      return [named(b, 'Neg', [c2], 'out')];
    });
    expect(viewsByName(views, g)).toEqual({ a: 'c1@0', b: 'c1@64', c1: 'c2@0', d: 'c2@128' });
    expect(offsetsWithViews(g)).toEqual({ a: 0, b: 64, c1: 0, d: 128, c2: 0 });
    expect(planMemory(g, valueBytes, { views }).arenaBytes).toBe(256);
  });

  it('keeps the block from its first part to the last read of any part', () => {
    // Rule: c's block is placed when a is written and lives until f reads a, after c's own last
    // reader n: s (defined in between) and f get blocks of their own. Without views, f would
    // take a's block in place. Then the block is free: h (a reduction, not in place) takes it.
    const { g } = viewed((b, x) => {
      const a = named(b, 'Relu', [x], 'a');
      const s = named(b, 'Sigmoid', [x], 's');
      const c = concat(b, [a, named(b, 'Exp', [s], 'e')], 'c');
      const n = named(b, 'Softmax', [c], 'n');
      const h = named(b, 'Softmax', [named(b, 'Exp', [a], 'f')], 'h');
      return [named(b, 'Neg', [n], 'o1'), named(b, 'Neg', [h], 'o2')];
    });
    const at = offsetsWithViews(g, true);
    expect(at).toMatchObject({ a: 0, e: 64, c: 0, h: 0 });
    expect(at.s).toBeGreaterThanOrEqual(128);
    expect(at.f).toBeGreaterThanOrEqual(128);
    expect(at.f).not.toBe(at.n);
  });

  it('writes over a dying block only where the writer reads no part of it', () => {
    // Rule: Mul(c, x1) reads c at the index it writes: m takes c's block. Mul(c, a) also reads
    // a, which lies in c: writing m over c would overwrite a while it is read.
    const run = (byPart: boolean): Record<string, number> => {
      const b = builder();
      const x1 = b.input('x1', f32([1, 1]));
      const x15 = b.input('x15', f32([1, 15]));
      const a = named(b, 'Relu', [x1], 'a');
      const c = concat(b, [a, named(b, 'Exp', [x15], 'e')], 'c');
      const m = named(b, 'Mul', [c, byPart ? a : x1], 'm');
      return offsetsWithViews(typed(b.build([named(b, 'Neg', [m], 'out')])), true);
    };
    expect(run(false)).toEqual({ a: 0, e: 4, c: 0, m: 0 });
    expect(run(true)).toEqual({ a: 0, e: 4, c: 0, m: 64 });
  });

  it('never overlaps two values live at once unless one lies in the other (random graphs with Concats)', () => {
    // Property: as for planMemory alone, where a value may also share bytes with the Concat
    // outputs it is a part of, exactly at its place in them.
    const ops = ['Relu', 'Exp', 'Add', 'Concat', 'Concat'] as const;
    const step = fc.record({ op: fc.constantFrom(...ops), a: fc.nat(), b: fc.nat(), len: fc.integer({ min: 1, max: 40 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), fc.boolean(), fc.nat(), (steps, inPlace, outs) => {
        const g = randomGraph(steps, outs);
        const views = concatViews(g, valueBytes);
        const plan = planMemory(g, valueBytes, { views, ...(inPlace ? { inPlace: everyPair } : {}) });
        checkNoOverlap(g, plan, views);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});


const everyPair = (n: Node): InPlace[] => n.inputs.flatMap((input) => (input === null ? [] : n.outputs.map((output) => ({ input, output }))));

/** Values of several sizes; each op reads earlier values of its size (picked by a, b). */
function randomGraph(steps: readonly { op: string; a: number; b: number; len: number }[], outs: number): Graph {
  const b = builder();
  const bySize = new Map<number, Value[]>();
  const all: Value[] = [];
  const lengths = new Map<Value, number>();
  const pick = (len: number, k: number): Value => {
    let vs = bySize.get(len);
    if (!vs) bySize.set(len, (vs = [b.input(`in${len}`, f32([len]))]));
    for (const v of vs) lengths.set(v, len);
    return vs[k % vs.length];
  };
  for (const s of steps) {
    const len = s.len % 4 === 0 ? 16 : s.len;
    // a Concat joins a value of this size and one of any size picked among those made so far
    const other = (): Value => (all.length > 0 && s.b % 3 !== 0 ? all[s.b % all.length] : pick(len, s.b));
    const args = s.op === 'Add' || s.op === 'Mul' ? [pick(len, s.a), pick(len, s.b)] : s.op === 'Concat' ? [pick(len, s.a), other()] : [pick(len, s.a)];
    const v = b.node(s.op, args, s.op === 'Concat' ? { attrs: attrs({ axis: int(0) }) } : {}).outputs[0];
    const size = s.op === 'Concat' ? args.reduce((n, u) => n + lengths.get(u)!, 0) : len;
    if (!bySize.has(size)) bySize.set(size, [b.input(`in${size}`, f32([size]))]);
    bySize.get(size)!.push(v);
    lengths.set(v, size);
    all.push(v);
  }
  return typed(b.build([all[all.length - 1], all[outs % all.length]]));
}

function checkNoOverlap(g: Graph, plan: ReturnType<typeof planMemory>, views?: ConcatViews): void {
  /** whether `u` lies in `v` (through nested Concats) at its place there */
  const within = (u: Value, v: Value): boolean => {
    let [at, w] = [plan.offsets.get(u.id)!, views?.views.get(u.id)];
    for (; w !== undefined; w = views?.views.get(w.into.id)) {
      expect(plan.offsets.get(w.into.id)).toBe(at - w.offset);
      if (w.into.id === v.id) return true;
      at -= w.offset;
    }
    return false;
  };
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
      if (!timeOverlap || !spaceOverlap || within(u, v) || within(v, u)) continue;
      // the only allowed overlap: v written in place over u at the node where u dies
      const node = g.nodes[def.get(v.id)!];
      const taken = plan.inPlace.get(def.get(v.id)!)?.some((p) => p.input === u && p.output === v) ?? false;
      const inPlace = taken && last.get(u.id) === def.get(v.id) && node.inputs.includes(u) && ou === ov && su === sv;
      expect(inPlace).toBe(true);
    }
  }
}
