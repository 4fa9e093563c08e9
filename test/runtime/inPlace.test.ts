/**
 * @file In-place execution end to end: on every available target, a model whose plan writes
 * kernels' outputs over their dying inputs declares those aliases in its artifact and computes
 * exactly what the out-of-place plan computes.
 */

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Graph, Value } from '../../src/graph/graph.js';
import { hostTensor, zeros } from '../../src/graph/tensor.js';
import { tensorType } from '../../src/graph/types.js';
import type { TargetName } from '../../src/codegen/index.js';
import { Executor } from '../../src/runtime/executor.js';
import { inPlacePairs } from '../../src/runtime/plan.js';
import { TARGETS, randomFloats } from '../api/helpers.js';

/**
 * x: float32[3, 37] (a row length that leaves a vector tail) through
 *   s1 = Softmax(x)                a reduction: its own block
 *   e  = Sigmoid(Exp(s1)) · s1      one fused kernel, in place over s1
 *   s2 = Softmax(e)
 *   d  = Add(s2, x)                in place over s2 (x is an input, never written)
 *   y  = Softmax(d)                a graph output, in its own array
 */
function model(): Graph {
  const b = new GraphBuilder(new Map([['', 17]]), 'g');
  const x = b.input('x', tensorType('float32', [3, 37]));
  const op = (name: string, ...inputs: Value[]): Value => b.node(name, inputs).outputs[0];
  const s1 = op('Softmax', x);
  const e = op('Mul', op('Sigmoid', op('Exp', s1)), s1);
  const d = op('Add', op('Softmax', e), x);
  return b.build([op('Softmax', d)]);
}

/**
 * The aliases an artifact declares: as its manifest (js) or metadata (wasm) spells them; for c,
 * the kernels' pointer parameters declared without `restrict`.
 */
function declared(target: TargetName, source: string | Uint8Array): string[] {
  const text = typeof source === 'string' ? source : Buffer.from(source).toString('latin1');
  if (target !== 'c') return [...text.matchAll(/"aliases":\[(\{[^\]]*)\]/g)].map((m) => m[1]);
  return [...text.matchAll(/kiln_impl_(\w+)\(([^)]*)\) \{/g)]
    .map(([, name, params]) => [name, params.split(', ').filter((p) => p.includes('*') && !p.includes('restrict'))] as const)
    .filter(([, plain]) => plain.length > 0)
    .map(([name, plain]) => `${name}: ${plain.join(', ')}`);
}

describe.each(TARGETS)('in place on %s', (target) => {
  it('runs two kernels in place and computes exactly the out-of-place results', async () => {
    const feed = hostTensor('float32', [3, 37], randomFloats(3 * 37, 11));
    const run = async (inPlace: boolean): Promise<{ y: Float32Array; aliases: string[] }> => {
      const ex = Executor.create(model(), { target, threads: 2, inPlace });
      try {
        const { source } = await ex.prepare([feed]);
        const { outputs } = await ex.run([feed]);
        return { y: outputs[0].data as Float32Array, aliases: declared(target, source) };
      } finally {
        await ex.release();
      }
    };
    const inPlace = await run(true);
    const reference = await run(false);
    // the fused Exp·Sigmoid·Mul kernel k1 (s1 → e) and the Add k3 (s2 → d): output over input 0
    const c = ['k1: const float *p0_0, float *mul_1', 'k3: const float *p0_0, float *add_2'];
    expect(inPlace.aliases).toEqual(target === 'c' ? c : ['{"written":1,"read":0}', '{"written":2,"read":0}']);
    expect(reference.aliases).toEqual([]);
    expect(Array.from(inPlace.y)).toEqual(Array.from(reference.y));
    expect(inPlace.y.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  });
});

describe('inPlacePairs', () => {
  it('offers a kernel alias as values, unless the input is bound twice or a constant', () => {
    // Rule: a value bound to two parameters may be read through the other one at other indices,
    // and a fused body's constant is not the arena's to overwrite.
    const b = new GraphBuilder(new Map([['', 17]]), 'g');
    const [u, v] = ['u', 'v'].map((n) => b.input(n, tensorType('float32', [4])));
    const out = b.node('Add', [u, v]).outputs[0];
    const value = (x: Value) => ({ kind: 'value', value: x }) as const;
    const alias = [{ written: 2, read: 0 }];
    const named = (params: Parameters<typeof inPlacePairs>[0]['params']) =>
      inPlacePairs({ params, aliases: alias }).map((p) => `${p.input.name}→${p.output.name}`);
    expect(named([value(u), value(v), value(out)])).toEqual([`u→${out.name}`]);
    expect(named([value(u), value(u), value(out)])).toEqual([]);
    expect(named([{ kind: 'constant', tensor: zeros('float32', [4]) }, value(v), value(out)])).toEqual([]);
  });
});
