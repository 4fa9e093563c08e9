/**
 * @file `kiln save` writes a model compiled at the given shapes that SavedSession loads and runs
 * with the outputs of an InferenceSession; `--relaxed-simd` is recorded in the file; a missing
 * --output or shape is a usage error (exit status 2) and writes nothing.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceSession, SavedSession } from '../../src/api/index.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { writeModel } from '../api/onnx-writer.js';
import { kilnWithin } from './launcher.js';
import { randomTensor } from '../api/helpers.js';


const kiln = kilnWithin(120_000);

const f32 = (name: string, shape: readonly (number | string)[]) => ({ name, dtype: 'float32' as const, shape });
const CONV = writeModel({
  inputs: [f32('image', ['n', 3, 'h', 'w'])],
  outputs: [f32('features', ['n', 4, 'h', 'w'])],
  initializers: [{ name: 'w', tensor: tensorOf('float32', [4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => Math.sin(i))) }],
  nodes: [
    { op: 'Conv', inputs: ['image', 'w'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
    { op: 'Relu', inputs: ['c'], outputs: ['features'] },
  ],
});

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-save-'));
  fs.writeFileSync(path.join(dir, 'conv.onnx'), CONV);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kiln save', () => {
  it.each([false, true])('writes a model SavedSession runs like the session (relaxed SIMD: %s)', async (relaxed) => {
    const out = path.join(dir, `conv-${relaxed}.kiln`);
    const r = await kiln('save', path.join(dir, 'conv.onnx'), '--input', 'image=1x3x8x10', '--threads', '1', '-o', out, ...(relaxed ? ['--relaxed-simd'] : []));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`saved "${out}"`);
    const feeds = { image: randomTensor([1, 3, 8, 10], 3) };
    const loaded = await SavedSession.load(out);
    const session = await InferenceSession.create(CONV, { threads: 1, relaxedSimd: relaxed });
    expect(loaded.target.relaxedSimd).toBe(relaxed);
    expect((await loaded.run(feeds)).features.data).toEqual((await session.run(feeds)).features.data);
    await loaded.release();
    await session.release();
  }, 120_000);

  it('needs --output, and the shapes of symbolic inputs', async () => {
    const noOutput = await kiln('save', path.join(dir, 'conv.onnx'), '--input', 'image=1x3x8x10');
    expect(noOutput.status).toBe(2);
    expect(noOutput.stderr).toContain('kiln save: save needs --output FILE');
    const noShape = await kiln('save', path.join(dir, 'conv.onnx'), '-o', path.join(dir, 'x.kiln'));
    expect(noShape.status).toBe(2);
    expect(noShape.stderr).toContain('input "image" has shape float32[n, 3, h, w]: give its dims with --input image=DIMS');
    expect(fs.existsSync(path.join(dir, 'x.kiln'))).toBe(false);
  }, 120_000);
});
