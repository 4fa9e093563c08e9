/**
 * @file `npm run bench:peak [-- --threads 1,2] [--cc CC] [--json]`: the machine's fp32
 * multiply-add peak, the ceiling a kernel's GFLOP/s is read against (bench/autoschedule.ts and
 * bench/gemm.ts print GFLOP/s; over this peak they are a fraction of what the cores can do).
 *
 * Each side runs independent chains of vector multiply-adds, more chains than the FMA units'
 * latency × count, on registers only, and reports the fastest of REPEATS timings
 * (a ceiling, unlike the suite's medians):
 * - `c`: C through the c target's compiler and its `-march=native` vectors (the widest the CPU
 *   has, as `TargetInfo.vectorBits`), one pthread per thread;
 * - `wasm`: a module of 128-bit SIMD built with kiln's module builder, one worker_thread per
 *   thread: `f32x4.mul` + `f32x4.add` (what kiln's wasm target emits by default) and, where the
 *   engine accepts it, `f32x4.relaxed_madd` (its `relaxedSimd` option).
 */

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { getBackend } from '../src/codegen/index.js';
import { ModuleBuilder } from '../src/codegen/wasm/builder.js';
import type { Local } from '../src/codegen/wasm/code.js';
import { enableRelaxedSimd } from '../src/codegen/wasm/relaxed.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    cc: { type: 'string', default: 'cc' },
    json: { type: 'boolean', default: false },
  },
});
const threadCounts = values.threads.split(',').map(Number);
if (threadCounts.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`bench:peak: --threads must be a list of positive integers, got '${values.threads}'`);

/** Independent accumulator chains: covers 2 FMA units × 4–6 cycles of latency, fits 16 registers. */
const CHAINS = 12;
const REPEATS = 5;

interface Row {
  readonly side: string;
  readonly threads: number;
  readonly gflops: number;
}

const C_SOURCE = `
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef float vec __attribute__((vector_size(VECTOR_BYTES)));
enum { LANES = VECTOR_BYTES / 4, CHAINS = ${CHAINS} };
static long iterations;
static volatile float sink[256]; /* read by nothing: volatile keeps the chains live */
static void *spin(void *arg) {
  long id = (long)arg;
  vec acc[CHAINS], a, b;
  for (int i = 0; i < LANES; i++) { a[i] = 1.0f - 1e-7f * (float)(id + 1); b[i] = 1e-3f; }
  for (int k = 0; k < CHAINS; k++) for (int i = 0; i < LANES; i++) acc[k][i] = (float)k;
  for (long n = 0; n < iterations; n++) {
#pragma GCC unroll 16
    for (int k = 0; k < CHAINS; k++) acc[k] = acc[k] * a + b;
  }
  float s = 0;
  for (int k = 0; k < CHAINS; k++) for (int i = 0; i < LANES; i++) s += acc[k][i];
  sink[id & 255] = s;
  return 0;
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  int threads = atoi(argv[1]);
  iterations = atol(argv[2]);
  pthread_t ids[256];
  double t = now();
  for (long i = 0; i < threads; i++) pthread_create(&ids[i], 0, spin, (void *)i);
  for (int i = 0; i < threads; i++) pthread_join(ids[i], 0);
  double flops = 2.0 * LANES * CHAINS * (double)iterations * threads;
  printf("%.3f\\n", flops / (now() - t) / 1e9);
  return 0;
}
`;

/** The C side: compiled once, each timing a fresh process (thread start-up is in it, ~0.1 ms of ~0.3 s). */
function cPeak(): Row[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-peak-'));
  try {
    const vectorBytes = getBackend('c').info.vectorBits / 8;
    fs.writeFileSync(path.join(dir, 'peak.c'), C_SOURCE);
    const exe = path.join(dir, 'peak');
    execFileSync(values.cc, ['-O3', '-march=native', '-ffp-contract=fast', '-pthread', `-DVECTOR_BYTES=${vectorBytes}`, path.join(dir, 'peak.c'), '-o', exe]);
    const iterations = Math.round(4e9 / (2 * (vectorBytes / 4) * CHAINS));
    return threadCounts.map((threads) => {
      const runs = Array.from({ length: REPEATS }, () => Number(execFileSync(exe, [String(threads), String(iterations)], { encoding: 'utf8' })));
      return { side: `c (${vectorBytes * 8}-bit vectors, ${values.cc})`, threads, gflops: Math.max(...runs) };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `spin(n)`: CHAINS f32x4 accumulators, each `acc·a + b` n times (fused or as mul then add); returns a lane of their sum. */
function wasmModule(fused: boolean): Uint8Array {
  const mb = new ModuleBuilder({ relaxedSimd: fused });
  const f = mb.func('spin', { params: ['i32'], results: ['f32'] });
  const [n] = f.params;
  const a = f.local('v128');
  const b = f.local('v128');
  const acc: Local[] = Array.from({ length: CHAINS }, () => f.local('v128'));
  const c = f.code;
  c.f32x4Const([0.9999999, 0.9999998, 0.9999997, 0.9999996]).localSet(a);
  c.f32x4Const([1e-3, 1e-3, 1e-3, 1e-3]).localSet(b);
  acc.forEach((l, k) => c.f32x4Const([k, k, k, k]).localSet(l));
  c.block(null, (done) => {
    c.loop(null, (again) => {
      c.localGet(n).op('i32.eqz').brIf(done);
      for (const l of acc) {
        if (fused) c.localGet(l).localGet(a).localGet(b).relaxed('f32x4.relaxed_madd');
        else c.localGet(l).localGet(a).simd('f32x4.mul').localGet(b).simd('f32x4.add');
        c.localSet(l);
      }
      c.localGet(n).i32Const(1).op('i32.sub').localSet(n).br(again);
    });
  });
  c.localGet(acc[0]);
  for (const l of acc.slice(1)) c.localGet(l).simd('f32x4.add');
  c.lane('f32x4.extract_lane', 0);
  mb.exportFunc('spin', f.ref);
  return mb.finish();
}

/** A worker that instantiates the module, warms it up (V8 tiers it up to optimized code), then spins on each message. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const v8 = require('node:v8');
if (workerData.fused) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const { spin } = new WebAssembly.Instance(new WebAssembly.Module(workerData.bytes)).exports;
for (let t = Date.now(); Date.now() - t < 300; ) spin(100000);
parentPort.postMessage('ready');
parentPort.on('message', (n) => { spin(n); parentPort.postMessage('done'); });
`;

const message = (w: Worker): Promise<unknown> => new Promise((resolve, reject) => {
  w.once('message', resolve);
  w.once('error', reject);
});

async function wasmPeak(fused: boolean): Promise<Row[]> {
  const bytes = wasmModule(fused);
  const iterations = Math.round(2e9 / (2 * 4 * CHAINS));
  const rows: Row[] = [];
  for (const threads of threadCounts) {
    const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { bytes, fused } }));
    try {
      await Promise.all(workers.map(message));
      let best = 0;
      for (let r = 0; r < REPEATS; r++) {
        const t = performance.now();
        await Promise.all(workers.map((w) => {
          const done = message(w);
          w.postMessage(iterations);
          return done;
        }));
        best = Math.max(best, (2 * 4 * CHAINS * iterations * threads) / ((performance.now() - t) / 1000) / 1e9);
      }
      rows.push({ side: fused ? 'wasm f32x4.relaxed_madd' : 'wasm f32x4.mul + f32x4.add', threads, gflops: best });
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
  return rows;
}

async function relaxedAvailable(): Promise<boolean> {
  try {
    await enableRelaxedSimd();
    return true;
  } catch {
    return false;
  }
}

const rows = [...cPeak(), ...(await wasmPeak(false)), ...((await relaxedAvailable()) ? await wasmPeak(true) : [])];
if (values.json) {
  for (const r of rows) console.log(JSON.stringify(r));
} else {
  console.log(`fp32 multiply-add peak, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.availableParallelism()} cores), load average ${os.loadavg()[0].toFixed(2)}`);
  console.log('| side | threads | GFLOP/s |\n|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.side} | ${r.threads} | ${r.gflops.toFixed(1)} |`);
}
