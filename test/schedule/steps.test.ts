/**
 * Schedules are data: every primitive appends a printable, JSON-serializable step naming stages
 * and axes by stable names, and replaying the steps on a freshly built identical compute gives a
 * schedule that lowers to the same TIR.
 */

import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/te/index.js';
import { add, compute, mul, placeholder, reduceAxis, sum } from '../../src/te/index.js';
import type { Schedule, Step } from '../../src/schedule/index.js';
import { createSchedule, printSchedule, replaySchedule, ScheduleError } from '../../src/schedule/index.js';
import { lower } from '../../src/lower/index.js';
import { printFunc } from '../../src/tir/print.js';
import { expectSameResults } from '../lower/reference.js';

interface Net {
  A: Tensor;
  W: Tensor;
  B: Tensor;
  C: Tensor;
  D: Tensor;
  args: Tensor[];
}

/** B = A + 1 (inlined below), C = B·W (a reduction), D = C * 2: built fresh on every call. */
function net(): Net {
  const A = placeholder([16, 12], 'float32', 'A');
  const W = placeholder([12, 16], 'float32', 'W');
  const B = compute([16, 12], (i, j) => add(A.at(i, j), 1), 'B');
  const k = reduceAxis(12, 'k');
  const C = compute([16, 16], (i, j) => sum(mul(B.at(i, k.var), W.at(k.var, j)), [k]), 'C');
  const D = compute([16, 16], (i, j) => mul(C.at(i, j), 2), 'D');
  return { A, W, B, C, D, args: [A, W, D] };
}

/** A schedule that uses every primitive at least once. */
function scheduleAll(n: Net): Schedule {
  const s = createSchedule([n.D]);
  s.stage(n.B).computeInline();
  const CL = s.cacheWrite(n.C, 'local');
  const c = s.stage(n.C);
  const [, jo, ii, ji] = c.tile(c.axis[0], c.axis[1], 4, 8);
  const f = c.fuse(ii, ji);
  c.unroll(f);
  const d = s.stage(n.D);
  const [dio, dii] = d.split(d.axis[0], { nparts: 2 });
  d.parallel(dio);
  d.reorder(d.axis[1], dii);
  d.vectorize(dii);
  const cl = s.stage(CL);
  cl.computeAt(c, jo);
  const [ko] = cl.split(cl.reduceAxis[0], { factor: 4 });
  const WL = s.cacheRead(n.W, 'shared', [CL]);
  const wl = s.stage(WL);
  wl.computeAt(cl, ko);
  wl.doubleBuffer();
  wl.storageAlign(wl.axis[0], 8, 1);
  c.computeRoot();
  return s;
}

describe('schedule steps', () => {
  it('prints one line per step with the names it creates', () => {
    expect(printSchedule(scheduleAll(net())).split('\n')).toEqual([
      'B: computeInline()',
      'C: cacheWrite(local) -> C.local',
      'C: tile(i, j, 4, 8) -> i.outer, j.outer, i.inner, j.inner',
      'C: fuse(i.inner, j.inner) -> i.inner.j.inner.fused',
      'C: unroll(i.inner.j.inner.fused)',
      'D: split(i, nparts=2) -> i.outer, i.inner',
      'D: parallel(i.outer)',
      'D: reorder(j, i.inner)',
      'D: vectorize(i.inner)',
      'C.local: computeAt(C, j.outer)',
      'C.local: split(k, factor=4) -> k.outer, k.inner',
      'W: cacheRead(shared, readers=[C.local]) -> W.shared',
      'W.shared: computeAt(C.local, k.outer)',
      'W.shared: doubleBuffer()',
      'W.shared: storageAlign(ax0, factor=8, offset=1)',
      'C: computeRoot()',
    ]);
  });

  it('survive JSON and replay to the same TIR on a fresh compute', () => {
    const first = net();
    const s = scheduleAll(first);
    const json = JSON.stringify(s.steps);
    const steps = JSON.parse(json) as Step[];
    expect(steps).toEqual(s.steps);
    const again = net();
    const r = replaySchedule(steps, [again.D]);
    expect(r.steps).toEqual(s.steps);
    expect(printFunc(lower(r, again.args, 'k'))).toBe(printFunc(lower(s, first.args, 'k')));
    expectSameResults(lower(createSchedule([first.D]), first.args, 'ref'), lower(s, first.args, 'k'));
  });

  it('replays rfactor, bind and stage names that had to be made unique', () => {
    const build = (): { out: Tensor; args: Tensor[] } => {
      const A = placeholder([4, 32], 'float32', 'T');
      const k = reduceAxis(32, 'k');
      const T = compute([4], (i) => sum(A.at(i, k.var), [k]), 'T');
      return { out: T, args: [A, T] };
    };
    const p = build();
    const s = createSchedule([p.out]);
    expect(s.stages.map((st) => st.name)).toEqual(['T', 'T_1']);
    const t = s.stage(p.out);
    const [ko] = t.split(t.reduceAxis[0], { factor: 8 });
    const TF = s.rfactor(p.out, ko);
    const tf = s.stage(TF);
    tf.bind(tf.axis[0], 'threadIdx.x');
    expect(printSchedule(s).split('\n')).toEqual([
      'T_1: split(k, factor=8) -> k.outer, k.inner',
      'T_1: rfactor(k.outer) -> T_1.rf',
      'T_1.rf: bind(k.outer, threadIdx.x)',
    ]);
    const q = build();
    const r = replaySchedule(JSON.parse(JSON.stringify(s.steps)) as Step[], [q.out]);
    expect(printFunc(lower(r, q.args, 'k'))).toBe(printFunc(lower(s, p.args, 'k')));
  });

  it('replay names the step that does not apply', () => {
    const steps = scheduleAll(net()).steps;
    const other = net();
    const bad = (edit: Partial<Step>, n = 2): Step[] => steps.map((st, k) => (k === n ? ({ ...st, ...edit } as Step) : st));
    expect(() => replaySchedule(bad({ stage: 'Z' }), [other.D])).toThrow(new ScheduleError('replay(step 2): no stage named Z'));
    expect(() => replaySchedule(bad({ args: { x: 'q', y: 'j', xFactor: 4, yFactor: 8 } }), [other.D])).toThrow(
      new ScheduleError('replay(step 2): C has no axis named q'),
    );
    expect(() => replaySchedule(bad({ results: ['x'] }), [other.D])).toThrow(
      new ScheduleError('replay(step 2): expected "C: tile(i, j, 4, 8) -> x", got "C: tile(i, j, 4, 8) -> i.outer, j.outer, i.inner, j.inner"'),
    );
    expect(() => replaySchedule(bad({ prim: 'explode' } as unknown as Partial<Step>), [other.D])).toThrow(
      new ScheduleError('replay(step 2): unknown primitive "explode"'),
    );
    expect(() => replaySchedule(bad({ args: { scope: 'disk' } } as unknown as Partial<Step>, 1), [other.D])).toThrow(
      new ScheduleError('replay(step 1): unknown scope "disk"'),
    );
  });
});
