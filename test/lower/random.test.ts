/**
 * Property tests: random legal schedules (split factors that may not divide, loop orders, attach
 * points, caches, rfactor, annotations) on random shapes compute what the unscheduled program
 * computes. Shapes stay tiny so each run interprets in well under a millisecond per point.
 */

import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { IterVar } from '../../src/ir/expr.js';
import type { Stage } from '../../src/schedule/index.js';
import { createSchedule } from '../../src/schedule/index.js';
import { lower } from '../../src/lower/index.js';
import { matmul, stencil } from './programs.js';
import { expectSameResults } from './reference.js';

/** Picks from `xs` by a random number in [0, 1). */
function pick<T>(xs: readonly T[], r: number): T {
  return xs[Math.floor(r * xs.length) % xs.length];
}

/** Reorders all leaves of `st` by sorting them on the given random keys. */
function shuffle(st: Stage, keys: readonly number[]): void {
  const leaves = [...st.leafAxes()];
  const order = leaves.map((l, k) => [l, keys[k % keys.length] + k * 1e-9] as const).sort((a, b) => a[1] - b[1]);
  st.reorder(...order.map(([l]) => l));
}

function annotate(st: Stage, r: readonly number[]): void {
  const spatial = st.leafAxes().filter((l) => l.iterType === 'spatial');
  if (spatial.length === 0) return;
  const inner: IterVar = spatial[spatial.length - 1];
  if (r[0] < 0.5) st.vectorize(inner);
  const outer = spatial[0];
  if (r[1] < 0.5 && outer !== inner) st.parallel(outer);
  if (r[2] < 0.5) st.unroll(pick(st.leafAxes(), r[3]));
}

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const units = (n: number): fc.Arbitrary<number[]> => fc.array(unit, { minLength: n, maxLength: n });

describe('random schedules', () => {
  it('matmul: splits, orders, cacheWrite/cacheRead attach points, rfactor', () => {
    const params = fc.record({
      shape: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })),
      factors: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
      mode: fc.constantFrom('plain', 'cacheWrite', 'rfactor'),
      order: units(6),
      attach: units(3),
      notes: units(4),
      cacheA: fc.boolean(),
    });
    fc.assert(
      fc.property(params, ({ shape: [m, n, k], factors: [fi, fj, fk], mode, order, attach, notes, cacheA }) => {
        const p = matmul(m, n, k);
        const s = createSchedule([p.out]);
        const c = s.stage(p.out);
        let compute = c;
        if (mode === 'rfactor') {
          const [ko] = c.split(c.reduceAxis[0], { factor: fk });
          compute = s.stage(s.rfactor(p.out, ko));
        }
        if (mode === 'cacheWrite') compute = s.stage(s.cacheWrite(p.out, 'local'));
        c.split(c.axis[0], { factor: fi });
        c.split(c.axis[1], { factor: fj });
        if (compute !== c) {
          compute.split(compute.axis[compute.axis.length - 1], { factor: fj });
          shuffle(compute, order);
          compute.computeAt(c, pick(c.leafAxes(), attach[0]));
        } else {
          c.split(c.reduceAxis[0], { factor: fk });
        }
        shuffle(c, order);
        if (cacheA && mode !== 'rfactor') {
          const AL = s.cacheRead(p.A, 'local', [compute.tensor]);
          s.stage(AL).computeAt(compute, pick(compute.leafAxes(), attach[1]));
        }
        annotate(c, notes);
        const ref = lower(createSchedule([p.out]), p.args, 'ref');
        expectSameResults(ref, lower(s, p.args, 'f'), 3, 1e-4);
      }),
      { numRuns: 60, seed: 20260127 },
    );
  });

  it('stencil: producer inlined, at root, or computed at any consumer loop', () => {
    const params = fc.record({
      n: fc.integer({ min: 1, max: 9 }),
      tile: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
      where: fc.constantFrom('inline', 'root', 'at'),
      order: units(6),
      attach: unit,
      notes: units(4),
    });
    fc.assert(
      fc.property(params, ({ n, tile: [ty, tx], where, order, attach, notes }) => {
        const p = stencil(n);
        const s = createSchedule([p.out]);
        const c = s.stage(p.out);
        c.tile(c.axis[0], c.axis[1], ty, tx);
        shuffle(c, order);
        const b = s.stage(p.B);
        if (where === 'inline') b.computeInline();
        if (where === 'at') b.computeAt(c, pick(c.leafAxes(), attach));
        if (where !== 'inline') annotate(b, notes);
        annotate(c, notes);
        expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), lower(s, p.args, 'f'), 5, 1e-4);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});
