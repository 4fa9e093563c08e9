/**
 * @file The default CPU schedule of a 2-D convolution on the NCHW layout (conv2d, group and
 * depthwise; the transposed convolution is one too, over its spread grid): a register-tiled
 * direct convolution.
 *
 *   parallel (task)                           a band of output rows (threads split these)
 *     pad[all c, rows of the band, all w]     the padded input, materialized once per band
 *     for (row block) for (m block) for (w block)
 *       acc[mb, ohb, owb] = 0                 accumulators in registers (cacheWrite 'local')
 *       for (rc, ry, rx)                      reduce loops outside the register tile
 *         acc[mi, hi, :] += pad[c, h·s + ry, w·s + rx : +lanes] · W[m, rc, ry, rx]
 *       out[tile] = epilogue(acc)             bias and the fused group's element-wise tail,
 *                                             computed from registers, written once
 *
 * A depthwise convolution (padPerChannel) runs its channel blocks as the tasks instead, each
 * padding its own channels band by band into a small local buffer.
 *
 * The vector axis is the output width, whose input loads are contiguous when the stride along
 * it is 1 (otherwise the tile stays scalar, unrolled). Weights are broadcast. The materialized
 * pad keeps bounds tests out of the inner loop (tir.loopPartition cuts them out of the pad copy).
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Expr, IterVar } from '../../ir/expr.js';
import { intImm } from '../../ir/expr.js';
import { substitute, visit } from '../../ir/visit.js';
import { simplify } from '../../arith/index.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import { ScheduleError } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';
import { inputTensors } from '../../te/tensor.js';

export interface Conv2dKnobs {
  /** vector lanes along the output width; 1: the tile is scalar */
  readonly lanes: number;
  /** output channels of the register tile */
  readonly mb: number;
  /** output rows of the register tile */
  readonly ohb: number;
  /** output columns of the register tile (a multiple of lanes) */
  readonly owb: number;
  /** output rows of one parallel task (a multiple of ohb); the padded input is built per task */
  readonly taskRows: number;
  /** unroll the kernel window (ry, rx) too, so loads shared by neighbouring outputs are shared */
  readonly unrollKernel: boolean;
  /**
   * the tile spans ohb whole rows (owb is the output width), their columns vectorized as one
   * flattened axis: only where input and output rows have the same width and stride 1 (1×1)
   */
  readonly flatRows: boolean;
  /**
   * a task is a channel block, which pads only the input channels it reads, a band at a time,
   * into a local buffer that stays in L1: for depthwise convolutions, whose channel blocks share
   * no input (otherwise a task is a band, padding every input channel for all its blocks)
   */
  readonly padPerChannel: boolean;
}

/** What the knobs are chosen from. */
export interface ConvShape {
  readonly outChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  /** channels and columns of the input the convolution reads (after padding) */
  readonly inChannels: number;
  readonly inWidth: number;
  /** the kernel window and the strides of the output over the input */
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  /** every output channel reads one input channel of its own: no input reuse across channels */
  readonly depthwise: boolean;
}

const CONV_TAG = /^(depthwise_|group_)?conv2d(_transpose)?$/;

/** Whether `st` is a 2-D float32 convolution reduction this strategy schedules. */
export function isConv2d(st: Stage): boolean {
  const t = st.tensor;
  return t.op.kind === 'compute' && CONV_TAG.test(t.op.tag) && t.ndim === 4 && t.dtype === 'float32' && st.reduceAxis.length >= 2;
}

/** The data tensor a convolution reads (its padded input), which its first product reads. */
export function convData(conv: Tensor): Tensor {
  let data: Tensor | null = null;
  if (conv.op.kind === 'compute') {
    visit(conv.op.body, (e) => {
      if (data === null && e.kind === 'tensorRead') data = e.tensor;
      return data === null;
    });
  }
  if (data === null) throw new ScheduleError(`conv2d strategy (${conv.name}): reads no tensor`);
  return data;
}

/** The step of index `d` of the data read when output axis `axis` steps by 1. */
function strideOf(conv: Tensor, data: Tensor, axis: number, d: number): number {
  if (conv.op.kind !== 'compute') return 1;
  const vars = [...conv.op.axis, ...conv.op.reduceAxis].map((a) => a.var);
  let index: Expr | null = null;
  visit(conv.op.body, (e) => {
    if (index === null && e.kind === 'tensorRead' && e.tensor === data) index = e.indices[d];
    return index === null;
  });
  if (index === null) return 1;
  const at = (one: number): Expr => simplify(substitute(index!, new Map(vars.map((v, k) => [v.id, intImm(k === one ? 1 : 0)]))));
  const [a, b] = [at(axis), at(-1)];
  return a.kind === 'int' && b.kind === 'int' ? a.value - b.value : 1;
}

export function convShapeOf(conv: Tensor): ConvShape {
  if (conv.op.kind !== 'compute') throw new ScheduleError(`conv2d strategy (${conv.name}): not a compute`);
  const data = convData(conv);
  const [, m, oh, ow] = conv.shape;
  return {
    outChannels: m,
    outHeight: oh,
    outWidth: ow,
    inChannels: data.shape[1],
    inWidth: data.shape[3],
    kernelHeight: conv.op.reduceAxis[conv.op.reduceAxis.length - 2].extent,
    kernelWidth: conv.op.reduceAxis[conv.op.reduceAxis.length - 1].extent,
    strideHeight: strideOf(conv, data, 2, 2),
    strideWidth: strideOf(conv, data, 3, 3),
    depthwise: conv.op.tag.startsWith('depthwise'),
  };
}

/**
 * Accumulators the register file holds with room for operands: 16 of AVX-512's 32 vector
 * registers (24 spilled in GCC's code for the 3×3 tiles of PaddleOCR det), 12 of AVX2's 16, and
 * 8 of WebAssembly's (V8 keeps fewer of x86-64's 16 xmm registers free; see matmul.ts).
 */
function registerBudget(info: TargetInfo): number {
  if (info.vectorBits >= 512) return 16;
  if (info.vectorBits >= 256) return 12;
  return 8;
}

/**
 * Relative speed of covering `n` elements with tiles of `tile` (vectors of `lanes` of a machine
 * with `full` lanes): a partial vector at the edge runs lane by lane.
 */
function coverage(n: number, tile: number, lanes: number, full: number): number {
  const tiles = Math.floor(n / tile);
  const rest = n - tiles * tile;
  const cost = (tiles * tile) / lanes + Math.floor(rest / lanes) + (rest % lanes);
  return n / full / cost;
}

/** Kernel windows up to this many taps are unrolled (code size stays a few hundred statements). */
const UNROLL_TAPS = 25;

type Tile = Pick<Conv2dKnobs, 'lanes' | 'mb' | 'ohb' | 'owb' | 'flatRows'>;

/**
 * The register tile that does the most useful multiply-adds per cycle: accumulators within the
 * register budget, each loaded operand reused (input vectors by the channels of the tile, weight
 * broadcasts by its rows and vectors, input rows shared by neighbouring output rows when the
 * window is unrolled), little lost to partial edge tiles. When nothing pads or strides the
 * width (1×1 convolutions), a tile may instead span whole rows, vectorized as one flat axis, so
 * that narrow outputs (20 columns) still fill whole vectors; one that spans the whole plane may
 * end in a partial vector (ShuffleNet's 7×7 planes: 3 vectors of 16 and a lane, not 7 of 4).
 */
export function defaultConv2dKnobs(info: TargetInfo, shape: ConvShape): Conv2dKnobs {
  const full = Math.max(1, info.vectorBits / 32);
  const budget = registerBudget(info);
  const taps = shape.kernelHeight * shape.kernelWidth;
  // V8 keeps the loads an unrolled window shares live and spills accumulators: on wasm the
  // window stays a loop (det's 3×3 96→24: 29 GFLOP/s rolled, 21 unrolled)
  const unrollKernel = taps > 1 && taps <= UNROLL_TAPS && info.vectorBits >= 256;
  const laneChoices = shape.strideWidth === 1 ? [full, full / 2, full / 4].filter((l) => l >= 4 || l === full) : [1];
  const flatOk = shape.strideWidth === 1 && shape.kernelWidth === 1 && shape.inWidth === shape.outWidth;
  const maxMb = shape.depthwise ? 1 : Math.min(budget, shape.outChannels);
  const fitOf = (n: number, b: number): number => n / (Math.ceil(n / b) * b);
  // A weight broadcast counts as two loads on WebAssembly (V8 makes load32_splat a load and a
  // shuffle): there, tiles of many channels over one vector of columns ran at half the speed of
  // tiles a few vectors wide. ShuffleNet's 1×1 group-4 convs, 1 thread, channels × rows ×
  // vectors: 136 at 28², 4×2×1 20 GFLOP/s, 2×1×4 39; 272 at 14², 4×2×1 15, flat 1×2 rows 40.
  const splat = info.vectorBits <= 128 ? 2 : 1;
  let best: { tile: Tile; score: number } | null = null;
  const consider = (tile: Tile, nv: number, width: number, covered = tile.flatRows ? width : tile.owb): void => {
    const { mb, ohb, lanes } = tile;
    const acc = mb * (tile.flatRows ? 1 : ohb) * nv;
    if (acc > budget) return;
    // loads per reduce step (rc, and the window when it is unrolled) against multiply-adds
    const inputRows = unrollKernel ? (ohb - 1) * shape.strideHeight + shape.kernelHeight : ohb * shape.kernelHeight;
    const inputs = (tile.flatRows ? nv * shape.kernelHeight : inputRows * nv) * shape.kernelWidth;
    const loads = (shape.depthwise ? mb * inputs : inputs) + splat * mb * taps;
    const reuse = Math.min((acc * taps) / loads, 1.5);
    const fit = coverage(width, covered, lanes, full) * fitOf(shape.outHeight, ohb) * fitOf(shape.outChannels, mb);
    const score = fit * reuse * (1 + mb / 100 - nv / 1000);
    if (!best || score > best.score) best = { tile, score };
  };
  for (const lanes of laneChoices) {
    for (let ohb = 1; ohb <= 8 && ohb <= shape.outHeight; ohb++) {
      for (let mb = 1; mb <= maxMb; mb++) {
        for (let nv = 1; nv * lanes <= Math.max(lanes, shape.outWidth + lanes - 1) && nv <= budget; nv++) {
          consider({ lanes, mb, ohb, owb: nv * lanes, flatRows: false }, nv, shape.outWidth);
        }
        const flat = ohb * shape.outWidth;
        if (flatOk && flat % lanes === 0 && ohb > 1) consider({ lanes, mb, ohb, owb: shape.outWidth, flatRows: true }, flat / lanes, flat);
        // a whole plane (7×7: 3 vectors of 16 and one lane) ends in a partial vector, which
        // lowering splits off as scalar lanes instead of reading past the plane
        else if (flatOk && ohb > 1 && ohb === shape.outHeight && flat > lanes) {
          consider({ lanes, mb, ohb, owb: shape.outWidth, flatRows: true }, Math.ceil(flat / lanes), flat, flat - (flat % lanes));
        }
      }
    }
  }
  const tile = (best as { tile: Tile } | null)?.tile;
  if (!tile) throw new ScheduleError(`defaultConv2dKnobs: no register tile fits ${JSON.stringify(shape)}`);
  return { ...tile, taskRows: taskRows(info, shape, tile.ohb), unrollKernel, padPerChannel: false };
}

/**
 * Rows per task: enough tasks to balance the cores, each band's padded input within half of L2
 * (it is read again by every channel block), and bands as tall as that allows, since each band
 * rebuilds the kernel's overlap rows.
 */
function taskRows(info: TargetInfo, shape: ConvShape, ohb: number): number {
  const blocks = Math.ceil(shape.outHeight / ohb);
  const rowBytes = shape.inChannels * shape.inWidth * 4;
  const fitL2 = (k: number): boolean => ((k * ohb - 1) * shape.strideHeight + shape.kernelHeight) * rowBytes <= info.l2Bytes / 2;
  let k = Math.max(1, Math.floor(blocks / (4 * Math.max(1, info.cores))));
  while (k > 1 && !fitL2(k)) k--;
  return k * ohb;
}

/**
 * Output elements × multiply-adds below which a convolution stays on one thread: 2M take about
 * 40 µs, a few times what handing a loop to a second thread costs (bench/c-region.ts). A target
 * whose runtime gates parallel loops by their work (wasm) decides at run time instead.
 */
const PARALLEL_MIN_MACS = 1 << 21;

/**
 * Schedules convolution `conv` of `s`, computed inside the tiles of `out`: `conv` itself, or the
 * output of its fused group (same shape; the stages between are inlined). `pad`, when given, is
 * the padded input stage, built per task.
 */
export function scheduleConv2d(s: Schedule, conv: Tensor, out: Tensor, pad: Tensor | null, knobs: Conv2dKnobs, info: TargetInfo): void {
  const { lanes, mb, ohb, owb, taskRows: rows } = knobs;
  if ((!knobs.flatRows && owb % lanes !== 0) || rows % ohb !== 0) {
    throw new ScheduleError(`scheduleConv2d(${conv.name}): owb=${owb} must be a multiple of lanes=${lanes} and taskRows=${rows} of ohb=${ohb}`);
  }
  if (out.ndim !== 4 || out.shape.some((d, k) => d !== conv.shape[k])) {
    throw new ScheduleError(`scheduleConv2d(${conv.name}): output ${out.name} must have the convolution's shape`);
  }
  const local = s.cacheWrite(conv, 'local');
  if (out !== conv) s.stage(conv).computeInline();
  // a task's padded channels are a local copy the accumulators read, the pad itself inlined
  const perChannel = knobs.padPerChannel;
  const padded = pad && perChannel ? s.cacheRead(pad, 'local', [local]) : pad;
  if (pad && padded !== pad) s.stage(pad).computeInline();

  const o = s.stage(out);
  const [n, m, oh, ow] = o.axis as [IterVar, IterVar, IterVar, IterVar];
  const [band, inBand] = o.split(oh, { factor: rows });
  const [rowBlock, hi] = o.split(inBand, { factor: ohb });
  const [mo, mi] = o.split(m, { factor: mb });
  // a flat tile covers whole rows: its columns are not split into tiles, and its rows are
  // written back as one flat axis, a vector at a time (not row by row in partial vectors)
  const [wo, wi] = knobs.flatRows ? [null, ow] : o.split(ow, { factor: owb });
  // A plane of fewer bands than two per core (ShuffleNet's 7×7: one, or two of 4 and 3 rows) is
  // split by channel blocks as well, unless they would each rebuild the padded band: otherwise
  // one thread would do most of the work. ShuffleNet's 1×1 group-4 convolutions on 2 threads,
  // the two splits alternating in one process: 544 → 544 at 7² 0.66 → 0.41 ms on wasm (0.090 →
  // 0.039 on c), 136 → 544 at 7² 0.18 → 0.14 on wasm; seven bands (136 at 28², 272 at 14²) ran
  // 4–5% slower split by channels on wasm, the same on c.
  const byChannels = !perChannel && pad === null && band.extent < 2 * Math.max(1, info.cores);
  o.reorder(...(perChannel ? [n, mo, band, rowBlock, wo, mi, hi, wi] : [n, band, rowBlock, mo, wo, mi, hi, wi]).filter((x) => x !== null));
  const [wv, wl] = o.split(knobs.flatRows ? o.fuse(hi, wi) : wi, { factor: lanes });
  const task = perChannel ? o.fuse(n, mo) : byChannels ? o.fuse(n, band, rowBlock, mo) : o.fuse(n, band);
  for (const ax of knobs.flatRows ? [mi, wv] : [mi, hi, wv]) o.unroll(ax);
  if (lanes > 1) o.vectorize(wl);
  else o.unroll(wl);
  const macs = out.shape.reduce((p, d) => p * d, 1) * s.stage(local).reduceAxis.reduce((p, r) => p * r.extent, 1);
  if (info.threads && task.extent > 1 && macs >= (info.parallelMinWork ?? PARALLEL_MIN_MACS)) o.parallel(task);

  const acc = s.stage(local);
  acc.computeAt(o, wo ?? (perChannel ? rowBlock : byChannels ? task : mo));
  const [, am, ah, aw] = acc.axis as [IterVar, IterVar, IterVar, IterVar];
  const columns = knobs.flatRows ? acc.fuse(ah, aw) : aw;
  const [av, al] = acc.split(columns, { factor: lanes });
  acc.reorder(...acc.reduceAxis, ...(knobs.flatRows ? [am, av, al] : [am, ah, av, al]));
  for (const ax of knobs.flatRows ? [am, av] : [am, ah, av]) acc.unroll(ax);
  if (knobs.unrollKernel) for (const r of acc.reduceAxis.slice(-2)) acc.unroll(r);
  if (lanes > 1) acc.vectorize(al);
  else acc.unroll(al);

  if (pad && padded) schedulePad(s.stage(padded), o, perChannel ? band : task, info, perChannel ? copyLanes(pad, info) : null);
}

/**
 * The padded input of one task, its rows copied a vector at a time (`rowLanes`, else the full
 * width). Loop partitioning copies a vector that straddles the padding lane by lane, so the short
 * rows of one channel (30 columns) are copied in the vectors that leave the fewest such lanes.
 */
function schedulePad(p: Stage, o: Stage, at: IterVar, info: TargetInfo, rowLanes: number | null): void {
  p.computeAt(o, at);
  const w = p.leafAxes()[p.leafAxes().length - 1];
  const [, wl] = p.split(w, { factor: rowLanes ?? Math.max(1, info.vectorBits / 32) });
  p.vectorize(wl);
}

/** The vector width (full, half or quarter) that copies a row of `pad` in the fewest operations. */
function copyLanes(pad: Tensor, info: TargetInfo): number {
  const full = Math.max(1, info.vectorBits / 32);
  const width = pad.shape[pad.ndim - 1];
  const inner = inputTensors(pad)[0]?.shape.at(-1) ?? width;
  const left = Math.floor((width - inner) / 2); // asymmetric pads move the edges a lane or two
  const cost = (lanes: number): number => {
    let ops = 0;
    for (let b = 0; b < width; b += lanes) {
      const end = Math.min(b + lanes, width);
      const plain = end - b === lanes && (end <= left || b >= left + inner || (b >= left && end <= left + inner));
      ops += plain ? 1 : end - b;
    }
    return ops;
  };
  return [full, full / 2, full / 4].filter((l) => l >= 1 && Number.isInteger(l)).reduce((best, l) => (cost(l) < cost(best) ? l : best));
}
