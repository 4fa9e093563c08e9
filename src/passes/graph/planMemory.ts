/**
 * @file `planMemory`: where each intermediate value lives in one arena. Not a rewrite — the
 * executor reads the plan. Graph inputs, graph outputs and initializers live elsewhere; every
 * other node output gets a byte offset.
 *
 * A value is live from the node that defines it to the last node that reads it (directly or
 * through a subgraph), in node order; a value nothing reads is live at its definition only.
 * Nodes are visited in order: a node's outputs are placed while its inputs are still live, then
 * the values it read for the last time are freed. Placement is best-fit among the freed blocks
 * (the smallest that fits, split when larger; adjacent free blocks merge), else the arena grows
 * (into a free block at its end first). Sizes are rounded up to `ARENA_ALIGN` (64) bytes, so
 * every offset is 64-byte aligned.
 *
 * In place: a node may write an output over an input whose last reader it is, when both have
 * the same size and the caller's `inPlace` offers that pair — the executor offers the pairs its
 * kernel reads element i of the input only to write element i of the output (../../tir/inPlace.ts),
 * which rules out transposing, broadcasting and reducing readers. Only arena values take part:
 * graph inputs, constants and graph outputs are never overwritten.
 *
 *   %a = Relu(%x)        a: [0, 64)
 *   %b = Exp(%a)         b: [0, 64)    in place: a dies here, read at the index written
 *   %c = Softmax(%b)     c: [64, 128)  a reduction reads all of b for each element
 *   %d = Add(%c, %x)     d: [64, 128)  in place over c; x, a graph input, is never written
 *
 * Concat views (`concatViews`): a Concat whose axis has only dims of extent 1 before it (channels
 * at batch 1, blocked or not) lays each input out as one contiguous byte range of its output. Its
 * inputs are then placed at those ranges inside the output's block, their producers write there,
 * and the Concat copies nothing (the executor drops its kernel). The output's block holds all its
 * parts: it is placed when the first part is defined and freed after the last read of the output
 * or any part. A part owns no block of its own, so no reader writes in place over it; the output
 * may be written over only by a node that reads no part of it.
 *
 *   %a = Conv(%x)        a: [0, 64)      placed as part of c, which gets [0, 128) here
 *   %b = Conv(%x)        b: [64, 128)
 *   %c = Concat(%a, %b)  c: [0, 128)     no kernel
 */

import { getAttr } from '../../graph/attrs.js';
import type { Graph, Node, Value } from '../../graph/graph.js';
import { valueLabel } from '../../graph/graph.js';
import { shapeSize } from '../../graph/tensor.js';
import { staticShape } from '../../graph/types.js';
import { nodeUses } from '../../graph/uses.js';
import { bytesOf } from '../../ir/dtype.js';
import { GraphPassError } from './errors.js';

const PASS = 'planMemory';
export const ARENA_ALIGN = 64;

/** An output of a node written over one of its inputs. */
export interface InPlace {
  readonly input: Value;
  readonly output: Value;
}

export interface MemoryPlan {
  /** value id → byte offset in the arena, for every intermediate value */
  readonly offsets: ReadonlyMap<number, number>;
  readonly arenaBytes: number;
  /** node index → the pairs planned in place there */
  readonly inPlace: ReadonlyMap<number, readonly InPlace[]>;
}

export interface PlanOptions {
  /** the pairs node `n` (at index `i`) may compute in place; none when absent */
  readonly inPlace?: (n: Node, i: number) => readonly InPlace[];
  /** the Concat inputs to place inside their Concat's output (`concatViews`); none when absent */
  readonly views?: ConcatViews;
}

/** A value placed inside a Concat's output. */
export interface View {
  readonly into: Value;
  /** its first byte's offset in `into` */
  readonly offset: number;
}

export interface ConcatViews {
  /** value id → where it lies inside a Concat's output */
  readonly views: ReadonlyMap<number, View>;
  /** indices of the Concat nodes whose output is made of views: they need no kernel */
  readonly nodes: ReadonlySet<number>;
}

/** The bytes of a value of concrete type; a GraphPassError naming it otherwise. */
export function valueBytes(v: Value): number {
  const shape = v.type && staticShape(v.type.shape);
  if (!v.type || !shape) throw new GraphPassError(PASS, valueLabel(v), 'has no concrete shape to size it by');
  return shapeSize(shape) * bytesOf(v.type.dtype);
}

interface Block {
  offset: number;
  size: number;
}

/** Free blocks of one arena, sorted by offset, and its high-water mark. */
class Arena {
  private readonly free: Block[] = [];
  top = 0;

  alloc(size: number): number {
    if (size === 0) return 0;
    let best: Block | undefined;
    for (const b of this.free) if (b.size >= size && (best === undefined || b.size < best.size)) best = b;
    if (best !== undefined) {
      const at = best.offset;
      best.offset += size;
      best.size -= size;
      if (best.size === 0) this.free.splice(this.free.indexOf(best), 1);
      return at;
    }
    const last = this.free[this.free.length - 1];
    const at = last !== undefined && last.offset + last.size === this.top ? last.offset : this.top;
    if (at !== this.top) this.free.pop();
    this.top = at + size;
    return at;
  }

  release(offset: number, size: number): void {
    if (size === 0) return;
    let k = this.free.findIndex((b) => b.offset > offset);
    if (k < 0) k = this.free.length;
    this.free.splice(k, 0, { offset, size });
    const next = this.free[k + 1];
    if (next !== undefined && offset + size === next.offset) {
      this.free[k].size += next.size;
      this.free.splice(k + 1, 1);
    }
    const prev = this.free[k - 1];
    if (prev !== undefined && prev.offset + prev.size === offset) {
      prev.size += this.free[k].size;
      this.free.splice(k, 1);
    }
  }
}

const aligned = (bytes: number): number => Math.ceil(bytes / ARENA_ALIGN) * ARENA_ALIGN;

/** Node index of each value's last read; values nothing reads die where they are defined. */
function lastUses(g: Graph): Map<number, number> {
  const last = new Map<number, number>();
  g.nodes.forEach((n, i) => {
    for (const v of n.outputs) last.set(v.id, i);
    for (const v of nodeUses(n)) last.set(v.id, i);
  });
  return last;
}

function checkedSize(sizes: (v: Value) => number, v: Value): number {
  const size = sizes(v);
  if (!Number.isSafeInteger(size) || size < 0) throw new GraphPassError(PASS, valueLabel(v), `has a bad size ${size}`);
  return size;
}

/**
 * The Concats whose inputs can be placed inside their output: its axis has dims of extent 1 only
 * before it, and every input is a distinct value a node writes into the arena (not a feed, a
 * constant or a graph output, nor the output) that no earlier Concat took as a part. Any other
 * Concat copies. A Concat output may itself be a part of a later Concat: parts nest.
 */
export function concatViews(g: Graph, sizes: (v: Value) => number): ConcatViews {
  const outputs = new Set(g.outputs.map((v) => v.id));
  const written = new Set(g.nodes.flatMap((n) => n.outputs.map((v) => v.id)));
  const inArena = (v: Value | null): v is Value => v !== null && written.has(v.id) && !outputs.has(v.id);
  const views = new Map<number, View>();
  const nodes = new Set<number>();
  g.nodes.forEach((n, i) => {
    const into = n.outputs[0];
    if (n.op !== 'Concat' || n.domain !== '' || !inArena(into) || !contiguousParts(n, into)) return;
    const parts = new Set<number>();
    for (const v of n.inputs) {
      if (!inArena(v) || views.has(v.id) || parts.has(v.id) || v.type?.dtype !== into.type!.dtype) return;
      parts.add(v.id);
    }
    let offset = 0;
    for (const v of n.inputs as readonly Value[]) {
      views.set(v.id, { into, offset });
      offset += checkedSize(sizes, v);
    }
    nodes.add(i);
  });
  return { views, nodes };
}

/** Whether each input of Concat `n` is one byte range of its output: no dim before the axis exceeds 1. */
function contiguousParts(n: Node, out: Value): boolean {
  const shape = out.type && staticShape(out.type.shape);
  if (!shape) return false;
  const axis = getAttr(n, 'axis', 'int', 0);
  const at = axis < 0 ? axis + shape.length : axis;
  return at >= 0 && at < shape.length && shape.slice(0, at).every((d) => d === 1);
}

const NO_VIEWS: ConcatViews = { views: new Map(), nodes: new Set() };

export function planMemory(g: Graph, sizes: (v: Value) => number, opts: PlanOptions = {}): MemoryPlan {
  const outputs = new Set(g.outputs.map((v) => v.id));
  const { views } = opts.views ?? NO_VIEWS;
  const last = lastUses(g);
  /** a viewed value → the outermost Concat output it lies in (its block), at which byte offset */
  const whole = new Map<number, { block: Value; offset: number }>();
  for (const [id, view] of views) {
    let { into: block, offset } = view;
    for (let up = views.get(block.id); up !== undefined; up = views.get(block.id)) [block, offset] = [up.into, offset + up.offset];
    whole.set(id, { block, offset });
    // the block lives as long as any of its parts is read
    last.set(block.id, Math.max(last.get(block.id)!, last.get(id)!));
  }
  /** the value whose block holds `v` */
  const owner = (v: Value): Value => whole.get(v.id)?.block ?? v;
  /** whether node `n` reads a part of block `b` (then it may not write over `b`) */
  const readsPart = (n: Node, b: Value): boolean => nodeUses(n).some((u) => whole.get(u.id)?.block.id === b.id);
  const offsets = new Map<number, number>();
  const inPlace = new Map<number, InPlace[]>();
  /** value id → its size in bytes, for every value that owns a block */
  const planned = new Map<number, number>();
  const arena = new Arena();
  const place = (v: Value): void => {
    const size = checkedSize(sizes, v);
    offsets.set(v.id, arena.alloc(aligned(size)));
    planned.set(v.id, size);
  };
  const release = (v: Value): void => arena.release(offsets.get(v.id)!, aligned(planned.get(v.id)!));
  g.nodes.forEach((n, i) => {
    // a block dies at the last read of it or of any of its parts
    const dying = [...new Set(nodeUses(n).map(owner))].filter((v) => planned.has(v.id) && last.get(v.id) === i);
    const offered = dying.length > 0 && opts.inPlace ? opts.inPlace(n, i) : [];
    /** dying inputs whose block an output took over */
    const taken = new Set<number>();
    for (const v of n.outputs) {
      const part = whole.get(v.id);
      if (part !== undefined) {
        if (!planned.has(part.block.id)) place(part.block);
        offsets.set(v.id, offsets.get(part.block.id)! + part.offset);
        continue;
      }
      // a block placed with its first part, or a graph output
      if (planned.has(v.id) || outputs.has(v.id)) continue;
      const size = checkedSize(sizes, v);
      const pair = offered.find(
        (p) =>
          p.output.id === v.id &&
          !taken.has(p.input.id) &&
          dying.some((u) => u.id === p.input.id) &&
          planned.get(p.input.id) === size &&
          !readsPart(n, p.input),
      );
      if (pair === undefined) {
        place(v);
        continue;
      }
      taken.add(pair.input.id);
      inPlace.set(i, [...(inPlace.get(i) ?? []), pair]);
      offsets.set(v.id, offsets.get(pair.input.id)!);
      planned.set(v.id, size);
    }
    for (const u of dying) if (!taken.has(u.id)) release(u);
    // (a Concat's unread output has died among its parts)
    for (const v of n.outputs) if (planned.has(v.id) && last.get(v.id) === i && !dying.some((u) => u.id === v.id)) release(v);
  });
  return { offsets, arenaBytes: arena.top, inPlace };
}
