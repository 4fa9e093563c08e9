import { describe, expect, it } from 'vitest';
import type { Expr } from '../../../src/ir/expr.js';
import { add, broadcast, buffer, floatImm, intImm, letExpr, load, lt, ramp, select, variable } from '../../../src/ir/expr.js';
import type { Stmt } from '../../../src/tir/stmt.js';
import { allocate, attr, forLoop, letStmt, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { TirVerifyError, verifyFunc } from '../../../src/tir/verify.js';
import { placeholder, reduceAxis, sum } from '../../../src/te/index.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { verify } from '../../../src/passes/tir/verify.js';

const A = buffer('A', 'float32', [16]);
const B = buffer('B', 'float32', [16]);
const i = variable('i');
const i0 = intImm(0);

const loop = (body: Stmt, kind: 'serial' | 'parallel' | 'vectorized' = 'serial', v = i, extent: Expr = intImm(16)): Stmt =>
  forLoop(v, intImm(0), extent, body, kind);

/** The error `verifyFunc` throws for `body` in a function over A and B. */
function errorOf(body: Stmt, params = [A, B]): TirVerifyError {
  try {
    verifyFunc(primFunc('k', params, body));
  } catch (e) {
    if (e instanceof TirVerifyError) return e;
    throw e;
  }
  throw new Error('expected a TirVerifyError');
}

describe('verifyFunc', () => {
  it('accepts a well-formed function, scalar and vector', () => {
    const j = variable('j');
    const T = buffer('T', 'float32', [4], 'local');
    const body = loop(
      allocate(T, seq(store(T, [ramp(intImm(0), 1, 4)], broadcast(load(A, [i]), 4)), letStmt(j, add(i, 1), store(B, [i], load(T, [intImm(0)]))))),
    );
    expect(() => verifyFunc(primFunc('ok', [A, B], body))).not.toThrow();
  });

  it('names the function, the statement and the problem', () => {
    // Rule: the message is "<func>: <problem>\n  in: <first printed line of the statement>".
    const e = errorOf(store(B, [i], load(A, [i])));
    expect(e.message).toBe('k: variable i is used outside the loop or let that defines it\n  in: B[i] = A[i]');
    expect([e.func, e.stmt, e.problem]).toEqual(['k', 'B[i] = A[i]', 'variable i is used outside the loop or let that defines it']);
  });

  const cases: [string, () => Stmt, string][] = [
    ['a buffer passed twice', () => store(A, [intImm(0)], floatImm(0)), 'buffer A is passed twice'],
    ['a negative extent', () => loop(store(B, [i], floatImm(0)), 'serial', i, intImm(-1)), 'loop i has negative extent -1'],
    ['a redefined loop variable', () => loop(loop(store(B, [i], floatImm(0)))), 'variable i is redefined inside its own scope'],
    ['a redefined let variable', () => loop(letStmt(i, intImm(1), store(B, [i], floatImm(0)))), 'variable i is redefined inside its own scope'],
    ['a thread loop without tag', () => forLoop(i, intImm(0), intImm(4), store(B, [i], floatImm(0)), 'thread'), 'thread loop i has no thread tag'],
    ['store lanes', () => store(B, [intImm(0)], broadcast(floatImm(1), 4)), 'store to B writes 4 lanes at an index of 1 lanes'],
    ['store dtype', () => store(B, [intImm(0)], intImm(1)), 'store of int32 into B of float32'],
    ['a buffer allocated twice', () => allocate(T(), allocate(T(), store(T(), [intImm(0)], floatImm(0)))), 'buffer T is allocated again inside its own scope'],
    ['let lanes', () => letStmt({ ...variable('v'), lanes: 4 }, intImm(1), store(B, [intImm(0)], floatImm(0))), 'let v has 4 lanes but its value has 1'],
    ['attr on a dead buffer', () => attr('double_buffer', T(), [], store(B, [intImm(0)], floatImm(0))), 'attr double_buffer names buffer T, which is not allocated here'],
    ['an unallocated buffer', () => store(T(), [intImm(0)], floatImm(0)), 'buffer T is neither a param nor allocated here'],
    ['a wrong index count', () => store(B, [intImm(0), intImm(0)], floatImm(0)), 'buffer B has 1 dimensions but is indexed with 2'],
    ['a stale shape', () => store({ ...B, shape: [4, 4] }, [intImm(0), intImm(0)], floatImm(0)), 'buffer B is accessed as [4, 4] but declared as [16]'],
    ['a tensor read', () => loop(store(B, [i], placeholder([16], 'float32', 'X').at(i))), 'tensor read of X survived lowering'],
    ['a reduction', () => store(B, [intImm(0)], sum(load(A, [r().var]), [r()])), 'reduction survived lowering'],
    ['binary lanes', () => store(B, [intImm(0)], { ...add(floatImm(1), floatImm(2)), b: broadcast(floatImm(2), 4) }), 'add mixes 1 and 4 lanes'],
    ['select lanes', () => store(B, [intImm(0)], { ...select(lt(i0, 1), floatImm(1), floatImm(2)), f: broadcast(floatImm(2), 4) }), 'select mixes 1 and 4 lanes'],
    ['select condition lanes', () => store(B, [ramp(intImm(0), 1, 4)], select(broadcast(lt(i0, 1), 2), broadcast(floatImm(1), 4), broadcast(floatImm(2), 4))), 'select condition has 2 lanes, values 4'],
    ['let expression lanes', () => store(B, [intImm(0)], letExpr({ ...variable('v'), lanes: 2 }, intImm(1), floatImm(0))), 'let v has 2 lanes but its value has 1'],
    ['ramp of a vector', () => store(B, [ramp(ramp(intImm(0), 1, 2), 1, 2)], broadcast(floatImm(0), 2)), 'ramp of a 2-lane value'],
    ['a one-lane ramp', () => store(B, [ramp(intImm(0), 1, 1)], floatImm(0)), 'ramp with 1 lanes'],
    ['load lanes', () => store(B, [intImm(0)], { ...load(A, [intImm(0)]), lanes: 1, indices: [ramp(intImm(0), 1, 4)] }), 'load of A has 1 lanes at an index of 4 lanes'],
  ];
  const T = (() => {
    const t = buffer('T', 'float32', [4], 'local');
    return () => t;
  })();
  const r = (() => {
    const ax = reduceAxis(16, 'r');
    return () => ax;
  })();

  it.each(cases)('rejects %s', (name, body, problem) => {
    const params = name === 'a buffer passed twice' ? [A, A] : [A, B];
    expect(errorOf(body(), params).problem).toBe(problem);
  });

  it('runs as the last pass of a pipeline and returns its input unchanged', () => {
    const f = primFunc('ok', [A, B], loop(store(B, [i], load(A, [i]))));
    expect(verify.run(f, makePassContext())).toBe(f);
    expect(() => verify.run(primFunc('bad', [A], store(B, [intImm(0)], floatImm(0))), makePassContext())).toThrow(TirVerifyError);
  });
});
