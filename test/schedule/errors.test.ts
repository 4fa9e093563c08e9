/**
 * Illegal schedule requests: each must throw a ScheduleError whose message names the primitive,
 * the stage and the axis, and says what is wrong — checked here word for word.
 */

import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/te/index.js';
import { add, compute, mul, placeholder, reduceAxis, sum } from '../../src/te/index.js';
import { createSchedule, ScheduleError } from '../../src/schedule/index.js';

function expectError(f: () => unknown, message: string): void {
  expect(f).toThrow(ScheduleError);
  expect(f).toThrow(message);
  try {
    f();
  } catch (e) {
    expect((e as Error).message).toBe(message);
  }
}

/** A -> B (injective) -> C = sum(B[i, k] * W[k, j]) -> D (injective output). */
function graph(): { A: Tensor; W: Tensor; B: Tensor; C: Tensor; D: Tensor } {
  const A = placeholder([8, 8], 'float32', 'A');
  const W = placeholder([8, 8], 'float32', 'W');
  const B = compute([8, 8], (i, j) => add(A.at(i, j), 1), 'B');
  const k = reduceAxis(8, 'k');
  const C = compute([8, 8], (i, j) => sum(mul(B.at(i, k.var), W.at(k.var, j)), [k]), 'C');
  const D = compute([8, 8], (i, j) => mul(C.at(i, j), 2), 'D');
  return { A, W, B, C, D };
}

describe('schedule errors', () => {
  it('split of an axis that is no longer a leaf', () => {
    const g = graph();
    const c = createSchedule([g.D]).stage(g.C);
    const i = c.axis[0];
    c.split(i, { factor: 2 });
    expectError(() => c.split(i, { factor: 2 }), 'split(C, i): i is not a leaf axis of C; it was already split or fused');
  });

  it('split of an axis of another stage', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    expectError(() => s.stage(g.C).split(s.stage(g.B).axis[0], { factor: 2 }), 'split(C, i): i is an axis of B, not of C');
  });

  it('split by a bad factor or part count', () => {
    const g = graph();
    const c = createSchedule([g.D]).stage(g.C);
    expectError(() => c.split(c.axis[0], { factor: 0 }), 'split(C, i): factor must be a positive integer, got 0');
    expectError(() => c.split(c.axis[0], { factor: 2.5 }), 'split(C, i): factor must be a positive integer, got 2.5');
    expectError(() => c.split(c.axis[0], { nparts: -1 }), 'split(C, i): nparts must be a positive integer, got -1');
    expectError(() => c.tile(c.axis[0], c.axis[1], 4, 0), 'tile(C, j): factor must be a positive integer, got 0');
  });

  it('a rejected request leaves the schedule unchanged', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const c = s.stage(g.C);
    const before = [...c.leafAxes()];
    expect(() => c.tile(c.axis[0], c.axis[1], 4, 0)).toThrow(ScheduleError);
    expect(() => c.fuse(c.axis[0], c.reduceAxis[0])).toThrow(ScheduleError);
    expect(() => s.cacheRead(g.A, 'local', [g.C])).toThrow(ScheduleError);
    expect(c.leafAxes()).toEqual(before);
    expect(s.steps).toEqual([]);
    expect(s.stages.map((st) => st.name)).toEqual(['A', 'B', 'W', 'C', 'D']);
  });

  it('split of a placeholder', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    expectError(() => s.stage(g.A).split(s.stage(g.B).axis[0], { factor: 2 }), 'split(A, i): A is a placeholder (an input); it has no loops');
  });

  it('split of an annotated axis or of an axis something is computed at', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const d = s.stage(g.D);
    d.vectorize(d.axis[1]);
    expectError(() => d.split(d.axis[1], { factor: 2 }), 'split(D, j): j is already annotated (vectorize); split or fuse before annotating');
    s.stage(g.C).computeAt(d, d.axis[0]);
    expectError(() => d.split(d.axis[0], { factor: 2 }), 'split(D, i): C is computed at i; split or fuse before computeAt');
  });

  it('fuse of axes that are not adjacent, out of order, or of different kinds', () => {
    const g = graph();
    const c = createSchedule([g.D]).stage(g.C);
    const [i, j] = c.axis;
    const k = c.reduceAxis[0];
    expectError(() => c.fuse(i, k), 'fuse(C, i, k): i, k are not adjacent leaf axes of C in this order (leaf order: i, j, k)');
    expectError(() => c.fuse(j, i), 'fuse(C, j, i): j, i are not adjacent leaf axes of C in this order (leaf order: i, j, k)');
    expectError(() => c.fuse(j, k), 'fuse(C, j, k): cannot fuse spatial axis j with reduce axis k');
  });

  it('reorder with a duplicate or a foreign axis', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const c = s.stage(g.C);
    const [i, j] = c.axis;
    expectError(() => c.reorder(j, i, j), 'reorder(C, j, i, j): j appears twice');
    const x = s.stage(g.D).axis[0];
    expectError(() => c.reorder(j, x), 'reorder(C, j, i): i is an axis of D, not of C');
  });

  it('computeAt into a stage that does not consume this one', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const b = s.stage(g.B);
    const c = s.stage(g.C);
    expectError(() => c.computeAt(b, b.axis[0]), 'computeAt(C, B.i): B does not consume C');
    expectError(() => c.computeAt(c, c.axis[0]), 'computeAt(C, C.i): a stage cannot be computed at its own loop');
    expectError(() => s.stage(g.A).computeAt(c, c.axis[0]), 'computeAt(A, C.i): A is a placeholder (an input); it has no loops');
    const d = s.stage(g.D);
    expectError(() => b.computeAt(d, c.axis[0]), 'computeAt(B, D.i): i is an axis of C, not of D');
    b.computeAt(d, d.axis[0]); // D consumes B through C: allowed
    expect(b.attach).toEqual({ kind: 'at', stage: d, axis: d.axis[0] });
  });

  it('computeInline of a reduction or of an output', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    expectError(() => s.stage(g.C).computeInline(), 'computeInline(C): C is a reduction; only injective stages can be inlined');
    expectError(() => s.stage(g.D).computeInline(), 'computeInline(D): D is an output of the schedule');
  });

  it('vectorize, parallel or bind of a reduction axis', () => {
    const g = graph();
    const c = createSchedule([g.D]).stage(g.C);
    const k = c.reduceAxis[0];
    expectError(() => c.vectorize(k), 'vectorize(C, k): k is a reduction axis of C; rfactor it first');
    expectError(() => c.parallel(k), 'parallel(C, k): k is a reduction axis of C; rfactor it first');
    expectError(() => c.bind(k, 'threadIdx.x'), 'bind(C, k, threadIdx.x): k is a reduction axis of C; rfactor it first');
    c.unroll(k); // unrolling a reduction is fine
  });

  it('cacheRead with a reader that does not read the tensor', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    expectError(() => s.cacheRead(g.A, 'local', [g.C]), 'cacheRead(A, local): C does not read A');
    expectError(() => s.cacheRead(g.A, 'local', []), 'cacheRead(A, local): needs at least one reader');
  });

  it('cacheWrite of a scheduled stage or of an input', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const c = s.stage(g.C);
    c.split(c.axis[0], { factor: 2 });
    expectError(() => s.cacheWrite(g.C, 'local'), 'cacheWrite(C, local): C was already scheduled; cacheWrite before split, fuse, reorder or annotations');
    expectError(() => s.cacheWrite(g.A, 'local'), 'cacheWrite(A, local): A is a placeholder (an input); it is not computed');
  });

  it('rfactor of a spatial axis, or after the spatial axes were scheduled', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const c = s.stage(g.C);
    expectError(() => s.rfactor(g.C, c.axis[0]), 'rfactor(C, i): i is not a reduction axis of C');
    expectError(() => s.rfactor(g.B, s.stage(g.B).axis[0]), 'rfactor(B, i): i is not a reduction axis of B');
    c.parallel(c.axis[0]);
    expectError(() => s.rfactor(g.C, c.reduceAxis[0]), 'rfactor(C, k): the spatial axes of C were already scheduled; rfactor first');
  });

  it('storageAlign with a bad factor or offset, or on an output', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const b = s.stage(g.B);
    expectError(() => b.storageAlign(b.axis[0], 0, 0), 'storageAlign(B, i): factor must be a positive integer, got 0');
    expectError(() => b.storageAlign(b.axis[0], 16, 16), 'storageAlign(B, i): offset must be an integer in [0, 16), got 16');
    expectError(() => b.storageAlign(s.stage(g.C).axis[0], 16, 1), 'storageAlign(B, i): i is not a dimension of B');
    const d = s.stage(g.D);
    expectError(() => d.storageAlign(d.axis[0], 16, 1), 'storageAlign(D, i): D is an output; its layout is fixed by the caller');
  });

  it('primitives that would strand a stage computed inside this one', () => {
    const g = graph();
    const s = createSchedule([g.D]);
    const c = s.stage(g.C);
    const b = s.stage(g.B);
    b.computeAt(c, c.axis[0]);
    expectError(() => s.cacheWrite(g.C, 'local'), 'cacheWrite(C, local): B is computed at C.i; cacheWrite before computeAt');
    expectError(() => s.rfactor(g.C, c.reduceAxis[0]), 'rfactor(C, k): B is computed at C.i; rfactor before computeAt');
    expectError(() => s.cacheRead(g.B, 'local', [g.C]), 'cacheRead(B, local): B is computed at C.i; cacheRead before computeAt');
    const A = placeholder([8], 'float32', 'A');
    const P = compute([8], (i) => add(A.at(i), 1), 'P');
    const Q = compute([8], (i) => mul(P.at(i), 2), 'Q');
    const D = compute([8], (i) => add(Q.at(i), 3), 'D');
    const s2 = createSchedule([D]);
    const q = s2.stage(Q);
    s2.stage(P).computeAt(q, q.axis[0]);
    expectError(() => q.computeInline(), 'computeInline(Q): P is computed at Q.i; computeInline before computeAt');
    s2.stage(P).computeRoot();
    q.computeInline();
    expectError(() => s2.stage(P).computeAt(q, q.axis[0]), 'computeAt(P, Q.i): Q is inlined; it has no loops');
  });

  it('stage of a tensor outside the schedule', () => {
    const g = graph();
    const s = createSchedule([g.B]);
    expectError(() => s.stage(g.C), 'stage(C): C is not part of this schedule');
  });
});
