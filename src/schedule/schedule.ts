/**
 * @file The Schedule: one Stage per tensor reachable from the outputs, kept in producer-before-
 * consumer order, the log of applied steps, and the primitives that add stages (cacheRead,
 * cacheWrite, rfactor, winograd). Lowering reads `stages` in this order.
 *
 *   const s = createSchedule([C]);
 *   const [io, ii] = s.stage(C).split(s.stage(C).axis[0], { factor: 8 });
 *   printSchedule(s);   // C: split(i, factor=8) -> i.outer, i.inner
 */

import type { IterVar, Scope } from '../ir/expr.js';
import type { Tensor } from '../te/tensor.js';
import { postOrder } from '../te/tensor.js';
import { cacheWriteDefs, copyTensor, readsOf, replaceReads, rfactorDefs } from './dataflow.js';
import { fail, ScheduleError } from './error.js';
import type { StageDef, StageHost } from './stage.js';
import { requireNothingAttached, Stage } from './stage.js';
import type { Step } from './step.js';
import { printSteps } from './step.js';
import { matchConv, WINOGRAD_TILES, winogradDefs } from './winograd.js';

function defOf(t: Tensor): StageDef {
  return t.op.kind === 'compute' ? { axis: t.op.axis, reduceAxis: t.op.reduceAxis, body: t.op.body } : { axis: [], reduceAxis: [], body: null };
}

export class Schedule implements StageHost {
  private readonly list: Stage[] = [];
  private readonly byTensor = new Map<number, Stage>();
  private readonly byName = new Map<string, Stage>();
  private readonly owners = new Map<number, Stage>();
  private readonly log: Step[] = [];

  constructor(readonly outputs: readonly Tensor[]) {
    const outs = new Set(outputs.map((t) => t.id));
    for (const t of postOrder(outputs)) this.list.push(this.newStage(t, this.uniqueName(t.name), outs.has(t.id), null));
  }

  /** All stages, producers before consumers. */
  get stages(): readonly Stage[] {
    return this.list;
  }
  /** The applied primitives, in order. */
  get steps(): readonly Step[] {
    return this.log;
  }

  stage(t: Tensor): Stage {
    const st = this.byTensor.get(t.id);
    if (!st) throw new ScheduleError(`stage(${t.name}): ${t.name} is not part of this schedule`);
    return st;
  }
  stageNamed(name: string): Stage | undefined {
    return this.byName.get(name);
  }

  /** The stages whose definitions read `producer`'s tensor. */
  readers(producer: Stage): Stage[] {
    return this.list.filter((s) => readsOf(s.body).includes(producer.tensor));
  }

  // --- StageHost -------------------------------------------------------------------------------

  record(step: Step): void {
    this.log.push(step);
  }
  claim(iv: IterVar, owner: Stage): void {
    this.owners.set(iv.var.id, owner);
  }
  ownerOf(iv: IterVar): Stage | undefined {
    return this.owners.get(iv.var.id);
  }
  consumes(consumer: Stage, producer: Stage): boolean {
    const seen = new Set<Stage>();
    const todo = [producer];
    for (let s = todo.pop(); s; s = todo.pop()) {
      for (const r of this.readers(s)) {
        if (r === consumer) return true;
        if (!seen.has(r)) todo.push(r);
        seen.add(r);
      }
    }
    return false;
  }
  attachedAt(stage: Stage, axis: IterVar): Stage[] {
    return this.attachedTo(stage).filter((s) => s.attach.kind === 'at' && s.attach.axis === axis);
  }
  attachedTo(stage: Stage): Stage[] {
    return this.list.filter((s) => s.attach.kind === 'at' && s.attach.stage === stage);
  }

  // --- primitives that add stages --------------------------------------------------------------

  /** A stage that copies `t` into `scope`; the given readers read the copy instead of `t`. */
  cacheRead(t: Tensor, scope: Scope, readers: readonly Tensor[]): Tensor {
    const src = this.stage(t);
    const subject = `${src.name}, ${scope}`;
    if (readers.length === 0) fail('cacheRead', subject, 'needs at least one reader');
    if (src.attach.kind === 'at') {
      const { stage, axis } = src.attach;
      fail('cacheRead', subject, `${src.name} is computed at ${stage.name}.${stage.nameOf(axis)}; cacheRead before computeAt`);
    }
    const rs = readers.map((r) => this.stage(r));
    for (const r of rs) {
      if (!readsOf(r.body).includes(t)) fail('cacheRead', subject, `${r.name} does not read ${src.name}`);
    }
    const name = this.uniqueName(`${src.name}.${scope}`);
    const copy = copyTensor(t, name, src.axis.map((a) => src.nameOf(a)));
    this.insert(this.newStage(copy, name, false, scope), this.list.indexOf(src) + 1);
    for (const r of rs) r.redefine({ axis: r.axis, reduceAxis: r.reduceAxis, body: replaceReads(r.body!, t, copy) }, true);
    this.record({ prim: 'cacheRead', stage: src.name, args: { scope, readers: rs.map((r) => r.name) }, results: [name] });
    return copy;
  }

  /** Moves `t`'s computation into a new stage in `scope`; `t` then copies from it. */
  cacheWrite(t: Tensor, scope: Scope): Tensor {
    const st = this.stage(t);
    const subject = `${st.name}, ${scope}`;
    this.requireComputed('cacheWrite', subject, st);
    if (!st.isPristine()) {
      fail('cacheWrite', subject, `${st.name} was already scheduled; cacheWrite before split, fuse, reorder or annotations`);
    }
    requireNothingAttached(this, 'cacheWrite', subject, st);
    const name = this.uniqueName(`${st.name}.${scope}`);
    const { cache, copy } = cacheWriteDefs(st, name);
    this.insert(this.newStage(cache, name, false, scope), this.list.indexOf(st));
    st.redefine(copy, false);
    this.record({ prim: 'cacheWrite', stage: st.name, args: { scope }, results: [name] });
    return cache;
  }

  /** Splits `t`'s reduction at reduce leaf `axis` into a partial-result stage (returned) and a final one. */
  rfactor(t: Tensor, axis: IterVar): Tensor {
    const st = this.stage(t);
    const axisName = st.nameOf(axis);
    const subject = `${st.name}, ${axisName}`;
    this.requireComputed('rfactor', subject, st);
    st.requireLeaf('rfactor', subject, axis);
    if (axis.iterType !== 'reduce') fail('rfactor', subject, `${axisName} is not a reduction axis of ${st.name}`);
    const spatialScheduled =
      st.relations.some((r) => (r.kind === 'split' ? r.parent : r.fused).iterType === 'spatial') ||
      st.leafAxes().some((l) => l.iterType === 'spatial' && st.annotation(l));
    if (spatialScheduled) fail('rfactor', subject, `the spatial axes of ${st.name} were already scheduled; rfactor first`);
    requireNothingAttached(this, 'rfactor', subject, st);
    const name = this.uniqueName(`${st.name}.rf`);
    const { partial, combine } = rfactorDefs(st, axis, name);
    this.insert(this.newStage(partial, name, false, null), this.list.indexOf(st));
    st.redefine(combine, false);
    this.record({ prim: 'rfactor', stage: st.name, args: { axis: axisName }, results: [name] });
    return partial;
  }

  /**
   * Rewrites 3×3, stride-1 convolution `t` as Winograd's F(tile×tile, 3×3) (winograd.ts): adds
   * the transform and product stages before it, returned producers first, and redefines `t` as
   * the output transform. The arithmetic changes (a quarter of the multiplications at tile 4) and
   * so does rounding, within float32's precision.
   */
  winograd(t: Tensor, tile: number): Tensor[] {
    const st = this.stage(t);
    const subject = `${st.name}, tile=${tile}`;
    this.requireComputed('winograd', subject, st);
    if (!WINOGRAD_TILES.includes(tile)) fail('winograd', subject, `tile must be one of ${WINOGRAD_TILES.join(', ')}`);
    if (!st.isPristine()) fail('winograd', subject, `${st.name} was already scheduled; winograd first`);
    requireNothingAttached(this, 'winograd', subject, st);
    const pattern = matchConv(st);
    if (typeof pattern === 'string') fail('winograd', subject, `${st.name} is not a convolution it applies to: ${pattern}`);
    const { added, scratch, output } = winogradDefs(st, pattern, tile, (part) => this.uniqueName(`${st.name}.wg_${part}`));
    const at = this.list.indexOf(st);
    added.forEach((a, k) => this.insert(this.newStage(a, a.name, false, scratch.includes(a) ? 'local' : null), at + k));
    st.redefine(output, false);
    this.record({ prim: 'winograd', stage: st.name, args: { tile }, results: added.map((a) => a.name) });
    return [...added];
  }

  // --- internals -------------------------------------------------------------------------------

  private newStage(t: Tensor, name: string, isOutput: boolean, scope: Scope | null): Stage {
    const st = new Stage(this, name, t, defOf(t), isOutput, scope);
    this.byTensor.set(t.id, st);
    this.byName.set(name, st);
    return st;
  }

  private insert(st: Stage, at: number): void {
    this.list.splice(at, 0, st);
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.byName.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  private requireComputed(prim: string, subject: string, st: Stage): void {
    if (st.isPlaceholder) fail(prim, subject, `${st.name} is a placeholder (an input); it is not computed`);
    if (st.attach.kind === 'inline') fail(prim, subject, `${st.name} is inlined`);
  }

}

export function createSchedule(outputs: readonly Tensor[]): Schedule {
  if (outputs.length === 0) throw new ScheduleError('createSchedule(): needs at least one output');
  return new Schedule(outputs);
}

/** One line per step: `C: split(i, factor=8) -> i.outer, i.inner`. */
export function printSchedule(s: Schedule): string {
  return printSteps(s.steps);
}
