/**
 * @file Random small graphs for the pipeline's property test: chains over one 4-d value with
 * the ops the passes rewrite — Add/Mul/Sub/Div by constants (some neutral, some per channel),
 * Relu, Sigmoid, Identity, Dropout, Conv (with or without bias), BatchNormalization,
 * Reshape/Flatten/Squeeze/Unsqueeze round trips, Transpose pairs, x·HardSigmoid(x), Shape-driven
 * Reshapes, constant-only subexpressions and reads of earlier values (diamonds).
 */

import { attrs, float, int, ints } from '../../../src/graph/attrs.js';
import type { GraphBuilder } from '../../../src/graph/builder.js';
import type { Graph, Value } from '../../../src/graph/graph.js';
import type { HostTensor } from '../../../src/graph/tensor.js';
import { tensorOf } from '../../../src/graph/tensor.js';
import type { Dim } from '../../../src/graph/types.js';
import { builder, f32, floats } from './helpers.js';

export interface Step {
  readonly kind: number;
  readonly a: number;
  readonly b: number;
}

export const STEP_KINDS = 12;

/** A deterministic stream of numbers in [lo, hi) from a seed. */
class Numbers {
  constructor(private state: number) {}
  next(lo: number, hi: number): number {
    this.state = (Math.imul(this.state, 1103515245) + 12345) >>> 0;
    return lo + ((this.state >>> 8) / (1 << 24)) * (hi - lo);
  }
  tensor(shape: readonly number[], lo: number, hi: number): HostTensor {
    const n = shape.reduce((p, d) => p * d, 1);
    return floats(shape, Array.from({ length: n }, () => Math.round(this.next(lo, hi) * 8) / 8));
  }
}

interface State {
  readonly b: GraphBuilder;
  readonly rnd: Numbers;
  cur: Value;
  shape: number[];
  /** earlier values with their shapes */
  readonly seen: { value: Value; shape: number[] }[];
}

const int64s = (s: State, values: readonly number[]): Value => s.b.initializer('', tensorOf('int64', [values.length], values));

/** A constant that broadcasts against the current shape: [1], [C, 1, 1], [1, C, 1, 1] or full. */
function operand(s: State, pick: number, neutral: number | null): Value {
  const c = s.shape[1];
  const shapes = [[1], [c, 1, 1], [1, c, 1, 1], s.shape];
  const shape = shapes[pick % shapes.length];
  const t = neutral === null ? s.rnd.tensor(shape, 0.5, 2) : floats(shape, Array<number>(shape.reduce((p, d) => p * d, 1)).fill(neutral));
  return s.b.initializer('', t);
}

function node(s: State, op: string, inputs: (Value | null)[], a: Record<string, ReturnType<typeof int>> = {}): Value {
  return s.b.node(op, inputs, { attrs: attrs(a) }).outputs[0];
}

const STEPS: readonly ((s: State, a: number, b: number) => void)[] = [
  (s, a) => (s.cur = node(s, ['Relu', 'Sigmoid', 'Identity', 'Dropout'][a % 4], [s.cur])),
  (s, a, b) => {
    const op = ['Add', 'Mul', 'Sub', 'Div'][a % 4];
    const neutral = b % 3 === 0 ? (op === 'Add' || op === 'Sub' ? 0 : 1) : null;
    s.cur = node(s, op, a % 8 < 4 ? [s.cur, operand(s, b >> 2, neutral)] : [operand(s, b >> 2, neutral), s.cur]);
  },
  (s, a, b) => {
    const k = a % 2 === 0 ? 1 : 3;
    const cout = 2 + (b % 2);
    const w = s.b.initializer('', s.rnd.tensor([cout, s.shape[1], k, k], -1, 1));
    const bias = b % 4 < 2 ? s.b.initializer('', s.rnd.tensor([cout], -1, 1)) : null;
    const p = (k - 1) / 2;
    s.cur = node(s, 'Conv', bias ? [s.cur, w, bias] : [s.cur, w], { pads: ints([p, p, p, p]) });
    s.shape = [s.shape[0], cout, s.shape[2], s.shape[3]];
  },
  (s) => {
    const c = s.shape[1];
    const params = [s.rnd.tensor([c], 0.5, 2), s.rnd.tensor([c], -1, 1), s.rnd.tensor([c], -1, 1), s.rnd.tensor([c], 0.25, 2)];
    s.cur = node(s, 'BatchNormalization', [s.cur, ...params.map((t) => s.b.initializer('', t))], { epsilon: float(1e-3) });
  },
  (s, a) => {
    const flat = a % 2 === 0 ? node(s, 'Reshape', [s.cur, int64s(s, [s.shape[0], -1])]) : node(s, 'Flatten', [s.cur], { axis: int(1) });
    s.cur = node(s, 'Reshape', [flat, int64s(s, s.shape)]);
  },
  (s, a, b) => {
    const perms = [[0, 2, 3, 1], [0, 3, 1, 2], [0, 1, 3, 2], [1, 0, 2, 3]];
    for (const perm of [perms[a % 4], perms[b % 4]]) {
      s.cur = node(s, 'Transpose', [s.cur], { perm: ints(perm) });
      s.shape = perm.map((p) => s.shape[p]);
    }
  },
  (s) => {
    const h = node(s, 'HardSigmoid', [s.cur], { alpha: float(1 / 6), beta: float(0.5) });
    s.cur = node(s, 'Mul', [s.cur, h]);
  },
  (s, a) => {
    const earlier = s.seen.filter((e) => e.shape.join() === s.shape.join());
    const other = earlier[a % earlier.length];
    s.cur = node(s, 'Add', [s.cur, other.value]);
  },
  (s) => (s.cur = node(s, 'Squeeze', [node(s, 'Unsqueeze', [s.cur, int64s(s, [0])]), int64s(s, [0])])),
  (s) => (s.cur = node(s, 'Reshape', [node(s, 'Sigmoid', [s.cur]), node(s, 'Shape', [s.cur])])),
  (s, a) => {
    const k = node(s, 'Mul', [operand(s, a, null), operand(s, a, null)]);
    s.cur = node(s, 'Add', [s.cur, k]);
  },
  (s, a) => (s.cur = node(s, ['Relu', 'Sigmoid'][a % 2], [node(s, 'Exp', [node(s, 'Neg', [s.cur])])])),
];

export interface RandomGraph {
  readonly graph: Graph;
  /** the input's concrete shape */
  readonly shape: readonly number[];
}

/** A graph of `steps` over x (batch symbolic when `symbolic`); outputs the last value and maybe an earlier one. */
export function randomGraph(steps: readonly Step[], seed: number, symbolic: boolean): RandomGraph {
  const b = builder();
  const rnd = new Numbers(seed);
  const shape = [1 + (seed % 2), 2 + ((seed >> 1) % 2), 2 + ((seed >> 2) % 2), 3];
  const dims: Dim[] = symbolic ? ['N', ...shape.slice(1)] : shape;
  const x = b.input('x', f32(dims));
  const s: State = { b, rnd, cur: x, shape: [...shape], seen: [{ value: x, shape: [...shape] }] };
  for (const step of steps) {
    STEPS[step.kind % STEPS.length](s, step.a, step.b);
    s.seen.push({ value: s.cur, shape: [...s.shape] });
  }
  const extra = s.seen[(seed >> 3) % s.seen.length].value;
  return { graph: b.build(extra === s.cur || extra === x ? [s.cur] : [s.cur, extra]), shape };
}
