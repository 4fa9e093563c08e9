/**
 * @file The gradient-boosted cost model: it learns known functions (a step and a smooth one) to a
 * stated error on held-out points, ranks by slowdown from the best within each task, trains fast
 * enough to retrain after every measurement batch, and round-trips through JSON exactly.
 */

import { describe, expect, it } from 'vitest';
import { CostModel } from '../../src/tune/cost/index.js';
import { fitGbt, predictGbt } from '../../src/tune/cost/gbt.js';
import { seededRng } from '../../src/tune/auto/index.js';

/** `n` points of `width` uniform features in [0, 1), seeded. */
function points(n: number, width: number, seed: number): Float64Array[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: width }, () => rng()));
}

function rmse(f: (x: Float64Array) => number, g: (x: Float64Array) => number, xs: readonly Float64Array[]): number {
  return Math.sqrt(xs.reduce((s, x) => s + (f(x) - g(x)) ** 2, 0) / xs.length);
}

describe('gradient-boosted trees', () => {
  it('learn a step function of one feature among noise features', () => {
    const step = (x: Float64Array): number => (x[2] > 0.6 ? 1 : 0);
    const train = points(400, 6, 1);
    const model = fitGbt(train, train.map(step));
    const test = points(200, 6, 2);
    // held-out error: only points next to the edge, between two training values, can miss
    expect(rmse((x) => predictGbt(model, x), step, test)).toBeLessThan(0.08);
  });

  it('learn a smooth function of two features', () => {
    const smooth = (x: Float64Array): number => Math.sin(2 * Math.PI * x[0]) + x[1] * x[1];
    const train = points(1000, 4, 3);
    const model = fitGbt(train, train.map(smooth), { trees: 150 });
    const test = points(300, 4, 4);
    expect(rmse((x) => predictGbt(model, x), smooth, test)).toBeLessThan(0.12);
  });
});

describe('CostModel', () => {
  it('predicts lower values for faster schedules, per task', () => {
    // two tasks whose costs differ by 1000x; within each, cost falls with feature 0
    const xs = points(300, 5, 6);
    const groups = xs.map((_, k) => (k % 2 === 0 ? 'small' : 'large'));
    const costs = xs.map((x, k) => (k % 2 === 0 ? 1 : 1000) * (2 - x[0]));
    const model = new CostModel();
    model.update(xs, costs, groups);
    const fast = Float64Array.of(0.95, 0.5, 0.5, 0.5, 0.5);
    const slow = Float64Array.of(0.05, 0.5, 0.5, 0.5, 0.5);
    const [pf, ps] = model.predict([fast, slow]);
    expect(pf).toBeLessThan(ps);
    // a slowdown: none faster than the task's best
    expect(pf).toBeGreaterThanOrEqual(-0.05);
  });

  it('treats a failed measurement as the slowest', () => {
    const xs = points(60, 3, 7);
    const model = new CostModel();
    model.update(xs, xs.map((x) => (x[1] > 0.5 ? Infinity : 1)));
    const [ok, failed] = model.predict([Float64Array.of(0.5, 0.2, 0.5), Float64Array.of(0.5, 0.8, 0.5)]);
    expect(ok).toBeLessThan(failed);
  });

  it('is 0 for everything before training', () => {
    expect(new CostModel().predict(points(3, 4, 8))).toEqual([0, 0, 0]);
  });

  it('round-trips through JSON exactly and keeps learning after loading (transfer)', () => {
    const xs = points(200, 6, 9);
    const model = new CostModel();
    model.update(xs.slice(0, 100), xs.slice(0, 100).map((x) => 1 + x[0] + (x[1] > 0.5 ? 1 : 0)));
    const text = JSON.stringify(model);
    const loaded = CostModel.fromJSON(JSON.parse(text));
    expect(JSON.stringify(loaded)).toBe(text);
    const probe = points(50, 6, 10);
    expect(loaded.predict(probe)).toEqual(model.predict(probe));
    // more data for another task: both models continue from the same samples
    const more = xs.slice(100);
    const costs = more.map((x) => 5 + x[0]);
    model.update(more, costs, more.map(() => 'other'));
    loaded.update(more, costs, more.map(() => 'other'));
    expect(loaded.size).toBe(200);
    expect(loaded.predict(probe)).toEqual(model.predict(probe));
  });

  it('rejects what is not a saved model', () => {
    expect(() => CostModel.fromJSON({ format: 'other' })).toThrow(/not a kiln cost model/);
  });
});
