/**
 * @file Replaying a schedule: applies recorded steps (e.g. parsed from a tuning record) to a fresh
 * schedule of a freshly built, identical compute. Each step is re-validated by the primitive it
 * names, and must create the same axes and stages it created when it was recorded.
 */

import type { IterVar, Scope } from '../ir/expr.js';
import type { Tensor } from '../te/tensor.js';
import { fail } from './error.js';
import type { Schedule } from './schedule.js';
import { createSchedule } from './schedule.js';
import type { Stage } from './stage.js';
import type { Step } from './step.js';
import { printStep } from './step.js';

const SCOPES: readonly Scope[] = ['global', 'local', 'shared'];

export function replaySchedule(steps: readonly Step[], outputs: readonly Tensor[]): Schedule {
  const s = createSchedule(outputs);
  steps.forEach((step, n) => {
    applyStep(s, step, `step ${n}`);
    const got = s.steps[s.steps.length - 1];
    if (!got || printStep(got) !== printStep(step)) {
      fail('replay', `step ${n}`, `expected "${printStep(step)}", got "${got ? printStep(got) : 'nothing'}"`);
    }
  });
  return s;
}

function stageOf(s: Schedule, name: string, where: string): Stage {
  return s.stageNamed(name) ?? fail('replay', where, `no stage named ${name}`);
}

function axisOf(st: Stage, name: string, where: string): IterVar {
  return st.axisNamed(name) ?? fail('replay', where, `${st.name} has no axis named ${name}`);
}

function scopeOf(scope: string, where: string): Scope {
  return SCOPES.find((x) => x === scope) ?? fail('replay', where, `unknown scope ${JSON.stringify(scope)}`);
}

function applyStep(s: Schedule, step: Step, where: string): void {
  const st = stageOf(s, step.stage, where);
  const ax = (name: string): IterVar => axisOf(st, name, where);
  switch (step.prim) {
    case 'split':
      st.split(ax(step.args.axis), step.args.by === 'nparts' ? { nparts: step.args.value } : { factor: step.args.value });
      return;
    case 'tile':
      st.tile(ax(step.args.x), ax(step.args.y), step.args.xFactor, step.args.yFactor);
      return;
    case 'fuse':
      st.fuse(...step.args.axes.map(ax));
      return;
    case 'reorder':
      st.reorder(...step.args.axes.map(ax));
      return;
    case 'computeAt': {
      const target = stageOf(s, step.args.target, where);
      st.computeAt(target, axisOf(target, step.args.axis, where));
      return;
    }
    case 'computeInline':
      st.computeInline();
      return;
    case 'computeRoot':
      st.computeRoot();
      return;
    case 'cacheRead':
      s.cacheRead(st.tensor, scopeOf(step.args.scope, where), step.args.readers.map((r) => stageOf(s, r, where).tensor));
      return;
    case 'cacheWrite':
      s.cacheWrite(st.tensor, scopeOf(step.args.scope, where));
      return;
    case 'rfactor':
      s.rfactor(st.tensor, ax(step.args.axis));
      return;
    case 'parallel':
      st.parallel(ax(step.args.axis));
      return;
    case 'vectorize':
      st.vectorize(ax(step.args.axis));
      return;
    case 'unroll':
      st.unroll(ax(step.args.axis));
      return;
    case 'bind':
      st.bind(ax(step.args.axis), step.args.tag);
      return;
    case 'doubleBuffer':
      st.doubleBuffer();
      return;
    case 'storageAlign':
      st.storageAlign(ax(step.args.axis), step.args.factor, step.args.offset);
      return;
    case 'winograd':
      s.winograd(st.tensor, step.args.tile);
      return;
    default:
      fail('replay', where, `unknown primitive ${JSON.stringify((step as { prim: unknown }).prim)}`);
  }
}
