/**
 * Schedules that are legal step by step but cannot be lowered as a whole, and bad `lower` calls:
 * each throws a LowerError naming the function and the stage, checked word for word.
 */

import { describe, expect, it } from 'vitest';
import { add, compute, mul, placeholder } from '../../src/te/index.js';
import { createSchedule } from '../../src/schedule/index.js';
import { lower, LowerError } from '../../src/lower/index.js';
import { chain, matmul, scale } from './programs.js';

function expectError(f: () => unknown, message: string): void {
  expect(f).toThrow(new LowerError(message));
  expect(f).toThrow(LowerError);
}

describe('lowering errors', () => {
  it('a reader outside the loop its producer is computed at', () => {
    const A = placeholder([12], 'float32', 'A');
    const P = compute([12], (i) => add(A.at(i), 1), 'P');
    const Q = compute([12], (i) => mul(P.at(i), 2), 'Q');
    const D = compute([12], (i) => add(P.at(i), Q.at(i)), 'D');
    const s = createSchedule([D]);
    const d = s.stage(D);
    s.stage(P).computeAt(d, d.axis[0]);
    expectError(
      () => lower(s, [A, D], 'f'),
      'lower(f): P is computed at D.i, but its reader Q runs outside that loop; compute Q inside it too, or P at root',
    );
    s.stage(Q).computeAt(d, d.axis[0]);
    expect(() => lower(s, [A, D], 'f')).not.toThrow();
  });

  it('arguments that are missing, repeated, inlined or foreign', () => {
    const p = chain(4, 4);
    const s = createSchedule([p.out]);
    expectError(() => lower(s, [p.A], 'f'), 'lower(f): output C is not in the arguments');
    expectError(() => lower(s, [p.out], 'f'), 'lower(f): input A is not in the arguments');
    expectError(() => lower(s, [p.A, p.A, p.out], 'f'), 'lower(f): argument A is given twice');
    s.stage(p.B).computeInline();
    expectError(() => lower(s, [p.A, p.B, p.out], 'f'), 'lower(f): argument B is inlined and has no storage');
    expectError(() => lower(s, [p.A, scale(4).out, p.out], 'f'), 'lower(f): argument C is not part of the schedule');
  });

  it('a function name that is not an identifier', () => {
    const p = scale(4);
    expectError(() => lower(createSchedule([p.out]), p.args, 'my kernel'), 'lower("my kernel"): not a valid function name');
  });

  it('double buffering a stage outside any loop is a hint left to the pass, not an error', () => {
    const p = matmul(4, 4, 4);
    const s = createSchedule([p.out]);
    const AL = s.cacheRead(p.A, 'local', [p.out]);
    s.stage(AL).doubleBuffer();
    const top = lower(s, p.args, 'f').body;
    expect(top.kind === 'allocate' && top.body.kind === 'seq' && top.body.body[0].kind).toBe('attr');
  });

  it('an intermediate may also be a kernel argument, stored whole', () => {
    const p = chain(4, 4);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    s.stage(p.B).computeAt(c, c.axis[0]);
    expect(lower(s, [p.A, p.B, p.out], 'f').params.map((b) => `${b.name}[${b.shape.join(', ')}]`)).toEqual(['A[4, 4]', 'B[4, 4]', 'C[4, 4]']);
  });
});
