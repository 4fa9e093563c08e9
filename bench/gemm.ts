/**
 * @file `npm run bench:gemm [-- --target c|wasm] [--json] [--sizes 512,1024,2048] [--threads 1,2] [--relaxed-simd]`
 *
 * fp32 GEMM C = A·B (M = N = K) compiled by kiln with the default CPU matmul schedule
 * (src/strategy/cpu/matmul.ts), against a peer running MatMul on the same inputs in the same run:
 * onnxruntime-node for the `c` target, onnxruntime-web (its WebAssembly backend with SIMD and
 * threads, run in Node) for `wasm`. Timing alternates between blocks of kiln runs and blocks of
 * peer runs, so machine noise hits both; medians of single runs are reported. Between blocks the
 * benchmark idles briefly: both sides' thread pools spin after a run, and a pool still spinning
 * would steal the other side's second core.
 *
 * onnxruntime-web fixes its thread count when it first initializes, so each thread count runs in
 * a child process of its own. `--relaxed-simd` (wasm only) fuses kiln's multiply-adds (see
 * src/codegen/wasm/relaxed.ts); the `target` field of each row then reads `wasm+relaxed-simd`.
 */

import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildKernel } from '../src/codegen/build.js';
import { getBackend } from '../src/codegen/index.js';
import { createSchedule } from '../src/schedule/index.js';
import { defaultMatmulKnobs, scheduleMatmul } from '../src/strategy/cpu/matmul.js';
import { compute, mul, placeholder, reduceAxis, sum } from '../src/te/index.js';
import { singleNodeModel } from './lib/onnx-model.js';
import { uniform } from './lib/random.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '512,1024,2048' },
    threads: { type: 'string', default: '1,2' },
    repeat: { type: 'string', default: '15' },
    target: { type: 'string', default: 'c' },
    'relaxed-simd': { type: 'boolean', default: false },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
function parseTarget(name: string): 'c' | 'wasm' {
  if (name !== 'c' && name !== 'wasm') throw new Error(`bench:gemm: --target must be c or wasm, got '${name}'`);
  return name;
}
const target = parseTarget(values.target);
const relaxedSimd = values['relaxed-simd'];
if (relaxedSimd && target !== 'wasm') throw new Error('bench:gemm: --relaxed-simd applies to the wasm target only');

interface Row {
  op: string; m: number; n: number; k: number; target: string; threads: number;
  kiln_gflops: number; peer: string; peer_gflops: number; ratio: number;
}

interface Peer {
  readonly name: string;
  run(a: Float32Array, b: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

async function createPeer(n: number, threads: number): Promise<Peer> {
  const model = singleNodeModel('MatMul', [{ name: 'A', shape: [n, n] }, { name: 'B', shape: [n, n] }], [{ name: 'C', shape: [n, n] }]);
  if (target === 'c') {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    return {
      name: 'onnxruntime-node',
      run: async (a, b) => (await session.run({ A: new ort.Tensor('float32', a, [n, n]), B: new ort.Tensor('float32', b, [n, n]) })).C.data as Float32Array,
      release: () => session.release(),
    };
  }
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  return {
    name: 'onnxruntime-web',
    run: async (a, b) => (await session.run({ A: new ort.Tensor('float32', a, [n, n]), B: new ort.Tensor('float32', b, [n, n]) })).C.data as Float32Array,
    release: () => session.release(),
  };
}

function matmul(n: number) {
  const A = placeholder([n, n], 'float32', 'A');
  const B = placeholder([n, n], 'float32', 'B');
  const k = reduceAxis(n, 'k');
  const C = compute([n, n], (i, j) => sum(mul(A.at(i, k.var), B.at(k.var, j)), [k]), 'C', { tag: 'matmul' });
  return { A, B, C };
}

/** Runs per block, and the pause after a block that lets spinning worker threads go to sleep. */
const BLOCK = 5;
const IDLE_MS = 50;

async function measure(n: number, threads: number): Promise<Row> {
  const { A, B, C } = matmul(n);
  const s = createSchedule([C]);
  scheduleMatmul(s, C, defaultMatmulKnobs(getBackend(target).info, { n, k: n }));
  const kernel = await buildKernel(s, [A, B, C], { target, threads, relaxedSimd, name: 'gemm' });
  const peer = await createPeer(n, threads);
  const a = uniform(n * n, 1);
  const b = uniform(n * n, 2);
  const c = new Float32Array(n * n);

  // Correctness first: a benchmark of wrong results is worthless.
  kernel.run([a, b, c]);
  const ref = await peer.run(a, b);
  let maxErr = 0;
  let maxRef = 0;
  for (let q = 0; q < c.length; q++) {
    maxErr = Math.max(maxErr, Math.abs(c[q] - ref[q]));
    maxRef = Math.max(maxRef, Math.abs(ref[q]));
  }
  if (maxErr > 1e-4 * maxRef + 1e-5) throw new Error(`gemm ${n}: kiln differs from ${peer.name} by ${maxErr}`);

  const repeat = Math.max(3, Math.round(Number(values.repeat) * Math.min(1, (1024 / n) ** 3)));
  const kilnMs: number[] = [];
  const peerMs: number[] = [];
  const block = async (fn: () => unknown, into: number[]): Promise<void> => {
    await fn(); // warm caches and wake the pool
    for (let r = 0; r < BLOCK; r++) {
      const t0 = performance.now();
      await fn();
      into.push(performance.now() - t0);
    }
    await new Promise((done) => setTimeout(done, IDLE_MS));
  };
  for (let round = 0; round < Math.ceil(repeat / BLOCK); round++) {
    await block(() => kernel.run([a, b, c]), kilnMs);
    await block(() => peer.run(a, b), peerMs);
  }
  kernel.dispose();
  await peer.release();
  const flops = 2 * n ** 3;
  const kilnGflops = flops / median(kilnMs) / 1e6;
  const peerGflops = flops / median(peerMs) / 1e6;
  return {
    op: 'gemm', m: n, n, k: n, target: relaxedSimd ? `${target}+relaxed-simd` : target, threads,
    kiln_gflops: +kilnGflops.toFixed(1), peer: peer.name, peer_gflops: +peerGflops.toFixed(1),
    ratio: +(kilnGflops / peerGflops).toFixed(3),
  };
}

/** Runs one thread count in a child process (see the file comment); returns its rows. */
function measureInChild(threads: number): Row[] {
  const args = [...process.execArgv, process.argv[1], '--target', target, '--sizes', values.sizes, '--threads', String(threads), '--repeat', values.repeat, '--json', ...(relaxedSimd ? ['--relaxed-simd'] : [])];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`bench:gemm: the child for ${threads} thread(s) failed with status ${child.status}`);
  return child.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
}

const threadCounts = list(values.threads);
const rows: Row[] = [];
for (const threads of threadCounts) {
  if (target === 'wasm' && threadCounts.length > 1) {
    const got = measureInChild(threads);
    rows.push(...got);
    if (values.json) got.forEach((r) => console.log(JSON.stringify(r)));
    continue;
  }
  for (const n of list(values.sizes)) {
    const row = await measure(n, threads);
    rows.push(row);
    if (values.json) console.log(JSON.stringify(row));
  }
}

if (!values.json) {
  const peer = rows[0]?.peer ?? '';
  console.log(`fp32 GEMM, target ${rows[0]?.target ?? target} (${getBackend(target).info.vectorBits}-bit vectors), medians; ratio = kiln / ${peer} GFLOP/s`);
  console.log(`| M=N=K | threads | kiln GFLOP/s | ${peer} GFLOP/s | ratio |`);
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.m} | ${r.threads} | ${r.kiln_gflops} | ${r.peer_gflops} | ${r.ratio} |`);
}
// onnxruntime-web keeps worker threads alive; the benchmark is over.
process.exit(0);
