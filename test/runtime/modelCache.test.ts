/**
 * @file The compiled-model cache (src/runtime/cache/): on every available target, a second
 * executor with the same key loads the model instead of compiling it and computes the same
 * outputs; a damaged, foreign or incomplete entry is a miss that compiles (never an error); a
 * changed option is another key; concurrent writers leave one whole entry; and a session stores
 * entries under $XDG_CACHE_HOME/kiln/models unless `cache: false` or KILN_NO_CACHE=1.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// before anything builds a c library: the c backend's cache folder is fixed when it is first made
const CACHE_HOME = mkdtempSync(join(tmpdir(), 'kiln-model-cache-'));
process.env.XDG_CACHE_HOME = CACHE_HOME;

const { InferenceSession } = await import('../../src/api/index.js');
const { defaultCacheDir } = await import('../../src/codegen/index.js');
const { GraphBuilder } = await import('../../src/graph/builder.js');
const { hostTensor } = await import('../../src/graph/tensor.js');
const { tensorType } = await import('../../src/graph/types.js');
const { contentHash } = await import('../../src/runtime/cache/digest.js');
const { modelKey } = await import('../../src/runtime/cache/key.js');
const { ModelCache } = await import('../../src/runtime/cache/store.js');
const { Executor } = await import('../../src/runtime/executor.js');
const { writeModel } = await import('../api/onnx-writer.js');
const { TARGETS, randomFloats, randomTensor } = await import('../api/helpers.js');

afterAll(() => rmSync(CACHE_HOME, { recursive: true, force: true }));

type Target = (typeof TARGETS)[number];
const DIR = defaultCacheDir();
const MODELS = join(DIR, 'models');

/** x: float32[4, 19] → Softmax(x) · Sigmoid(x) + w, with a weight the entry must carry. */
function graph() {
  const b = new GraphBuilder(new Map([['', 17]]), 'g');
  const x = b.input('x', tensorType('float32', [4, 19]));
  const w = b.initializer('w', hostTensor('float32', [19], randomFloats(19, 5)));
  const s = b.node('Softmax', [x]).outputs[0];
  const m = b.node('Mul', [s, b.node('Sigmoid', [x]).outputs[0]]).outputs[0];
  return b.build([b.node('Add', [m, w]).outputs[0]]);
}

const FEED = hostTensor('float32', [4, 19], randomFloats(76, 9));

function cacheFor(target: Target, name: string, warnings: string[] = [], threads = 2): InstanceType<typeof ModelCache> {
  const key = modelKey({ modelHash: contentHash(new TextEncoder().encode(name)), target, threads, inPlace: true, relaxedSimd: false, passes: null, records: null, compiler: '' });
  return new ModelCache(DIR, key, target, threads, (m) => warnings.push(m));
}

async function runWith(target: Target, cache: InstanceType<typeof ModelCache>, threads = 2): Promise<number[]> {
  const ex = Executor.create(graph(), { target, threads, cache });
  try {
    return Array.from((await ex.run([FEED])).outputs[0].data as Float32Array);
  } finally {
    await ex.release();
  }
}

const entries = (): string[] => (existsSync(MODELS) ? readdirSync(MODELS).filter((n) => n.endsWith('.kiln')) : []);

describe.each(TARGETS.filter((t) => t !== 'js'))('compiled-model cache on %s', (target) => {
  it('loads a model compiled before instead of compiling it, with the same outputs', async () => {
    const first = cacheFor(target, `same ${target}`);
    const expected = await runWith(target, first);
    expect(first.stats).toEqual({ hits: 0, misses: 1, stores: 1 });
    const second = cacheFor(target, `same ${target}`);
    expect(await runWith(target, second)).toEqual(expected);
    expect(second.stats).toEqual({ hits: 1, misses: 0, stores: 0 });
  });

  it('still describes the graph and code of a model it loaded', async () => {
    const cache = cacheFor(target, `describe ${target}`);
    await runWith(target, cache);
    const ex = Executor.create(graph(), { target, threads: 2, cache: cacheFor(target, `describe ${target}`) });
    const p = await ex.prepare([FEED]);
    expect(p.graph.nodes.length).toBeGreaterThan(0);
    expect(p.source.length).toBeGreaterThan(0);
    await ex.release();
  });

  it('treats a damaged entry as a miss, compiles, and replaces it', async () => {
    const name = `damaged ${target}`;
    const expected = await runWith(target, cacheFor(target, name));
    for (const path of entries().map((n) => join(MODELS, n))) {
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(path, bytes);
    }
    const warnings: string[] = [];
    const again = cacheFor(target, name, warnings);
    expect(await runWith(target, again)).toEqual(expected);
    expect(again.stats).toEqual({ hits: 0, misses: 1, stores: 1 });
    expect(warnings.join('\n')).toMatch(/not used \(.*checksum/);
    const third = cacheFor(target, name);
    expect(await runWith(target, third)).toEqual(expected);
    expect(third.stats.hits).toBe(1);
  });

  it('keys entries by the options that change the result', async () => {
    await runWith(target, cacheFor(target, `threads ${target}`, [], 2), 2);
    const other = cacheFor(target, `threads ${target}`, [], 1);
    await runWith(target, other, 1);
    expect(other.stats).toEqual({ hits: 0, misses: 1, stores: 1 });
  });

  it('leaves one whole entry when two executors store the same key at once', async () => {
    const [a, b] = [cacheFor(target, `race ${target}`), cacheFor(target, `race ${target}`)];
    const [ra, rb] = await Promise.all([runWith(target, a), runWith(target, b)]);
    expect(ra).toEqual(rb);
    expect(readdirSync(MODELS).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const c = cacheFor(target, `race ${target}`);
    expect(await runWith(target, c)).toEqual(ra);
    expect(c.stats.hits).toBe(1);
  });
});

describe.skipIf(!TARGETS.includes('c'))('compiled-model cache on c, libraries', () => {
  it('compiles again when a library the entry names is gone', async () => {
    const expected = await runWith('c', cacheFor('c', 'lib gone'));
    for (const n of readdirSync(DIR).filter((f) => f.endsWith('.so'))) rmSync(join(DIR, n));
    const warnings: string[] = [];
    const again = cacheFor('c', 'lib gone', warnings);
    expect(await runWith('c', again)).toEqual(expected);
    expect(again.stats.misses).toBe(1);
    expect(warnings.join('\n')).toMatch(/library .*\.so is gone/);
  });
});

describe('InferenceSession and the compiled-model cache', () => {
  const model = writeModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [3, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [3, 8] }],
    nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }],
  });
  const feeds = { x: randomTensor([3, 8], 4) };

  async function entriesAfter(opts: { cache?: boolean }, env: string | undefined): Promise<number> {
    const before = entries().length;
    if (env === undefined) delete process.env.KILN_NO_CACHE;
    else process.env.KILN_NO_CACHE = env;
    try {
      const s = await InferenceSession.create(model, { target: 'wasm', threads: 1, ...opts });
      await s.run(feeds);
      await s.release();
    } finally {
      delete process.env.KILN_NO_CACHE;
    }
    return entries().length - before;
  }

  it('stores nothing with cache: false or KILN_NO_CACHE=1, and one entry by default', async () => {
    expect(await entriesAfter({ cache: false }, undefined)).toBe(0);
    expect(await entriesAfter({}, '1')).toBe(0);
    expect(await entriesAfter({}, undefined)).toBe(1);
    expect(await entriesAfter({}, undefined)).toBe(0);
  });
});

describe('the compiled-model cache and external data', () => {
  it('does not reuse a compile of weights read from an external file that changed since', async () => {
    const { binaryModel, T } = await import('../frontend/onnx/encode.js');
    const { Tensor } = await import('../../src/api/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'kiln-external-'));
    try {
      const file = join(dir, 'model.onnx');
      writeFileSync(file, binaryModel({ name: 'w', dims: [3], dataType: T.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }));
      const addTo = async (w: number[]): Promise<number[]> => {
        writeFileSync(join(dir, 'w.bin'), new Uint8Array(new Float32Array(w).buffer));
        const s = await InferenceSession.create(file, { target: 'wasm', threads: 1 });
        try {
          return Array.from((await s.run({ x: new Tensor('float32', new Float32Array([1, 2, 3]), [3]) })).y.data as Float32Array);
        } finally {
          await s.release();
        }
      };
      expect(await addTo([10, 20, 30])).toEqual([11, 22, 33]);
      expect(await addTo([-1, -2, -3])).toEqual([0, 0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
