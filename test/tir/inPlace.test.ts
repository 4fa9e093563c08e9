import { describe, expect, it } from 'vitest';
import { lowerKernel } from '../../src/codegen/build.js';
import { createSchedule } from '../../src/schedule/index.js';
import type { Schedule } from '../../src/schedule/index.js';
import { add, cast, compute, exp, floordiv, min, mul, placeholder, reduceAxis, sum } from '../../src/te/compute.js';
import type { Tensor } from '../../src/te/tensor.js';
import { inPlaceAliases } from '../../src/tir/inPlace.js';

/** The alias pairs of the kernel over `args` (inputs then outputs) lowered from `s`. */
function aliasesOf(s: Schedule, args: Tensor[]): { written: number; read: number }[] {
  return inPlaceAliases(lowerKernel({ schedule: s, args, name: 'k' }));
}

describe('inPlaceAliases', () => {
  it('lets an elementwise output alias its input, vectorized and parallel', () => {
    // Rule: every load of x sits in the store to y with the store's own (ramp) index.
    const x = placeholder([64], 'float32', 'x');
    const y = compute([64], (i) => mul(exp(x.at(i)), x.at(i)), 'y');
    const s = createSchedule([y]);
    const st = s.stage(y);
    const [outer, inner] = st.split(st.axis[0], { factor: 4 });
    st.parallel(outer);
    st.vectorize(inner);
    expect(aliasesOf(s, [x, y])).toEqual([{ written: 1, read: 0 }]);
  });

  it('lets the output alias each input read at its index, not a broadcast one', () => {
    // Rule: Add reads a and b at the index it writes; c is read at the first element of each
    // group of 4 (a broadcast of c over the same size), so y may not take c's memory.
    const [a, b, c] = ['a', 'b', 'c'].map((n) => placeholder([4, 4], 'float32', n));
    const y = compute([4, 4], (i, j) => add(add(a.at(i, j), b.at(i, j)), c.at(i, 0)), 'y');
    expect(aliasesOf(createSchedule([y]), [a, b, c, y])).toEqual([
      { written: 3, read: 0 },
      { written: 3, read: 1 },
    ]);
  });

  it('refuses a reader that reads ahead of the element it writes', () => {
    // Rule: y[i] reads x[i + 1]; over the same memory, a loop run in another order (parallel,
    // reversed, vectorized) could read it already overwritten. Only the written index is safe.
    const x = placeholder([16], 'float32', 'x');
    const y = compute([16], (i) => add(x.at(i), x.at(min(add(i, 1), 15))), 'y');
    expect(aliasesOf(createSchedule([y]), [x, y])).toEqual([]);
  });

  it('refuses a transposing reader', () => {
    const x = placeholder([4, 4], 'float32', 'x');
    const y = compute([4, 4], (i, j) => x.at(j, i), 'y');
    expect(aliasesOf(createSchedule([y]), [x, y])).toEqual([]);
  });

  it('refuses a broadcasting reader of the same size', () => {
    const x = placeholder([16], 'float32', 'x');
    const y = compute([16], (i) => x.at(mul(floordiv(i, 4), 4)), 'y');
    expect(aliasesOf(createSchedule([y]), [x, y])).toEqual([]);
  });

  it('refuses a reduction, even one that reads x at the index it writes', () => {
    // Rule: y = 0 is stored before x[i] is read, and y is loaded back (an accumulator): both
    // break the rules, so neither the reduction over x nor the one over w may run in place.
    const x = placeholder([16], 'float32', 'x');
    const w = placeholder([16], 'float32', 'w');
    const k = reduceAxis(16, 'k');
    const total = compute([16], () => sum(x.at(k.var), [k]), 'total');
    expect(aliasesOf(createSchedule([total]), [x, total])).toEqual([]);
    const k2 = reduceAxis(16, 'k');
    const scaled = compute([16], (i) => sum(mul(x.at(i), w.at(k2.var)), [k2]), 'scaled');
    expect(aliasesOf(createSchedule([scaled]), [x, w, scaled])).toEqual([]);
  });

  it('refuses a dtype change and an input that another output also reads', () => {
    const x = placeholder([16], 'float32', 'x');
    const asInt = compute([16], (i) => cast(x.at(i), 'int32'), 'asInt');
    expect(aliasesOf(createSchedule([asInt]), [x, asInt])).toEqual([]);
    const y1 = compute([16], (i) => add(x.at(i), 1), 'y1');
    const y2 = compute([16], (i) => mul(x.at(i), 2), 'y2');
    expect(aliasesOf(createSchedule([y1, y2]), [x, y1, y2])).toEqual([]);
  });
});
