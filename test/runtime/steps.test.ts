import { describe, expect, it } from 'vitest';
import type { HostArray } from '../../src/codegen/target.js';
import type { Plan } from '../../src/runtime/plan.js';
import { bindPlan, runPlan } from '../../src/runtime/steps.js';

/** out = x + w + a, through an arena value a = w·2; the runner records what it was handed. */
function plan(w: Float32Array): Plan {
  return {
    steps: [
      { entry: 'double', label: 'n0', op: 'Mul', args: [{ kind: 'constant', data: w }, { kind: 'arena', offset: 0, dtype: 'float32', elems: 4 }] },
      { entry: 'sum', label: 'n1', op: 'Add', args: [{ kind: 'feed', index: 0 }, { kind: 'constant', data: w }, { kind: 'arena', offset: 0, dtype: 'float32', elems: 4 }, { kind: 'output', index: 0 }] },
    ],
    outputs: [{ type: { dtype: 'float32', shape: [4] }, source: { kind: 'written' } }],
    arenaBytes: 16,
  } as unknown as Plan;
}

function runner(memory: Uint8Array | undefined, seen: HostArray[][]) {
  return {
    arena: memory ? (bytes: number) => (bytes <= memory.byteLength ? memory.subarray(0, bytes) : undefined) : undefined,
    run(args: readonly HostArray[], entry: string): void {
      seen.push([...args]);
      const f = args as Float32Array[];
      if (entry === 'double') for (let i = 0; i < 4; i++) f[1][i] = f[0][i] * 2;
      else for (let i = 0; i < 4; i++) f[3][i] = f[0][i] + f[1][i] + f[2][i];
    },
  };
}

describe('bindPlan', () => {
  const w = new Float32Array([1, 2, 3, 4]);
  const feed = { dtype: 'float32', shape: [4], data: new Float32Array([10, 20, 30, 40]) } as const;

  it('copies constants once into memory the kernels offer, after the arena, shared by every step', () => {
    const memory = new Uint8Array(1024);
    const seen: HostArray[][] = [];
    const bound = bindPlan(plan(w), runner(memory, seen));
    const out = runPlan(bound, [feed], false).outputs[0].data;
    expect([...out]).toEqual([13, 26, 39, 52]);
    const [weights, arena] = seen[0] as Float32Array[];
    expect(weights).not.toBe(w);
    expect(weights.buffer).toBe(memory.buffer);
    expect(weights.byteOffset).toBeGreaterThanOrEqual(arena.byteOffset + 16);
    expect(weights.byteOffset % 64).toBe(0);
    expect(seen[1][1]).toBe(weights);
  });

  it('keeps constants where they are without such memory', () => {
    const seen: HostArray[][] = [];
    runPlan(bindPlan(plan(w), runner(undefined, seen)), [feed], false);
    expect(seen[0][0]).toBe(w);
    expect(seen[1][1]).toBe(w);
  });
});
