/**
 * Applies random sequences of schedule primitives. Choices are drawn from what the schedule offers
 * at that moment (its stages, their leaf axes, their readers); a request the schedule refuses with
 * a ScheduleError is skipped, so every schedule that comes out is one the API accepted as legal.
 */

import type { IterVar } from '../../src/ir/expr.js';
import type { Schedule, Stage } from '../../src/schedule/index.js';
import { ScheduleError } from '../../src/schedule/index.js';
import type { Tensor } from '../../src/te/index.js';
import type { Rng } from './programs.js';

type Move = (s: Schedule, st: Stage, r: Rng, output: Tensor) => void;

function leaf(st: Stage, r: Rng): IterVar | undefined {
  const leaves = st.leafAxes();
  return leaves.length ? r.pick(leaves) : undefined;
}

const moves: Record<string, Move> = {
  split(_s, st, r) {
    const ax = leaf(st, r);
    if (ax) st.split(ax, r.next() < 0.8 ? { factor: r.int(1, ax.extent + 1) } : { nparts: r.int(1, ax.extent + 1) });
  },
  tile(_s, st, r) {
    const leaves = st.leafAxes();
    if (leaves.length >= 2) {
      const k = r.int(0, leaves.length - 2);
      st.tile(leaves[k], leaves[k + 1], r.int(1, 6), r.int(1, 6));
    }
  },
  reorder(_s, st, r) {
    const keyed = st.leafAxes().map((ax) => [ax, r.next()] as const);
    st.reorder(...keyed.sort((a, b) => a[1] - b[1]).map(([ax]) => ax));
  },
  fuse(_s, st, r) {
    const leaves = st.leafAxes();
    if (leaves.length >= 2) {
      const k = r.int(0, leaves.length - 2);
      st.fuse(leaves[k], leaves[k + 1]);
    }
  },
  attach(s, st, r) {
    const readers = s.readers(st);
    const roll = r.next();
    if (roll < 0.5 && readers.length) {
      const consumer = r.pick(readers);
      const ax = leaf(consumer, r);
      if (ax) st.computeAt(consumer, ax);
    } else if (roll < 0.8) {
      st.computeInline();
    } else {
      st.computeRoot();
    }
  },
  cacheWrite(s, _st, r, output) {
    s.cacheWrite(output, r.pick(['local', 'global'] as const));
  },
  cacheRead(s, st, r) {
    const readers = s.readers(st);
    if (st.isPlaceholder && readers.length) {
      const reader = r.pick(readers);
      s.cacheRead(st.tensor, r.pick(['local', 'global'] as const), [reader.tensor]);
    }
  },
  rfactor(s, st, r) {
    const reduceLeaves = st.leafAxes().filter((ax) => ax.iterType === 'reduce');
    if (reduceLeaves.length) s.rfactor(st.tensor, r.pick(reduceLeaves));
  },
  parallel(_s, st, r) {
    const ax = leaf(st, r);
    if (ax) st.parallel(ax);
  },
  vectorize(_s, st) {
    const leaves = st.leafAxes();
    const inner = leaves[leaves.length - 1];
    if (inner) st.vectorize(inner);
  },
  unroll(_s, st, r) {
    const ax = leaf(st, r);
    if (ax && ax.extent <= 16) st.unroll(ax);
  },
  storageAlign(_s, st, r) {
    const ax = st.axis[0];
    if (ax) st.storageAlign(ax, r.pick([2, 4, 8]), r.int(0, 3));
  },
};

const NAMES = Object.keys(moves);

/** Applies `count` random primitives; returns the names of those the schedule accepted. */
export function randomSchedule(s: Schedule, output: Tensor, r: Rng, count: number): string[] {
  const applied: string[] = [];
  for (let n = 0; n < count; n++) {
    const name = r.pick(NAMES);
    const stages = s.stages.filter((st) =>
      name === 'cacheRead' ? st.isPlaceholder : !st.isPlaceholder && !(name === 'attach' && st.tensor === output),
    );
    if (stages.length === 0) continue;
    const st = r.pick(stages);
    try {
      moves[name](s, st, r, output);
      applied.push(name);
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
    }
  }
  // Double buffering needs a loop to rotate over, so it is decided last, on attached stages only.
  for (const st of s.stages) {
    if (st.attach.kind === 'at' && r.next() < 0.3) {
      try {
        st.doubleBuffer();
        applied.push('doubleBuffer');
      } catch (e) {
        if (!(e instanceof ScheduleError)) throw e;
      }
    }
  }
  return applied;
}
