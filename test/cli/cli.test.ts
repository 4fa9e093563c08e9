/**
 * @file The `kiln` command, run as users run it: through bin/kiln.js in a child process, on small
 * models and conformance cases written to a temporary folder. Checks what each command prints and
 * its exit status, including a conformance case that hangs its worker (its model is a FIFO that
 * never delivers) and must fail alone, with later cases still run.
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensorOf } from '../../src/graph/tensor.js';
import { tensorProto, writeModel } from '../api/onnx-writer.js';
import { kilnWithin } from './launcher.js';

let dir = '';

const kiln = kilnWithin(60_000);

const f32 = (name: string, shape: readonly (number | string)[]) => ({ name, dtype: 'float32' as const, shape });
const CONV = writeModel({
  inputs: [f32('image', ['n', 3, 'h', 'w'])],
  outputs: [f32('features', ['n', 4, 'h', 'w'])],
  initializers: [{ name: 'w', tensor: tensorOf('float32', [4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => Math.sin(i))) }],
  nodes: [
    { op: 'Conv', name: 'conv', inputs: ['image', 'w'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
    { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['features'] },
  ],
});
const ADD = writeModel({ inputs: [f32('a', [2]), f32('b', [2])], outputs: [f32('s', [2])], nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['s'] }] });

/** A conformance case folder with one data set. */
function writeCase(name: string, model: Uint8Array | null, expected: readonly number[]): void {
  const set = path.join(dir, 'cases', name, 'test_data_set_0');
  fs.mkdirSync(set, { recursive: true });
  const modelPath = path.join(dir, 'cases', name, 'model.onnx');
  if (model === null) spawnSync('mkfifo', [modelPath]);
  else fs.writeFileSync(modelPath, model);
  fs.writeFileSync(path.join(set, 'input_0.pb'), tensorProto(tensorOf('float32', [2], [1, 2])));
  fs.writeFileSync(path.join(set, 'input_1.pb'), tensorProto(tensorOf('float32', [2], [2, 0.5])));
  fs.writeFileSync(path.join(set, 'output_0.pb'), tensorProto(tensorOf('float32', [2], expected)));
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-cli-'));
  fs.writeFileSync(path.join(dir, 'conv.onnx'), CONV);
  fs.writeFileSync(path.join(dir, 'image.pb'), tensorProto(tensorOf('float32', [1, 3, 4, 4], Array.from({ length: 48 }, (_, i) => i / 48))));
  writeCase('case_pass', ADD, [3, 2.5]);
  writeCase('case_fail', ADD, [4, 2.5]);
  writeCase('case_hang', null, [0, 0]);
  writeCase('case_error', writeModel({ inputs: [f32('a', [2]), f32('b', [2])], outputs: [f32('s', [2])], nodes: [{ op: 'Nope', name: 'n', inputs: ['a', 'b'], outputs: ['s'] }] }), [0, 0]);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.concurrent('kiln CLI', () => {
  it('inspect shows inputs, the op histogram, the specialized graph and fused groups', async () => {
    const r = await kiln('inspect', path.join(dir, 'conv.onnx'), '--input', 'image=1x3x8x8', '--target', 'c');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  "image": float32[n, 3, h, w]\n');
    expect(r.stdout).toMatch(/ops \(2 nodes\):\n {2}Conv +1\n {2}Relu +1\n/);
    expect(r.stdout).toContain('graph after passes for target c (specialized to the input shapes):');
    // the layout pass blocks the 4 output channels into one block of the target's vector width
    expect(r.stdout).toMatch(/float32\[1, 1, 8, 8, \d+\] = kiln::Conv2dNCHWc\(/);
    expect(r.stdout).toContain('float32[1, 4, 8, 8] = kiln::FromBlocked(');
    expect(r.stdout).toMatch(/fused groups: \d+/);
  });

  it('run reads a TensorProto input, summarizes outputs and profiles kernels', async () => {
    const r = await kiln('run', path.join(dir, 'conv.onnx'), '--input', `image=${path.join(dir, 'image.pb')}`, '--repeat', '2', '--profile');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/output "features": float32\[1, 4, 4, 4\] {2}min 0 {2}max [\d.]+ {2}mean [\d.]+\n/);
    expect(r.stdout).toMatch(/latency: median [\d.]+ ms over 2 runs/);
    // the layout pass may wrap the conv in reorders, so the fused kernel need not be k0
    expect(r.stdout).toMatch(/k\d+ +Conv\w*\+Relu +[\d.]+ +[\d.]+% {2}node "relu" \(kiln\.Fused\)\n/);
  });

  it('run and compare --fetches time runs that write into outputs allocated once', async () => {
    const run = await kiln('run', path.join(dir, 'conv.onnx'), '--input', 'image=1x3x16x16', '--repeat', '2', '--profile', '--fetches');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/latency: median [\d.]+ ms over 2 runs/);
    expect(run.stdout).toMatch(/k\d+ +Conv\w*\+Relu +[\d.]+ +[\d.]+% {2}node "relu" \(kiln\.Fused\)\n/);
    const compare = await kiln('compare', path.join(dir, 'conv.onnx'), '--input', 'image=1x3x16x16', '--repeat', '2', '--threads', '1', '--json', '--fetches');
    expect(compare.stderr).toBe('');
    expect(compare.status).toBe(0);
    expect((JSON.parse(compare.stdout) as { ok: boolean }).ok).toBe(true);
  });

  it('compare --json reports errors, both latencies and their ratio', async () => {
    const r = await kiln('compare', path.join(dir, 'conv.onnx'), '--input', 'image=1x3x16x16', '--repeat', '2', '--threads', '1', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['model', 'target', 'threads', 'outputs', 'kiln_ms', 'peer_ms', 'ratio', 'ok']);
    expect(report.threads).toBe(1);
    expect(report.ok).toBe(true);
    const [out] = report.outputs as { name: string; max_abs: number; max_rel: number }[];
    expect(out.name).toBe('features');
    expect(out.max_abs).toBeLessThan(1e-4);
  });

  it('usage errors exit 2 with the help; model errors exit 1 naming the place', async () => {
    const usage = await kiln('run', path.join(dir, 'conv.onnx'), '--input', 'nosuch=1x2');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('kiln run: --input "nosuch=1x2" names no input of the model (its inputs: "image")');
    expect(usage.stderr).toContain('usage: kiln <command>');
    const bad = await kiln('inspect', path.join(dir, 'nothing.onnx'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`kiln inspect: OnnxError: model: cannot read "${path.join(dir, 'nothing.onnx')}" (ENOENT)\n`);
  });

  it('conformance reports each case; a hanging case fails alone', async () => {
    const r = await kiln('conformance', path.join(dir, 'cases'), '--jobs', '1', '--timeout', '3');
    expect(r.stdout).toBe(
      [
        'ERROR case_error: OpError: node "n" (Nope): unknown op "Nope"',
        'FAIL case_fail: output 0: element 0: got 3, expected 4',
        'ERROR case_hang: timed out after 3 s',
        'PASS case_pass',
        '1 passed, 3 failed',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(1);
  });
});
