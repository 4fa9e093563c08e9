/**
 * @file `npm run bench:gemm [-- --json] [--sizes 512,1024,2048] [--threads 1,2] [--repeat N]`
 *
 * fp32 GEMM C = A·B (M = N = K) compiled by kiln on the `c` target with the default CPU matmul
 * schedule (src/strategy/cpu/matmul.ts), against onnxruntime-node's MatMul on the same inputs in the
 * same run. Runs alternate between kiln and the peer so machine noise hits both; medians reported.
 * Prints a table, or with --json one JSON object per line.
 */

import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { buildKernel } from '../src/api/build.js';
import { getBackend } from '../src/codegen/index.js';
import { createSchedule } from '../src/schedule/index.js';
import { defaultMatmulKnobs, scheduleMatmul } from '../src/strategy/cpu/matmul.js';
import { compute, mul, placeholder, reduceAxis, sum } from '../src/te/index.js';
import { singleNodeModel } from './lib/onnx-model.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '512,1024,2048' },
    threads: { type: 'string', default: '1,2' },
    repeat: { type: 'string', default: '15' },
    target: { type: 'string', default: 'c' },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
if (values.target !== 'c') throw new Error(`bench:gemm: target '${values.target}' is not supported yet (only c)`);

function matmul(n: number) {
  const A = placeholder([n, n], 'float32', 'A');
  const B = placeholder([n, n], 'float32', 'B');
  const k = reduceAxis(n, 'k');
  const C = compute([n, n], (i, j) => sum(mul(A.at(i, k.var), B.at(k.var, j)), [k]), 'C', { tag: 'matmul' });
  return { A, B, C };
}

function randomArray(len: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: len }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) - 0.5;
  });
}

const info = getBackend('c').info;
interface Row {
  op: string; m: number; n: number; k: number; target: string; threads: number;
  kiln_gflops: number; peer: string; peer_gflops: number; ratio: number;
}
const rows: Row[] = [];
for (const threads of list(values.threads)) {
  for (const n of list(values.sizes)) {
    const { A, B, C } = matmul(n);
    const s = createSchedule([C]);
    scheduleMatmul(s, C, defaultMatmulKnobs(info));
    const kernel = await buildKernel(s, [A, B, C], { target: 'c', threads, name: 'gemm' });
    const a = randomArray(n * n, 1);
    const b = randomArray(n * n, 2);
    const c = new Float32Array(n * n);

    const model = singleNodeModel('MatMul', [{ name: 'A', shape: [n, n] }, { name: 'B', shape: [n, n] }], [{ name: 'C', shape: [n, n] }]);
    const peer = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const feeds = { A: new ort.Tensor('float32', a, [n, n]), B: new ort.Tensor('float32', b, [n, n]) };

    // Correctness first: a benchmark of wrong results is worthless.
    kernel.run([a, b, c]);
    const ref = (await peer.run(feeds)).C.data as Float32Array;
    let maxErr = 0;
    let maxRef = 0;
    for (let q = 0; q < c.length; q++) {
      maxErr = Math.max(maxErr, Math.abs(c[q] - ref[q]));
      maxRef = Math.max(maxRef, Math.abs(ref[q]));
    }
    if (maxErr > 1e-4 * maxRef + 1e-5) throw new Error(`gemm ${n}: kiln differs from onnxruntime by ${maxErr}`);

    const repeat = Math.max(3, Math.round(Number(values.repeat) * Math.min(1, (1024 / n) ** 3)));
    const kilnMs: number[] = [];
    const peerMs: number[] = [];
    for (let r = 0; r < repeat + 2; r++) {
      let t0 = performance.now();
      kernel.run([a, b, c]);
      const tk = performance.now() - t0;
      t0 = performance.now();
      await peer.run(feeds);
      const tp = performance.now() - t0;
      if (r >= 2) {
        kilnMs.push(tk);
        peerMs.push(tp);
      }
    }
    const flops = 2 * n ** 3;
    const kilnGflops = flops / median(kilnMs) / 1e6;
    const peerGflops = flops / median(peerMs) / 1e6;
    const row: Row = {
      op: 'gemm', m: n, n, k: n, target: 'c', threads,
      kiln_gflops: +kilnGflops.toFixed(1), peer: 'onnxruntime-node', peer_gflops: +peerGflops.toFixed(1),
      ratio: +(kilnGflops / peerGflops).toFixed(3),
    };
    rows.push(row);
    if (values.json) console.log(JSON.stringify(row));
    kernel.dispose();
    await peer.release();
  }
}

if (!values.json) {
  console.log(`fp32 GEMM, target c (${info.vectorBits}-bit vectors), medians; ratio = kiln / onnxruntime-node GFLOP/s`);
  console.log('| M=N=K | threads | kiln GFLOP/s | onnxruntime-node GFLOP/s | ratio |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.m} | ${r.threads} | ${r.kiln_gflops} | ${r.peer_gflops} | ${r.ratio} |`);
}
