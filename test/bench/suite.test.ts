/**
 * The benchmark suite's machinery, never its timings: which rows `--rows` selects, how a result
 * becomes a table row, and that the models it writes read back as intended (single-node models
 * with attributes and weights; the light networks with random weights in place of ConstantOfShape).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RowResult } from '../../bench/lib/measure.js';
import { singleNodeModel } from '../../bench/lib/onnx-model.js';
import { withRandomWeights } from '../../bench/lib/random-weights.js';
import { ROWS, selectRows } from '../../bench/lib/rows.js';
import { formatMs, tableRow } from '../../bench/lib/table.js';
import { readOnnx } from '../../src/frontend/onnx/index.js';

const names = (spec: string): string[] => selectRows(spec).map((r) => r.name);

describe('selectRows', () => {
  it('selects every row for "all" or nothing', () => {
    expect(names('all')).toEqual(ROWS.map((r) => r.name));
    expect(names('')).toEqual(ROWS.map((r) => r.name));
  });

  it('takes names, groups and * patterns, in suite order', () => {
    expect(names('gemm1024,det640')).toEqual(['det640', 'gemm1024']);
    expect(names('ocr')).toEqual(['det640', 'det960', 'rec', 'cls']);
    expect(names('conv*')).toEqual(['conv3x3_96_24_160', 'conv1x1_384_360_20', 'conv3x3_64_64_56']);
  });

  it('names the rows there are when a term selects none', () => {
    expect(() => selectRows('det640,resnet')).toThrow(/'resnet' selects no row \(rows: det640, det960/);
  });
});

describe('table', () => {
  const ok: RowResult = {
    row: 'det640', model: 'det.onnx', target: 'c', threads: 2, outputs: [{ name: 'y', max_abs: 2e-6, max_rel: 3.14e-6 }],
    kiln_ms: 51.234, peer_ms: 50, ratio: 1.02468, ok: true, peer_web_ms: 151.5, ratio_web: 0.3382,
    compile_cold_ms: 8123.4, compile_cached_ms: 310.2, runs: 20,
  };

  it('formats a measured row', () => {
    expect(tableRow(ok)).toBe('| det640 | 2 | 51.2 | 50.0 | 1.02 | 152 | 0.34 | 3.1e-6 | 8123 | 310 | ok |');
    expect(tableRow({ ...ok, ok: false, peer_web_ms: null, ratio_web: null, web_error: 'out of memory' })).toBe(
      '| det640 | 2 | 51.2 | 50.0 | 1.02 | — | — | 3.1e-6 | 8123 | 310 | FAIL: outputs differ; onnxruntime-web failed: out of memory |',
    );
  });

  it('prints an error row on one line with its reason, | escaped', () => {
    const r: RowResult = { row: 'vgg19', model: 'vgg.onnx', target: 'wasm', threads: 1, ok: false, error: 'unknown op\n  LRN | x' };
    expect(tableRow(r)).toBe('| vgg19 | 1 | — | — | — | — | — | — | — | — | error: unknown op LRN \\| x |');
  });

  it('keeps three significant digits for small times', () => {
    expect([formatMs(0.1234), formatMs(12.345), formatMs(1234.5), formatMs(undefined)]).toEqual(['0.12', '12.3', '1235', '—']);
  });
});

describe('bench models', () => {
  it('writes a single-node model with attributes and weight initializers', () => {
    const w = { name: 'W', shape: [4, 2, 3, 3], data: new Float32Array(72).fill(0.5) };
    const g = readOnnx(singleNodeModel('Conv', [{ name: 'X', shape: [1, 2, 8, 8] }], [{ name: 'Y', shape: [1, 4, 8, 8] }], {
      attrs: { pads: [1, 1, 1, 1], group: 1 },
      initializers: [w],
    }));
    expect(g.inputs.map((v) => v.name)).toEqual(['X']);
    expect(g.initializers.map((i) => [i.value.name, [...i.tensor.shape], i.tensor.data[0]])).toEqual([['W', [4, 2, 3, 3], 0.5]]);
    expect(g.nodes[0].inputs.map((v) => v?.name)).toEqual(['X', 'W']);
    expect(g.nodes[0].attrs.get('pads')).toEqual({ kind: 'ints', value: [1, 1, 1, 1] });
  });

  it('replaces the light models\' ConstantOfShape weights by seeded random initializers', () => {
    const row = ROWS.find((r) => r.name === 'squeezenet');
    if (!row) throw new Error('no squeezenet row');
    const g = readOnnx(withRandomWeights(readFileSync(row.source), 1, 2));
    expect(g.nodes.some((n) => n.op === 'ConstantOfShape')).toBe(false);
    expect(g.inputs.map((v) => v.name)).toEqual(['data_0']);
    const conv1 = g.initializers.find((i) => i.value.name === 'conv1_w_0');
    expect(conv1 && [...conv1.tensor.shape]).toEqual([64, 3, 3, 3]);
    const data = Array.from(conv1?.tensor.data ?? [], Number);
    const bound = Math.sqrt(6 / (3 * 3 * 3));
    expect(Math.max(...data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(new Set(data).size).toBeGreaterThan(data.length / 2);
  });
});
