/**
 * @file A stage: how one tensor is computed. It holds the tensor's definition (root axes and body,
 * which cacheWrite and rfactor may rewrite), the split/fuse relations that derive its loops, the
 * order of those loops (the leaves), loop annotations, where its loops are placed (its attach
 * point) and its storage settings. The per-stage primitives live here; the ones that add stages
 * (cacheRead, cacheWrite, rfactor) live on the Schedule.
 *
 * Every public primitive validates its request, throws a ScheduleError naming the call, and
 * records one Step through its host, so the stage's history is replayable data.
 */

import type { Expr, IterVar, Scope } from '../ir/expr.js';
import { iterVar } from '../ir/expr.js';
import type { Tensor } from '../te/tensor.js';
import type { ThreadTag } from '../tir/stmt.js';
import { fail } from './error.js';
import type { Relation, SplitMode } from './relation.js';
import { splitExtents } from './relation.js';
import type { Step } from './step.js';
import { THREAD_TAGS } from './step.js';

export type LoopKind = 'parallel' | 'vectorize' | 'unroll' | 'bind';

export interface Annotation {
  readonly kind: LoopKind;
  /** set when kind is 'bind' */
  readonly tag: ThreadTag | null;
}

export type Attach =
  | { readonly kind: 'root' }
  | { readonly kind: 'inline' }
  | { readonly kind: 'at'; readonly stage: Stage; readonly axis: IterVar };

export interface StorageAlign {
  readonly axis: IterVar;
  readonly factor: number;
  readonly offset: number;
}

/** What a stage computes; `body` is null for a placeholder (an input, never computed). */
export interface StageDef {
  readonly axis: readonly IterVar[];
  readonly reduceAxis: readonly IterVar[];
  readonly body: Expr | null;
}

/** What a stage needs from the schedule that owns it. */
export interface StageHost {
  record(step: Step): void;
  /** registers `iv` as an axis of `owner` */
  claim(iv: IterVar, owner: Stage): void;
  ownerOf(iv: IterVar): Stage | undefined;
  /** whether `consumer` reads `producer`, directly or through other stages */
  consumes(consumer: Stage, producer: Stage): boolean;
  /** the stages computed at `axis` of `stage` */
  attachedAt(stage: Stage, axis: IterVar): Stage[];
  /** the stages computed at any loop of `stage` */
  attachedTo(stage: Stage): Stage[];
}

/**
 * Throws when a stage is computed inside `st`'s loops: cacheWrite and rfactor move `st`'s reads
 * to a new stage and computeInline removes its loops, which would leave that stage stranded.
 */
export function requireNothingAttached(host: StageHost, prim: string, subject: string, st: Stage): void {
  const at = host.attachedTo(st)[0];
  if (at?.attach.kind === 'at') {
    fail(prim, subject, `${at.name} is computed at ${st.name}.${st.nameOf(at.attach.axis)}; ${prim} before computeAt`);
  }
}

const ROOT: Attach = { kind: 'root' };

export class Stage {
  private def: StageDef;
  private rels: Relation[] = [];
  private leaves: IterVar[] = [];
  private readonly names = new Map<string, IterVar>();
  private readonly nameById = new Map<number, string>();
  private readonly notes = new Map<number, Annotation>();
  private attachment: Attach = ROOT;
  private dbuf = false;
  private aligns: StorageAlign[] = [];

  constructor(
    private readonly host: StageHost,
    /** unique within the schedule; steps refer to the stage by it */
    readonly name: string,
    /** the tensor whose elements this stage produces */
    readonly tensor: Tensor,
    def: StageDef,
    readonly isOutput: boolean,
    /** storage scope when the stage is allocated; null: the default ('global') */
    readonly scope: Scope | null,
  ) {
    this.def = def;
    this.reset(def);
  }

  get axis(): readonly IterVar[] {
    return this.def.axis;
  }
  get reduceAxis(): readonly IterVar[] {
    return this.def.reduceAxis;
  }
  get body(): Expr | null {
    return this.def.body;
  }
  get relations(): readonly Relation[] {
    return this.rels;
  }
  get attach(): Attach {
    return this.attachment;
  }
  get doubleBuffered(): boolean {
    return this.dbuf;
  }
  get storageAligns(): readonly StorageAlign[] {
    return this.aligns;
  }
  get isPlaceholder(): boolean {
    return this.def.body === null;
  }

  /** The loops of this stage, outermost first. */
  leafAxes(): readonly IterVar[] {
    return this.leaves;
  }
  annotation(iv: IterVar): Annotation | undefined {
    return this.notes.get(iv.var.id);
  }
  /** The stable name of one of this stage's axes (unique within the stage). */
  nameOf(iv: IterVar): string {
    return this.nameById.get(iv.var.id) ?? iv.var.name;
  }
  axisNamed(name: string): IterVar | undefined {
    return this.names.get(name);
  }
  owns(iv: IterVar): boolean {
    return this.nameById.has(iv.var.id);
  }
  /** No splits, fuses, reorders or annotations yet. */
  isPristine(): boolean {
    const roots = [...this.def.axis, ...this.def.reduceAxis];
    return this.rels.length === 0 && this.notes.size === 0 && this.leaves.every((l, i) => l === roots[i]);
  }

  // --- loop structure --------------------------------------------------------------------------

  split(axis: IterVar, by: { readonly factor: number } | { readonly nparts: number }): [IterVar, IterVar] {
    const [mode, value]: [SplitMode, number] = 'factor' in by ? ['factor', by.factor] : ['nparts', by.nparts];
    const name = this.nameOf(axis);
    const out = this.doSplit('split', axis, mode, value);
    this.record({ prim: 'split', stage: this.name, args: { axis: name, by: mode, value }, results: this.namesOf(out) });
    return out;
  }

  /** Splits `x` and `y` and orders the loops x.outer, y.outer, x.inner, y.inner. */
  tile(x: IterVar, y: IterVar, xFactor: number, yFactor: number): [IterVar, IterVar, IterVar, IterVar] {
    const args = { x: this.nameOf(x), y: this.nameOf(y), xFactor, yFactor };
    if (x === y) fail('tile', `${this.name}, ${args.x}, ${args.y}`, `${args.x} is given twice`);
    this.checkSplit('tile', y, 'factor', yFactor); // before x is split: a failed tile changes nothing
    const [xo, xi] = this.doSplit('tile', x, 'factor', xFactor);
    const [yo, yi] = this.doSplit('tile', y, 'factor', yFactor);
    this.doReorder('tile', [xo, yo, xi, yi]);
    const out: [IterVar, IterVar, IterVar, IterVar] = [xo, yo, xi, yi];
    this.record({ prim: 'tile', stage: this.name, args, results: this.namesOf(out) });
    return out;
  }

  /** Fuses adjacent leaves (outermost first) into one loop. */
  fuse(...axes: IterVar[]): IterVar {
    const subject = this.subject(axes);
    this.requireCompute('fuse', subject);
    if (axes.length === 0) fail('fuse', subject, 'needs at least one axis');
    const names = axes.map((a) => this.requireLeaf('fuse', subject, a));
    const first = axes[0];
    const start = this.leaves.indexOf(first);
    if (axes.some((a, k) => this.leaves[start + k] !== a)) {
      const order = this.leaves.map((l) => this.nameOf(l)).join(', ');
      fail('fuse', subject, `${names.join(', ')} are not adjacent leaf axes of ${this.name} in this order (leaf order: ${order})`);
    }
    const mixed = axes.find((a) => a.iterType !== first.iterType);
    if (mixed) fail('fuse', subject, `cannot fuse ${first.iterType} axis ${names[0]} with ${mixed.iterType} axis ${this.nameOf(mixed)}`);
    axes.forEach((a) => this.requireFree('fuse', subject, a));
    let fused = first;
    if (axes.length > 1) {
      const extent = axes.reduce((p, a) => p * a.extent, 1);
      fused = this.newAxis(`${names.join('.')}.fused`, extent, first.iterType);
      this.rels.push({ kind: 'fuse', inputs: [...axes], fused });
      this.leaves.splice(start, axes.length, fused);
    }
    this.record({ prim: 'fuse', stage: this.name, args: { axes: names }, results: [this.nameOf(fused)] });
    return fused;
  }

  /** Puts the given leaves in this order, in the positions they occupy; other leaves stay. */
  reorder(...axes: IterVar[]): void {
    const names = axes.map((a) => this.nameOf(a));
    this.doReorder('reorder', axes);
    this.record({ prim: 'reorder', stage: this.name, args: { axes: names }, results: [] });
  }

  // --- placement -------------------------------------------------------------------------------

  /** Computes this stage inside loop `axis` of `target`, just the region that loop needs. */
  computeAt(target: Stage, axis: IterVar): void {
    const subject = `${this.name}, ${target.name}.${target.nameOf(axis)}`;
    this.requireCompute('computeAt', subject);
    if (target === this) fail('computeAt', subject, 'a stage cannot be computed at its own loop');
    target.requireLeaf('computeAt', subject, axis);
    if (target.attach.kind === 'inline') fail('computeAt', subject, `${target.name} is inlined; it has no loops`);
    if (!this.host.consumes(target, this)) fail('computeAt', subject, `${target.name} does not consume ${this.name}`);
    this.attachment = { kind: 'at', stage: target, axis };
    this.record({ prim: 'computeAt', stage: this.name, args: { target: target.name, axis: target.nameOf(axis) }, results: [] });
  }

  /** Substitutes this stage's expression into its consumers; it gets no loops or storage. */
  computeInline(): void {
    this.requireCompute('computeInline', this.name);
    if (this.isOutput) fail('computeInline', this.name, `${this.name} is an output of the schedule`);
    if (this.def.reduceAxis.length > 0) {
      fail('computeInline', this.name, `${this.name} is a reduction; only injective stages can be inlined`);
    }
    requireNothingAttached(this.host, 'computeInline', this.name, this);
    this.attachment = { kind: 'inline' };
    this.record({ prim: 'computeInline', stage: this.name, args: {}, results: [] });
  }

  /** Computes this stage in its own loop nest at the top of the function (the default). */
  computeRoot(): void {
    this.requireCompute('computeRoot', this.name);
    this.attachment = ROOT;
    this.record({ prim: 'computeRoot', stage: this.name, args: {}, results: [] });
  }

  // --- loop annotations ------------------------------------------------------------------------

  parallel(axis: IterVar): void {
    const name = this.annotate('parallel', axis, null);
    this.record({ prim: 'parallel', stage: this.name, args: { axis: name }, results: [] });
  }
  vectorize(axis: IterVar): void {
    const name = this.annotate('vectorize', axis, null);
    this.record({ prim: 'vectorize', stage: this.name, args: { axis: name }, results: [] });
  }
  unroll(axis: IterVar): void {
    const name = this.annotate('unroll', axis, null);
    this.record({ prim: 'unroll', stage: this.name, args: { axis: name }, results: [] });
  }
  /** Maps the loop onto a GPU thread or block index. */
  bind(axis: IterVar, tag: ThreadTag): void {
    const name = this.annotate('bind', axis, tag);
    this.record({ prim: 'bind', stage: this.name, args: { axis: name, tag }, results: [] });
  }

  // --- storage ---------------------------------------------------------------------------------

  /** Marks the buffer for double buffering (rotated across iterations of its attach loop). */
  doubleBuffer(): void {
    this.requireStorage('doubleBuffer', this.name);
    this.dbuf = true;
    this.record({ prim: 'doubleBuffer', stage: this.name, args: {}, results: [] });
  }

  /** Pads the stride of dimension `axis` so that stride % factor == offset (avoids bank conflicts). */
  storageAlign(axis: IterVar, factor: number, offset: number): void {
    const name = this.nameOf(axis);
    const subject = `${this.name}, ${name}`;
    this.requireStorage('storageAlign', subject);
    if (!this.def.axis.includes(axis)) fail('storageAlign', subject, `${name} is not a dimension of ${this.name}`);
    if (!Number.isInteger(factor) || factor <= 0) {
      fail('storageAlign', subject, `factor must be a positive integer, got ${factor}`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset >= factor) {
      fail('storageAlign', subject, `offset must be an integer in [0, ${factor}), got ${offset}`);
    }
    this.aligns = [...this.aligns.filter((a) => a.axis !== axis), { axis, factor, offset }];
    this.record({ prim: 'storageAlign', stage: this.name, args: { axis: name, factor, offset }, results: [] });
  }

  // --- used by Schedule ------------------------------------------------------------------------

  /** Replaces the definition (cacheWrite, rfactor, cacheRead's reader rewrite); loops restart. */
  redefine(def: StageDef, keepLoops: boolean): void {
    this.def = def;
    if (!keepLoops) this.reset(def);
  }

  /** Throws unless `iv` is one of this stage's current loops; returns its name. */
  requireLeaf(prim: string, subject: string, iv: IterVar): string {
    if (this.leaves.includes(iv)) return this.nameOf(iv);
    if (this.owns(iv)) {
      fail(prim, subject, `${this.nameOf(iv)} is not a leaf axis of ${this.name}; it was already split or fused`);
    }
    const owner = this.host.ownerOf(iv);
    if (owner === this) fail(prim, subject, `${iv.var.name} is no longer an axis of ${this.name}`);
    if (owner) fail(prim, subject, `${owner.nameOf(iv)} is an axis of ${owner.name}, not of ${this.name}`);
    return fail(prim, subject, `${iv.var.name} is not an axis of ${this.name}`);
  }

  // --- internals -------------------------------------------------------------------------------

  private reset(def: StageDef): void {
    this.rels = [];
    this.notes.clear();
    this.names.clear();
    this.nameById.clear();
    this.leaves = [...def.axis, ...def.reduceAxis];
    for (const iv of this.leaves) this.register(iv, iv.var.name);
  }

  private register(iv: IterVar, base: string): void {
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.set(name, iv);
    this.nameById.set(iv.var.id, name);
    this.host.claim(iv, this);
  }

  private newAxis(base: string, extent: number, iterType: IterVar['iterType']): IterVar {
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    const iv = iterVar(name, extent, iterType);
    this.register(iv, name);
    return iv;
  }

  /** Validates a split without applying it; returns the axis name. */
  private checkSplit(prim: string, axis: IterVar, mode: SplitMode, value: number): string {
    const subject = `${this.name}, ${this.nameOf(axis)}`;
    this.requireCompute(prim, subject);
    const name = this.requireLeaf(prim, subject, axis);
    if (!Number.isInteger(value) || value <= 0) fail(prim, subject, `${mode} must be a positive integer, got ${value}`);
    this.requireFree(prim, subject, axis);
    return name;
  }

  private doSplit(prim: string, axis: IterVar, mode: SplitMode, value: number): [IterVar, IterVar] {
    const name = this.checkSplit(prim, axis, mode, value);
    const ext = splitExtents(mode, value, axis.extent);
    const outer = this.newAxis(`${name}.outer`, ext.outer, axis.iterType);
    const inner = this.newAxis(`${name}.inner`, ext.inner, axis.iterType);
    this.rels.push({ kind: 'split', parent: axis, outer, inner, mode, value });
    this.leaves.splice(this.leaves.indexOf(axis), 1, outer, inner);
    return [outer, inner];
  }

  private doReorder(prim: string, axes: readonly IterVar[]): void {
    const subject = this.subject(axes);
    this.requireCompute(prim, subject);
    const seen = new Set<IterVar>();
    for (const a of axes) {
      const name = this.requireLeaf(prim, subject, a);
      if (seen.has(a)) fail(prim, subject, `${name} appears twice`);
      seen.add(a);
    }
    const slots = axes.map((a) => this.leaves.indexOf(a)).sort((p, q) => p - q);
    slots.forEach((slot, k) => (this.leaves[slot] = axes[k]!));
  }

  private annotate(kind: LoopKind, axis: IterVar, tag: ThreadTag | null): string {
    const name = this.nameOf(axis);
    const subject = tag ? `${this.name}, ${name}, ${tag}` : `${this.name}, ${name}`;
    this.requireCompute(kind, subject);
    this.requireLeaf(kind, subject, axis);
    if (kind !== 'unroll' && axis.iterType === 'reduce') {
      fail(kind, subject, `${name} is a reduction axis of ${this.name}; rfactor it first`);
    }
    if (tag !== null && !THREAD_TAGS.includes(tag)) fail(kind, subject, `unknown thread tag ${JSON.stringify(tag)}`);
    this.notes.set(axis.var.id, { kind, tag });
    return name;
  }

  /** Loops that carry an annotation or an attached stage cannot be split or fused away. */
  private requireFree(prim: string, subject: string, iv: IterVar): void {
    const name = this.nameOf(iv);
    const note = this.notes.get(iv.var.id);
    if (note) fail(prim, subject, `${name} is already annotated (${note.kind}); split or fuse before annotating`);
    const attached = this.host.attachedAt(this, iv)[0];
    if (attached) fail(prim, subject, `${attached.name} is computed at ${name}; split or fuse before computeAt`);
  }

  private requireCompute(prim: string, subject: string): void {
    if (this.isPlaceholder) fail(prim, subject, `${this.name} is a placeholder (an input); it has no loops`);
  }

  private requireStorage(prim: string, subject: string): void {
    this.requireCompute(prim, subject);
    if (this.isOutput) fail(prim, subject, `${this.name} is an output; its layout is fixed by the caller`);
  }

  private subject(axes: readonly IterVar[]): string {
    return [this.name, ...axes.map((a) => this.nameOf(a))].join(', ');
  }

  private namesOf<T extends IterVar[]>(axes: T): string[] {
    return axes.map((a) => this.nameOf(a));
  }

  private record(step: Step): void {
    this.host.record(step);
  }
}
