/**
 * @file Sketch rules (Ansor-style): from the tensor expression of any fused group, with no
 * template, build one schedule whose structure follows from the compute and whose parameters —
 * tile sizes, loop order, parallel granularity, compute locations, packing, unroll depth — are
 * drawn from `rng`. The result is an ordinary Schedule: its `steps` are the trace.
 *
 * Rules, applied to the stages from the outputs back:
 *  0. a convolution the `winograd` primitive applies to (3×3, stride 1) is, in a share of the
 *     draws, first rewritten as F(2×2, 3×3) or F(4×4, 3×3); its stages then follow rules 1–6
 *     like any others (the tags the primitive gives them say which rule);
 *  1. every injective stage that is not an output is inlined into its readers, except the
 *     Winograd transforms (rules 5 and 6): every element of the weights' and the input's is read
 *     by many points of the product, which would each recompute it;
 *  2. a reduction with reuse (matmul, convolution: some input is read at the same element for
 *     several output points) gets multi-level tiling, S S R S R S on CPU: it accumulates in a
 *     `local` stage computed inside the tile loops of its anchor — its element-wise consumer when
 *     it has exactly one of the same shape (the epilogue is fused), else its own output copy:
 *
 *       parallel (S0 loops, fused)             anchor's outer tiles, the first p of them fused
 *         [B.global = pack of B's panel]       optional cacheRead of a reused, strided input,
 *                                              mostly inside the outer loops over its own axes
 *                                              (ordered first) and at most half of L2
 *         [pad = padded input of the task]     a `pad` stage the reduction reads, mostly
 *                                              materialized at an outer loop or once at the
 *                                              root (a parallel nest of its own, rule 4)
 *                                              instead of inlined
 *         for (S1 loops)
 *           R.local: for (R0) for (S2) for (R1) for (S3)   the register tile: S3 unrolled and
 *                                                          vectorized on the last axis
 *           anchor[tile] = epilogue(R.local)               vectorized write-back
 *
 *  3. a reduction without reuse (softmax's max and sum, a row sum) accumulates in a `local` stage
 *     computed at a loop of its reader (fused with it) or at the root, reduce loops outside the
 *     vector lanes when it is computed per vector of outputs;
 *  4. every other root stage fuses its outer loops (the first p of them) into one parallel loop
 *     and vectorizes its innermost one;
 *  5. a Winograd transform unrolls its α × α matrix axes just outside its vectorized last axis, so
 *     each copy's select of a matrix row folds to the row's non-zero terms; the input transform
 *     is mostly computed at an outer tile loop of the product that reads it (like a pad), the
 *     weights' at the root;
 *  6. the stage that reads a Winograd output transform (inlined) splits its rows and columns by
 *     the tile m and unrolls the m × m points inside, for the same folding.
 */

import type { TargetInfo } from '../../codegen/target.js';
import { bytesOf } from '../../ir/dtype.js';
import type { IterVar } from '../../ir/expr.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import { createSchedule, matchConv, WINOGRAD_TILES } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';
import { inputTensors } from '../../te/tensor.js';
import { effectiveReaders, hasReuse, indexedAxes, lanesOf, packCandidates, readAxes, readFootprint, readThroughInlined, sameShape, stageReads, vectorRegisters } from './analysis.js';
import type { Rng } from './random.js';
import { divisors, pick, randInt } from './random.js';

/**
 * Most statement copies unrolling may make of the register tile's body: enough for the widest
 * register tile (28 accumulators) and a little of the reduction. The C compiler's time grows
 * faster than the copies (a convolution tile of 180 copies took 134 s to compile on a loaded
 * machine, the same tile with 60 copies 11 s), and it is the search's scarcest resource.
 */
const MAX_UNROLLED = 64;

interface Ctx {
  readonly s: Schedule;
  readonly info: TargetInfo;
  readonly rng: Rng;
  /** stages a rule has already scheduled */
  readonly done: Set<Stage>;
  /** whether tiles may leave a guarded edge (tileOf) */
  readonly guarded: boolean;
  /** per stage reading a Winograd output transform: the tile m, the positions of its rows and columns, and the product it reads */
  readonly tiles: Map<Stage, WinogradTile>;
  /** per Winograd product: the loop over tile rows of the stage reading it, to compute it at (rule 6) */
  readonly nests: Map<Stage, { readonly stage: Stage; readonly axis: IterVar }>;
}

interface WinogradTile {
  readonly m: number;
  readonly h: number;
  readonly w: number;
  readonly product: Stage;
}

/** Of the draws for a kernel with a convolution the winograd primitive applies to, the share that rewrites it. */
const WINOGRAD_SHARE = 1 / 2;

const tagOf = (st: Stage): string => (st.tensor.op.kind === 'compute' ? st.tensor.op.tag : '');
const isTransform = (st: Stage): boolean => tagOf(st) === 'winograd_weights' || tagOf(st) === 'winograd_input';
/** The first half of a Winograd transform that `st` reads, directly or through inlined stages. */
const halfReadBy = (s: Schedule, st: Stage): Stage | undefined => readThroughInlined(s, st, (p) => tagOf(p) === 'winograd_half');

/** Applies the sketch rules to a fresh schedule of `outputs`, drawing every parameter from `rng`. */
export function sampleSketch(outputs: readonly Tensor[], info: TargetInfo, rng: Rng): Schedule {
  const s = createSchedule(outputs);
  const ctx: Ctx = { s, info, rng, done: new Set(), guarded: rng() < 0.1, tiles: new Map(), nests: new Map() };
  const rewritten = winograd(ctx);
  for (const st of s.stages) {
    if (!st.isPlaceholder && !st.isOutput && st.reduceAxis.length === 0 && !isTransform(st) && tagOf(st) !== 'winograd_half') st.computeInline();
  }
  for (const [conv, tile] of rewritten) {
    const readers = conv.isOutput ? [conv] : effectiveReaders(s, conv);
    for (const r of readers) if (r.attach.kind === 'root' && sameShape(r.tensor.shape, conv.tensor.shape)) ctx.tiles.set(r, tile);
  }
  // a snapshot, consumers first: the rules add cache stages to the list
  for (const st of [...s.stages].reverse()) {
    if (st.isPlaceholder || st.attach.kind === 'inline' || ctx.done.has(st)) continue;
    ctx.done.add(st);
    if (isTransform(st)) {
      transform(ctx, st, true);
    } else if (st.reduceAxis.length === 0) {
      const reduction = anchoredReduction(ctx, st);
      const tile = ctx.tiles.get(st);
      if (reduction) tiled(ctx, reduction, st);
      else if (tile) tiledOutput(ctx, st, tile);
      else injective(ctx, st);
    } else if (hasReuse(st)) {
      tiled(ctx, st, st, ctx.nests.get(st));
    } else {
      simpleReduction(ctx, st);
    }
  }
  return s;
}

/**
 * Rule 0: in a share of the draws, each convolution the winograd primitive applies to is
 * rewritten, at a tile size drawn; returns the rewritten stages (now output transforms) with
 * their tile and the positions of their rows and columns.
 */
function winograd(ctx: Ctx): Map<Stage, WinogradTile> {
  const out = new Map<Stage, WinogradTile>();
  for (const st of [...ctx.s.stages]) {
    if (st.isPlaceholder || st.reduceAxis.length === 0) continue;
    const p = matchConv(st);
    if (typeof p === 'string' || ctx.rng() >= WINOGRAD_SHARE) continue;
    const m = pick(ctx.rng, [...WINOGRAD_TILES]);
    const added = ctx.s.winograd(st.tensor, m);
    out.set(st, { m, h: p.h, w: p.w, product: ctx.s.stage(added[4]) });
  }
  return out;
}

/** A reduction with reuse whose only reader is `st`, of the same shape: its fusable epilogue. */
function anchoredReduction(ctx: Ctx, st: Stage): Stage | undefined {
  return ctx.s.stages.find((r) => {
    if (r.isPlaceholder || r.isOutput || r.attach.kind !== 'root' || ctx.done.has(r) || !hasReuse(r)) return false;
    if (!sameShape(r.tensor.shape, st.tensor.shape)) return false;
    const readers = effectiveReaders(ctx.s, r);
    return readers.length === 1 && readers[0] === st;
  });
}

// --- parameters ------------------------------------------------------------------------------

/**
 * A power of two in [4, 4·lanes] no larger than `extent`: mostly one that divides it (a partial
 * last vector is cut into a copy of the loop body, which costs compile time), lanes or wider
 * when such a width exists.
 */
function vectorWidth(rng: Rng, extent: number, lanes: number): number {
  const widths: number[] = [];
  for (let w = 4; w <= 4 * lanes && w <= extent; w *= 2) widths.push(w);
  const dividing = widths.filter((w) => extent % w === 0);
  const from = dividing.length > 0 && rng() < 0.75 ? dividing : widths;
  const wide = from.filter((w) => w >= lanes);
  return pick(rng, wide.length > 0 ? wide : from);
}

/**
 * A tile of an axis of `extent` points: a divisor, or in a schedule drawn with guarded tiles
 * (`ctx.guarded`) now and then any size. A guarded edge is partitioned into copies of the loop nest
 * that multiply the code the C compiler must build: det's depthwise candidates with two such tiles
 * took 15–18 s to compile, against 2–4 s, and drawn per tile, at 1 in 20, nearly half of a
 * convolution's schedules had one.
 */
function tileOf(ctx: Ctx, extent: number, max = extent): number {
  const { rng } = ctx;
  const ds = divisors(extent).filter((d) => d <= max);
  if (!ctx.guarded || rng() < 0.8 || max < 2) return pick(rng, ds);
  return randInt(rng, 1, Math.min(max, extent));
}

/** Of the drawn schedules, the share whose register tile is chosen by its loads (intenseRegisterTile). */
const INTENSE_SHARE = 1 / 3;

/**
 * Per spatial axis, the inner tile sizes [s1, s2, s3] (S0 is what remains). s3 is the register
 * tile: on the last axis a vector width (or a multiple of the lanes), on the others a few rows,
 * as long as the accumulators fit the register file; a third of the draws take one that loads
 * least per multiply-add. s2 · s3 is the local accumulator's extent, kept within L1 over all
 * axes; s1 is free. `reads` are the axes indexing each read of the reduction (readAxes).
 */
function spatialTiles(ctx: Ctx, axes: readonly IterVar[], lanes: number, bytes: number, reads: readonly number[][]): [number, number, number][] {
  const { rng, info } = ctx;
  const s3 = rng() < INTENSE_SHARE ? intenseRegisterTile(ctx, axes, lanes, reads) : drawnRegisterTile(ctx, axes, lanes);
  const shuffled = (ds: number[]): number[] => ds.sort(() => rng() - 0.5);
  let l1 = Math.max(1, Math.floor(info.l1Bytes / bytes / s3.reduce((a, b) => a * b, 1)));
  const s2 = axes.map(() => 1);
  // half the time a single register tile on every axis at once: only then do the accumulators
  // stay in registers for the whole reduction (drawn per axis, all four axes of a blocked
  // convolution came out 1 in under one draw in ten)
  const single = rng() < 0.5;
  for (const d of shuffled(axes.map((_, d) => d))) {
    s2[d] = single || rng() < 0.4 ? 1 : tileOf(ctx, Math.ceil(axes[d].extent / s3[d]), l1);
    l1 = Math.max(1, Math.floor(l1 / s2[d]));
  }
  return axes.map((a, d) => [tileOf(ctx, Math.ceil(a.extent / (s2[d] * s3[d]))), s2[d], s3[d]]);
}

/** A register tile drawn at random: a vector width on the last axis, rows on the others within the registers. */
function drawnRegisterTile(ctx: Ctx, axes: readonly IterVar[], lanes: number): number[] {
  const { rng, info } = ctx;
  const n = axes.length;
  const s3 = axes.map(() => 1);
  const last = axes[n - 1];
  if (last.extent >= 4) {
    const w = vectorWidth(rng, last.extent, lanes);
    s3[n - 1] = w >= lanes && rng() < 0.5 ? w * randInt(rng, 1, Math.max(1, Math.min(4, Math.floor(last.extent / w)))) : w;
  }
  let registers = Math.max(1, Math.floor((vectorRegisters(info) - 4) / Math.ceil(s3[n - 1] / lanes)));
  // half the time the rows fill the register file: each vector of the inputs loaded in the
  // reduction then feeds the most multiply-adds (drawn per axis, most draws left it half empty)
  const fill = rng() < 0.5;
  for (const d of axes.slice(0, n - 1).map((_, d) => d).sort(() => rng() - 0.5)) {
    const fitting = divisors(axes[d].extent).filter((t) => t <= registers);
    s3[d] = fill ? fitting[fitting.length - 1] : tileOf(ctx, axes[d].extent, registers);
    registers = Math.max(1, Math.floor(registers / s3[d]));
  }
  return s3;
}

/**
 * A register tile that loads least per multiply-add, the analytic prior of the strategies: per
 * step of the reduction a tile makes one vector multiply-add per accumulator and loads, of each
 * read, one element (a vector along the last axis) per point of the tile axes that index it. Of
 * the dividing tiles whose accumulators leave 4 registers free, one is drawn from those within
 * 10% of the best ratio: a blocked convolution's 2 channel blocks × 10 pixels load 12 times per
 * 20 multiply-adds, where 1 × 20, which fills the registers as well, loads 21 times.
 */
function intenseRegisterTile(ctx: Ctx, axes: readonly IterVar[], lanes: number, reads: readonly number[][]): number[] {
  const { rng, info } = ctx;
  const last = axes.length - 1;
  const budget = vectorRegisters(info) - 4;
  const extent = axes[last].extent;
  const multiples = [1, 2, 3, 4].map((k) => k * lanes).filter((w) => extent % w === 0);
  const widths = multiples.length > 0 ? multiples : [extent >= 4 ? vectorWidth(rng, extent, lanes) : 1];
  const vectors = (t: readonly number[], d: number): number => (d === last ? Math.ceil(t[d] / lanes) : t[d]);
  const tiles: number[][] = [];
  const walk = (d: number, tile: number[], accumulators: number): void => {
    if (d === last) {
      for (const w of widths) if (accumulators * Math.ceil(w / lanes) <= budget) tiles.push([...tile, w]);
      return;
    }
    for (const t of divisors(axes[d].extent)) {
      if (accumulators * t > budget) break;
      walk(d + 1, [...tile, t], accumulators * t);
    }
  };
  walk(0, [], 1);
  const score = (t: readonly number[]): number => {
    const fmas = t.reduce((p, _, d) => p * vectors(t, d), 1);
    const loads = reads.reduce((sum, r) => sum + r.reduce((p, d) => p * vectors(t, d), 1), 0);
    return fmas / Math.max(1, loads);
  };
  const scores = tiles.map(score);
  const best = Math.max(...scores);
  return pick(rng, tiles.filter((_, k) => scores[k] >= 0.9 * best));
}

/**
 * Shrinks the tiles of the panels' axes outside the register tile until the panels (`bytesPerPoint`
 * per point of those axes) fill at most half of L2, where they stay while the tiles inside stream
 * through them.
 */
function fitPanels(ctx: Ctx, axes: readonly IterVar[], tiles: [number, number, number][], panelAxes: ReadonlySet<number>, bytesPerPoint: number): void {
  const budget = ctx.info.l2Bytes / 2;
  for (const d of panelAxes) {
    const others = [...panelAxes].filter((e) => e !== d).reduce((p, e) => p * tiles[e][0] * tiles[e][1] * tiles[e][2], 1);
    const [s1, s2, s3] = tiles[d];
    const room = budget / (bytesPerPoint * others * s3);
    const t2 = s2 > room ? tileOf(ctx, Math.ceil(axes[d].extent / s3), Math.max(1, Math.floor(room))) : s2;
    const t1 = s1 * t2 > room ? tileOf(ctx, Math.ceil(axes[d].extent / (t2 * s3)), Math.max(1, Math.floor(room / t2))) : s1;
    tiles[d] = [t1, t2, s3];
  }
}

// --- rule 2: multi-level tiling ---------------------------------------------------------------

/**
 * Tiles reduction `R`, accumulating in a local stage computed in the tiles of `anchor`. With
 * `nest` (a Winograd product, rule 6), `R` is its own anchor and is computed inside its reader's
 * loop over tile rows, tiled over the one row of tiles that loop needs; the reader's loop is the
 * parallel one.
 */
function tiled(ctx: Ctx, R: Stage, anchor: Stage, nest?: { readonly stage: Stage; readonly axis: IterVar }): void {
  const { s, info, rng } = ctx;
  const local = s.stage(s.cacheWrite(R.tensor, 'local'));
  ctx.done.add(R);
  ctx.done.add(local);
  if (R !== anchor) R.computeInline();
  const packed = packCandidates(local).filter(() => rng() < 0.5);
  // the anchor's axes that index the panels (the local has the anchor's shape, axis for axis)
  const footprints = packed.map((X) => ({ ...readFootprint(local, X), bytes: bytesOf(X.dtype) }));
  const panelAxes = new Set(footprints.flatMap((f) => f.axes));
  const packs = packed.map((X) => s.stage(s.cacheRead(X, 'global', [local.tensor])));
  packs.forEach((p) => ctx.done.add(p));

  const lanes = lanesOf(info, R.tensor.dtype);
  // nested, the product's region per tile row: one row of tiles (its third axis), the rest whole
  const region = anchor.axis.map((a, d) => (nest && d === 2 ? { ...a, extent: 1 } : a));
  const tiles = spatialTiles(ctx, region, lanes, bytesOf(R.tensor.dtype), readAxes(local));
  const panelBytes = footprints.reduce((b, f) => b + f.bytes * f.reducePoints, 0);
  if (packs.length > 0) fitPanels(ctx, anchor.axis, tiles, panelAxes, panelBytes);
  const S0: IterVar[] = [];
  const S1: IterVar[] = [];
  const inner: IterVar[] = [];
  anchor.axis.forEach((a, d) => {
    const [s1, s2, s3] = tiles[d];
    if (region[d].extent === 1) return void S0.push(a);
    const [o, i] = anchor.split(a, { factor: s1 * s2 * s3 });
    const [io, ii] = anchor.split(i, { factor: s2 * s3 });
    S0.push(o);
    S1.push(io);
    inner.push(ii);
  });
  // Mostly, with panels, the outer loops over the panels' axes come first and the panels are
  // copied inside the last of them: every tile of the other axes then reuses a panel (a GEMM's
  // B panel serves all rows of A). Otherwise any order, and the panels at a random outer loop.
  // A Winograd input transform is computed inside the outer loops over the axes it has (tile
  // rows and columns, images), outside those over its matrix axes and the output channels: there
  // it is built once per tile, whole, and every tile inside reads it. It orders those loops first,
  // as a panel does.
  const transformInput = stageReads(s, local).find((p) => tagOf(p) === 'winograd_input' && p.attach.kind === 'root' && !ctx.done.has(p));
  const transformAxes = transformInput ? indexedAxes(local, transformInput.tensor) : new Set<number>();
  transformAxes.delete(0);
  transformAxes.delete(1);
  if (transformInput && rng() < 0.9) {
    panelAxes.clear();
    transformAxes.forEach((d) => panelAxes.add(d));
  }
  const panelFirst = (packs.length > 0 || (transformInput !== undefined && panelAxes.size > 0)) && rng() < 0.8;
  const outer = panelFirst
    ? [...S0.filter((_, d) => panelAxes.has(d)), ...S0.filter((_, d) => !panelAxes.has(d))]
    : rng() < 0.5
      ? S0
      : [...S0].sort(() => rng() - 0.5);
  const panelLoops = panelFirst ? S0.filter((_, d) => panelAxes.has(d)).length : 0;
  anchor.reorder(...outer, ...S1, ...inner);
  const fusedCount = nest ? 0 : randInt(rng, 1, panelLoops > 0 && rng() < 0.75 ? panelLoops : outer.length);
  if (nest) anchor.computeAt(nest.stage, nest.axis);
  else {
    const fused = anchor.fuse(...outer.slice(0, fusedCount));
    if (info.threads && fused.extent > 1) anchor.parallel(fused);
  }
  const outerLeaves = anchor.leafAxes().filter((l) => !inner.includes(l));
  if (anchor.axis[anchor.axis.length - 1].extent > 1) vectorizeInner(anchor, inner[inner.length - 1], lanes);
  // mostly inside all outer tiles, so the accumulator is one S2 × S3 tile
  const at = rng() < 0.8 ? outerLeaves.length - 1 : randInt(rng, 0, outerLeaves.length - 1);
  local.computeAt(anchor, outerLeaves[at]);
  tileLocal(ctx, local, tiles.map((t) => t[2]), lanes);
  // the last loop over the panels' axes (after the fuse), else mostly the outermost loop: a panel
  // is packed once for all the tiles inside
  const panelAt = panelLoops > 0 ? Math.max(0, panelLoops - fusedCount) : rng() < 0.5 ? 0 : randInt(rng, 0, at);
  for (const p of packs) {
    p.computeAt(anchor, outerLeaves[Math.min(panelAt, at)]);
    const pl = p.leafAxes();
    vectorizeInner(p, pl[pl.length - 1], lanes);
  }
  for (const p of paddedInputs(ctx, R)) {
    // mostly materialized per parallel task, as the hand-written convolutions do: the bounds
    // tests then run once per input element instead of once per multiply-add. Inside the S1
    // tiles, loop partitioning copies the reduction for every border (det's 3×3 conv: up to
    // 175 KB of C, 4–6× the compile time), yet without that choice det's depthwise search
    // reached 0.47–0.56 of the template under load ~17, with it 1.04
    const where = rng();
    if (where < 0.2) continue;
    if (where < 0.45) {
      // padded once, before the reduction, as det's depthwise default does: every tile then
      // reads plain rows, whatever its shape. The stage loop schedules it later (rule 4).
      p.computeRoot();
      continue;
    }
    p.computeAt(anchor, outerLeaves[rng() < 0.6 ? 0 : randInt(rng, 0, at)]);
    const pl = p.leafAxes();
    vectorizeInner(p, pl[pl.length - 1], lanes);
    ctx.done.add(p);
  }
  // the Winograd input transform: mostly at the last loop over its axes (as a panel), else at a
  // random outer loop or once at the root (rule 5 schedules it there)
  if (transformInput && rng() >= 0.15) {
    const where = panelLoops > 0 && rng() < 0.85 ? Math.max(0, panelLoops - fusedCount) : randInt(rng, 0, at);
    transformInput.computeAt(anchor, outerLeaves[Math.min(where, at)]);
    transform(ctx, transformInput, false);
    ctx.done.add(transformInput);
  }
}

/**
 * The zero-padded inputs `R` reads (inlined by rule 1, tagged `pad` by the op library), each read
 * by `R` alone: a reduction with reuse reads each of their elements many times, and every read of
 * an inlined pad tests its bounds.
 */
function paddedInputs(ctx: Ctx, R: Stage): Stage[] {
  return inputTensors(R.tensor)
    .map((t) => ctx.s.stage(t))
    .filter((p) => p.attach.kind === 'inline' && p.tensor.op.kind === 'compute' && p.tensor.op.tag === 'pad' && !ctx.done.has(p))
    .filter((p) => {
      const readers = effectiveReaders(ctx.s, p);
      return readers.length === 1;
    });
}

/** The local stage's loops: R0, S2, R1, S3 — S3 is the register tile, unrolled and vectorized. */
function tileLocal(ctx: Ctx, local: Stage, s3: readonly number[], lanes: number): void {
  const { rng } = ctx;
  const S2: IterVar[] = [];
  const S3: IterVar[] = [];
  const R0: IterVar[] = [];
  const R1: IterVar[] = [];
  local.axis.forEach((a, d) => {
    if (a.extent === 1) return void S2.push(a);
    const [o, i] = local.split(a, { factor: s3[d] });
    S2.push(o);
    S3.push(i);
  });
  for (const r of local.reduceAxis) {
    if (r.extent === 1) {
      R0.push(r);
      continue;
    }
    const [o, i] = local.split(r, { factor: tileOf(ctx, r.extent) });
    R0.push(o);
    R1.push(i);
  }
  local.reorder(...R0, ...S2, ...R1, ...S3);
  const unrollable: IterVar[] = [];
  const vec = local.axis[local.axis.length - 1].extent > 1 ? S3.pop() : undefined;
  if (vec) {
    const rest = vectorizeInner(local, vec, lanes);
    if (rest) unrollable.push(rest);
  }
  unrollable.push(...S3.reverse(), ...R1.reverse());
  // mostly the whole register tile (S3) or more: its accumulators then live in registers
  const registerLoops = unrollable.length - R1.length;
  const depth = rng() < 0.75 ? randInt(rng, registerLoops, unrollable.length) : randInt(rng, 0, unrollable.length);
  // copies beyond a few hundred statements only cost compile time (and instruction cache)
  let copies = 1;
  for (const l of unrollable.slice(0, depth)) {
    copies *= l.extent;
    if (copies > MAX_UNROLLED) break;
    local.unroll(l);
  }
}

/**
 * Vectorizes `axis` when its extent allows: split by the lanes when it is wider (the outer part
 * is returned, for unrolling), as a whole when it is a power of two up to the lanes.
 */
function vectorizeInner(st: Stage, axis: IterVar, lanes: number): IterVar | undefined {
  if (axis.extent > lanes) {
    const [o, i] = st.split(axis, { factor: lanes });
    st.vectorize(i);
    return o;
  }
  if (axis.extent >= 2 && (axis.extent & (axis.extent - 1)) === 0) st.vectorize(axis);
  return undefined;
}

// --- rule 3: reductions without reuse ---------------------------------------------------------

/**
 * Accumulates `st` in a local stage: inside its own output's outer loops when it is an output,
 * else (its copy inlined) at a loop of its reader or at the root; the last reduce loop is split
 * and its inner part unrolled, half the time.
 */
function simpleReduction(ctx: Ctx, st: Stage): void {
  const { s, rng } = ctx;
  const local = s.stage(s.cacheWrite(st.tensor, 'local'));
  ctx.done.add(local);
  let vector = false;
  if (st.isOutput) {
    const { outerLeaves, vectorized } = injective(ctx, st);
    const at = rng() < 0.5 ? outerLeaves.length - 1 : randInt(rng, 0, outerLeaves.length - 1);
    local.computeAt(st, outerLeaves[at]);
    // computed per vector of outputs: the local region is one vector wide
    vector = vectorized && at === outerLeaves.length - 1;
  } else {
    st.computeInline();
    placeAtReader(ctx, local);
  }
  const spatial = [...local.axis];
  const last = spatial.pop();
  const reduce = [...local.reduceAxis];
  const r = reduce.pop();
  let unrolled: IterVar | undefined;
  if (r && r.extent > 2 && rng() < 0.5) {
    const [ro, ri] = local.split(r, { factor: pick(rng, [2, 4, 8, 16].filter((f) => f <= r.extent)) });
    reduce.push(ro);
    unrolled = ri;
  } else if (r) {
    reduce.push(r);
  }
  local.reorder(...spatial, ...reduce, ...(unrolled ? [unrolled] : []), ...(last ? [last] : []));
  if (unrolled) local.unroll(unrolled);
  if (vector && last) local.vectorize(last);
}

/**
 * Computes `st` at a spatial loop of its reader (fusing the two) or leaves it at the root. The
 * reader must be at the root, and any other reader computed inside the chosen loop.
 */
function placeAtReader(ctx: Ctx, st: Stage): void {
  const readers = effectiveReaders(ctx.s, st);
  const roots = readers.filter((r) => r.attach.kind === 'root');
  if (roots.length !== 1 || ctx.rng() < 0.25) return;
  const C = roots[0];
  const leaves = C.leafAxes();
  let limit = leaves.length;
  for (const r of readers) {
    if (r === C) continue;
    if (r.attach.kind !== 'at' || r.attach.stage !== C) return;
    limit = Math.min(limit, leaves.indexOf(r.attach.axis) + 1);
  }
  const spots = leaves.slice(0, limit).filter((l) => l.iterType === 'spatial' && C.annotation(l)?.kind !== 'vectorize');
  if (spots.length > 0) st.computeAt(C, pick(ctx.rng, spots));
}

// --- rules 5 and 6: Winograd's transforms ------------------------------------------------------

/**
 * Rule 5: the α × α matrix axes (the first two) unrolled just outside the last axis, which is
 * vectorized; at the root, the outer loops fused (the first p of them) into a parallel loop; the
 * transform's first half computed per tile at the loop just outside the matrix axes.
 */
function transform(ctx: Ctx, st: Stage, root: boolean): void {
  const { info, rng } = ctx;
  const outer = unrollMatrix(ctx, st);
  if (root && outer.length > 0) {
    const fused = st.fuse(...outer.slice(0, randInt(rng, 1, outer.length)));
    if (info.threads && fused.extent > 1 && rng() < 0.9) st.parallel(fused);
  }
  const half = halfReadBy(ctx.s, st);
  const leaves = st.leafAxes();
  const at = leaves[leaves.indexOf(st.axis[0]) - 1];
  if (half && at) perTile(ctx, half, st, at);
}

/** A transform's first half `half` computed at `st`'s loop `axis`, its matrix axes unrolled. */
function perTile(ctx: Ctx, half: Stage, st: Stage, axis: IterVar): void {
  half.computeAt(st, axis);
  unrollMatrix(ctx, half);
  ctx.done.add(half);
}

/**
 * A transform's matrix axes (its first two) unrolled just outside its last axis, which is
 * vectorized; returns the axes outside them.
 */
function unrollMatrix(ctx: Ctx, st: Stage): IterVar[] {
  const [a, b, ...outer] = st.axis;
  const last = outer.pop();
  if (last === undefined) return [];
  st.reorder(...outer, a, b, last);
  st.unroll(a);
  st.unroll(b);
  vectorizeInner(st, last, lanesOf(ctx.info, st.tensor.dtype));
  return outer;
}

/**
 * Rule 6: a stage reading a Winograd output transform: rows and columns split by the tile m, the
 * m × m points unrolled just outside the last axis (vectorized), the loop over tile rows outside
 * the other axes (only axes of extent 1 before it), fused (with those before it, or with the next
 * p loops) into a parallel loop; the transform's first half computed per tile. Mostly the product
 * is then computed inside the loop over tile rows, a row at a time, which the outputs read from
 * cache. Where the columns are the last axis, rule 4 instead.
 */
function tiledOutput(ctx: Ctx, st: Stage, tile: WinogradTile): void {
  const { info, rng } = ctx;
  const n = st.axis.length;
  if (tile.h === n - 1 || tile.w === n - 1) return void injective(ctx, st);
  const [ho, hi] = st.split(st.axis[tile.h], { factor: tile.m });
  const [wo, wi] = st.split(st.axis[tile.w], { factor: tile.m });
  const others = st.axis.slice(0, n - 1).filter((_, d) => d !== tile.h && d !== tile.w);
  const before = others.filter((a) => a.extent === 1);
  const outer = [...before, ho, ...others.filter((a) => a.extent > 1), wo];
  const last = st.axis[n - 1];
  st.reorder(...outer, hi, wi, last);
  st.unroll(hi);
  st.unroll(wi);
  vectorizeInner(st, last, lanesOf(info, st.tensor.dtype));
  const nested = rng() < 0.75;
  const rows = before.length + 1;
  const fused = st.fuse(...outer.slice(0, nested ? rows : randInt(rng, 1, outer.length)));
  if (info.threads && fused.extent > 1 && rng() < 0.9) st.parallel(fused);
  if (nested) ctx.nests.set(tile.product, { stage: st, axis: fused });
  // the output transform's first half per tile: at the innermost loop outside the tile's points
  const half = halfReadBy(ctx.s, st);
  const leaves = st.leafAxes();
  if (half) perTile(ctx, half, st, leaves[leaves.indexOf(hi) - 1]);
}

// --- rule 4: everything else ------------------------------------------------------------------

/** Fused parallel outer loops and a vectorized inner loop; returns the loops outside the vector. */
function injective(ctx: Ctx, st: Stage): { outerLeaves: IterVar[]; vectorized: boolean } {
  const { info, rng } = ctx;
  const spatial = [...st.axis];
  const last = spatial.pop();
  if (last === undefined) return { outerLeaves: [...st.leafAxes()], vectorized: false };
  const lanes = lanesOf(info, st.tensor.dtype);
  const outer = [...spatial];
  /** leaves the vector split leaves inside the outer loops: li, or the unrolled part and the lanes */
  let innerLoops = 0;
  let vectorized = false;
  if (last.extent >= 4 && rng() < 0.9) {
    const [lo, li] = st.split(last, { factor: vectorWidth(rng, last.extent, lanes) });
    outer.push(lo);
    innerLoops = vectorizeInner(st, li, lanes) ? 2 : 1;
    vectorized = st.leafAxes().some((l) => st.annotation(l)?.kind === 'vectorize');
  } else {
    outer.push(last);
  }
  const fused = st.fuse(...outer.slice(0, randInt(rng, 1, outer.length)));
  if (info.threads && fused.extent > 1 && rng() < 0.9) st.parallel(fused);
  const leaves = st.leafAxes();
  const outerLeaves = leaves.slice(0, leaves.length - innerLoops);
  return { outerLeaves, vectorized };
}
