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
 */

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

export function planMemory(g: Graph, sizes: (v: Value) => number, opts: PlanOptions = {}): MemoryPlan {
  const outputs = new Set(g.outputs.map((v) => v.id));
  const last = lastUses(g);
  const offsets = new Map<number, number>();
  const inPlace = new Map<number, InPlace[]>();
  /** planned value id → its size in bytes */
  const planned = new Map<number, number>();
  const arena = new Arena();
  const release = (v: Value): void => arena.release(offsets.get(v.id)!, aligned(planned.get(v.id)!));
  g.nodes.forEach((n, i) => {
    const dying = nodeUses(n).filter((v) => planned.has(v.id) && last.get(v.id) === i);
    const offered = dying.length > 0 && opts.inPlace ? opts.inPlace(n, i) : [];
    /** dying inputs whose block an output took over */
    const taken = new Set<number>();
    for (const v of n.outputs) {
      if (outputs.has(v.id)) continue;
      const size = checkedSize(sizes, v);
      const pair = offered.find(
        (p) => p.output.id === v.id && !taken.has(p.input.id) && dying.some((u) => u.id === p.input.id) && planned.get(p.input.id) === size,
      );
      if (pair !== undefined) {
        taken.add(pair.input.id);
        inPlace.set(i, [...(inPlace.get(i) ?? []), pair]);
      }
      offsets.set(v.id, pair !== undefined ? offsets.get(pair.input.id)! : arena.alloc(aligned(size)));
      planned.set(v.id, size);
    }
    for (const u of dying) if (!taken.has(u.id)) release(u);
    for (const v of n.outputs) if (planned.has(v.id) && last.get(v.id) === i) release(v);
  });
  return { offsets, arenaBytes: arena.top, inPlace };
}
