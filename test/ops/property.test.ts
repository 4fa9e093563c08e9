/**
 * @file Property tests: random shapes and attributes, the op library's computes (run by the TE
 * evaluator) against plain loop-nest references written here. They reach corners the
 * conformance cases miss: groups with channel multipliers, dilations with strides, asymmetric
 * pads, ceil_mode overhang, batch broadcasting in MatMul, negative slice steps.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Attr } from '../../src/graph/attrs.js';
import { int, ints } from '../../src/graph/attrs.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { tensorNumbers, tensorOf } from '../../src/graph/tensor.js';
import '../../src/ops/index.js';
import { runOp } from './run.js';

/** Deterministic pseudo-random floats in [-1, 1) from a seed. */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(s / 2 ** 31 - 1);
  });
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const rand = (shape: number[], seed: number): HostTensor => tensorOf('float32', shape, values(size(shape), seed));

function expectClose(actual: HostTensor, expected: readonly number[], shape: readonly number[]): void {
  expect(actual.shape).toEqual(shape);
  const a = tensorNumbers(actual);
  a.forEach((v, k) => expect(Math.abs(v - expected[k])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(expected[k])));
}

interface Window2d {
  k: [number, number];
  s: [number, number];
  d: [number, number];
  p: [number, number, number, number];
}

const window2d = fc.record({
  k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })),
  d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  p: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
});

const windowAttrs = (w: Window2d): Record<string, Attr> => ({ strides: ints(w.s), dilations: ints(w.d), pads: ints(w.p) });

/** The output extent and, per output position, the input positions of its window (or -1 in padding). */
function windowPositions(n: number, k: number, s: number, d: number, pb: number, pe: number, ceil = false): number[][] {
  const room = n + pb + pe - ((k - 1) * d + 1);
  let out = (ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  if (ceil && (out - 1) * s >= n + pb) out--;
  return Array.from({ length: Math.max(out, 0) }, (_, o) => Array.from({ length: k }, (_, r) => o * s - pb + r * d));
}

describe('Conv against a loop-nest reference', () => {
  it('agrees for random groups, strides, dilations and pads', () => {
    const arb = fc.record({ win: window2d, g: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 2 }), mg: fc.integer({ min: 1, max: 2 }), hw: fc.tuple(fc.integer({ min: 4, max: 7 }), fc.integer({ min: 4, max: 7 })), seed: fc.nat() });
    fc.assert(
      fc.property(arb, ({ win, g, cg, mg, hw, seed }) => {
        const [c, m] = [g * cg, g * mg];
        const x = rand([1, c, hw[0], hw[1]], seed);
        const w = rand([m, cg, win.k[0], win.k[1]], seed + 1);
        const b = rand([m], seed + 2);
        const rows = windowPositions(hw[0], win.k[0], win.s[0], win.d[0], win.p[0], win.p[2]);
        const cols = windowPositions(hw[1], win.k[1], win.s[1], win.d[1], win.p[1], win.p[3]);
        // a dilated window larger than the padded input is an invalid Conv (kiln rejects it with an OpError)
        fc.pre(rows.length > 0 && cols.length > 0);
        const [xv, wv, bv] = [tensorNumbers(x), tensorNumbers(w), tensorNumbers(b)];
        const expected: number[] = [];
        for (let mo = 0; mo < m; mo++) {
          for (const rr of rows) {
            for (const cc of cols) {
              let acc = bv[mo];
              const grp = Math.floor(mo / mg);
              for (let ci = 0; ci < cg; ci++) {
                rr.forEach((y, ky) => cc.forEach((xx, kx) => {
                  if (y >= 0 && y < hw[0] && xx >= 0 && xx < hw[1]) acc += xv[((grp * cg + ci) * hw[0] + y) * hw[1] + xx] * wv[((mo * cg + ci) * win.k[0] + ky) * win.k[1] + kx];
                }));
              }
              expected.push(acc);
            }
          }
        }
        const [y] = runOp('Conv', [x, w, b], { attrs: { ...windowAttrs(win), group: int(g) } });
        expectClose(y, expected, [1, m, rows.length, cols.length]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('ConvTranspose against a scatter reference', () => {
  it('agrees for random groups, strides, dilations, pads and output padding', () => {
    const arb = fc.record({ win: window2d, g: fc.integer({ min: 1, max: 2 }), seed: fc.nat(), op: fc.nat(1) });
    fc.assert(
      fc.property(arb, ({ win, g, seed, op }) => {
        const [h, wd, cg, mg] = [3, 4, 2, 2];
        const outPad = [Math.min(op, win.s[0] - 1, win.d[0] - 1 + win.s[0] - 1), 0];
        const x = rand([1, g * cg, h, wd], seed);
        const w = rand([g * cg, mg, win.k[0], win.k[1]], seed + 1);
        const oh = win.s[0] * (h - 1) + outPad[0] + (win.k[0] - 1) * win.d[0] + 1 - win.p[0] - win.p[2];
        const ow = win.s[1] * (wd - 1) + (win.k[1] - 1) * win.d[1] + 1 - win.p[1] - win.p[3];
        fc.pre(oh > 0 && ow > 0);
        const out = new Array<number>(g * mg * oh * ow).fill(0);
        const [xv, wv] = [tensorNumbers(x), tensorNumbers(w)];
        for (let ci = 0; ci < g * cg; ci++) {
          const grp = Math.floor(ci / cg);
          for (let i = 0; i < h; i++) for (let j = 0; j < wd; j++) for (let mo = 0; mo < mg; mo++) for (let ky = 0; ky < win.k[0]; ky++) for (let kx = 0; kx < win.k[1]; kx++) {
            const [y, xx] = [i * win.s[0] - win.p[0] + ky * win.d[0], j * win.s[1] - win.p[1] + kx * win.d[1]];
            if (y < 0 || y >= oh || xx < 0 || xx >= ow) continue;
            out[((grp * mg + mo) * oh + y) * ow + xx] += xv[(ci * h + i) * wd + j] * wv[((ci * mg + mo) * win.k[0] + ky) * win.k[1] + kx];
          }
        }
        const [y] = runOp('ConvTranspose', [x, w], { attrs: { ...windowAttrs(win), group: int(g), output_padding: ints(outPad) } });
        expectClose(y, out, [1, g * mg, oh, ow]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('pooling against loop-nest references', () => {
  it('MaxPool and AveragePool agree, with ceil_mode and count_include_pad', () => {
    const arb = fc.record({ win: window2d, seed: fc.nat(), ceil: fc.boolean(), include: fc.boolean() });
    fc.assert(
      fc.property(arb, ({ win, seed, ceil, include }) => {
        const [h, wd] = [6, 5];
        const p = { ...win, p: win.p.map((v, i) => Math.min(v, win.k[i % 2] - 1)) as Window2d['p'] };
        const x = rand([1, 1, h, wd], seed);
        const rows = windowPositions(h, p.k[0], p.s[0], p.d[0], p.p[0], p.p[2], ceil);
        const cols = windowPositions(wd, p.k[1], p.s[1], p.d[1], p.p[1], p.p[3], ceil);
        fc.pre(rows.length > 0 && cols.length > 0);
        const xv = tensorNumbers(x);
        const maxes: number[] = [];
        const means: number[] = [];
        for (const rr of rows) for (const cc of cols) {
          let [mx, total, count] = [-Infinity, 0, 0];
          for (const y of rr) for (const xx of cc) {
            const inside = y >= 0 && y < h && xx >= 0 && xx < wd;
            const inPadded = y >= -p.p[0] && y < h + p.p[2] && xx >= -p.p[1] && xx < wd + p.p[3];
            if (inside) [mx, total] = [Math.max(mx, xv[y * wd + xx]), total + xv[y * wd + xx]];
            if (inside || (include && inPadded)) count++;
          }
          maxes.push(mx);
          means.push(total / count);
        }
        const attrs = { ...windowAttrs(p), kernel_shape: ints(p.k), ceil_mode: int(ceil ? 1 : 0) };
        expectClose(runOp('MaxPool', [x], { attrs })[0], maxes, [1, 1, rows.length, cols.length]);
        const avg = runOp('AveragePool', [x], { attrs: { ...attrs, count_include_pad: int(include ? 1 : 0) } })[0];
        expectClose(avg, means, [1, 1, rows.length, cols.length]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('index maps against direct references', () => {
  it('MatMul broadcasts batch dims like numpy', () => {
    const arb = fc.record({ ba: fc.constantFrom([], [1], [2], [2, 1], [1, 3]), bb: fc.constantFrom([], [1], [2], [3]), m: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 3 }), seed: fc.nat() });
    fc.assert(
      fc.property(arb, ({ ba, bb, m, k, n, seed }) => {
        const rank = Math.max(ba.length, bb.length);
        const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
        const [pa, pb] = [pad(ba), pad(bb)];
        fc.pre(pa.every((d, i) => d === pb[i] || d === 1 || pb[i] === 1));
        const batch = pa.map((d, i) => Math.max(d, pb[i]));
        const a = rand([...ba, m, k], seed);
        const b = rand([...bb, k, n], seed + 1);
        const [av, bv] = [tensorNumbers(a), tensorNumbers(b)];
        const expected: number[] = [];
        for (let flat = 0; flat < size(batch); flat++) {
          const idx = batch.map((_, i) => Math.floor(flat / size(batch.slice(i + 1))) % batch[i]);
          const off = (p: number[]) => p.reduce((acc, d, i) => acc * d + (d === 1 ? 0 : idx[i]), 0);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let r = 0; r < k; r++) acc += av[(off(pa) * m + i) * k + r] * bv[(off(pb) * k + r) * n + j];
            expected.push(acc);
          }
        }
        expectClose(runOp('MatMul', [a, b])[0], expected, [...batch, m, n]);
      }),
      { numRuns: 40 },
    );
  });

  it('Slice with any steps matches a direct walk', () => {
    const arb = fc.record({ n: fc.integer({ min: 1, max: 8 }), start: fc.integer({ min: -10, max: 10 }), end: fc.integer({ min: -10, max: 10 }), step: fc.constantFrom(-3, -2, -1, 1, 2, 3) });
    fc.assert(
      fc.property(arb, ({ n, start, end, step }) => {
        const x = tensorOf('float32', [n], Array.from({ length: n }, (_, i) => i));
        const i64 = (v: number) => tensorOf('int64', [1], [v]);
        const norm = (v: number) => (v < 0 ? v + n : v);
        let s = Math.min(Math.max(norm(start), 0), step > 0 ? n : n - 1);
        const e = Math.min(Math.max(norm(end), step > 0 ? 0 : -1), step > 0 ? n : n - 1);
        const expected: number[] = [];
        for (; step > 0 ? s < e : s > e; s += step) expected.push(s);
        const [y] = runOp('Slice', [x, i64(start), i64(end), i64(0), i64(step)]);
        expect(tensorNumbers(y)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('Reshape then Transpose by the inverse permutation restores the input', () => {
    const arb = fc.record({ shape: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }), seed: fc.nat() });
    fc.assert(
      fc.property(arb, ({ shape, seed }) => {
        const perm = [...shape.keys()].sort((a, b) => ((a * 7 + seed) % 5) - ((b * 7 + seed) % 5) || a - b);
        const inverse = perm.map((_, k) => perm.indexOf(k));
        const x = rand(shape, seed);
        const [y] = runOp('Transpose', [x], { attrs: { perm: ints(perm) } });
        const [z] = runOp('Transpose', [y], { attrs: { perm: ints(inverse) } });
        expect(tensorNumbers(z)).toEqual(tensorNumbers(x));
        const [flat] = runOp('Reshape', [x, tensorOf('int64', [1], [-1])]);
        expect(tensorNumbers(flat)).toEqual(tensorNumbers(x));
      }),
      { numRuns: 40 },
    );
  });
});
