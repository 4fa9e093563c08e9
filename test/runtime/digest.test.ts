/**
 * @file The model-file digest index (src/runtime/cache/digest.ts): an unchanged file gets its
 * recorded hash; a file rewritten in place, replaced, touched, or a damaged record gets its bytes
 * hashed again; and a session never loads what another version of its model file compiled. A
 * session of a model the cache has met reads its graph only to compile (src/api/open.ts).
 */

import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// the session's cache lives under XDG_CACHE_HOME, read when kiln's modules load
const CACHE_HOME = mkdtempSync(join(tmpdir(), 'kiln-digest-'));
process.env.XDG_CACHE_HOME = CACHE_HOME;

const { RACY_MS, contentHash, readHashed } = await import('../../src/runtime/cache/digest.js');
const { InferenceSession, Tensor } = await import('../../src/api/index.js');
const { defaultCacheDir } = await import('../../src/codegen/index.js');
const { tensorOf } = await import('../../src/graph/tensor.js');
const { writeModel } = await import('../api/onnx-writer.js');
const { numbers } = await import('../api/helpers.js');

afterAll(() => rmSync(CACHE_HOME, { recursive: true, force: true }));

const INDEX = join(CACHE_HOME, 'index');
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A fresh file holding `text`. */
function fresh(name: string, text: string): string {
  const path = join(CACHE_HOME, name);
  writeFileSync(path, text);
  return path;
}

/** The one record of the index, made to claim `hash`: what readHashed returns shows whether it trusted the record. */
function forgeRecord(hash: string): void {
  const dir = join(INDEX, 'digests');
  const [name] = readdirSync(dir);
  const r = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, string>;
  writeFileSync(join(dir, name), JSON.stringify({ ...r, hash }));
}

const FORGED = 'f'.repeat(64);

describe('readHashed', () => {
  it('hashes a new file, then trusts its record while the file is unchanged', async () => {
    rmSync(INDEX, { recursive: true, force: true });
    const path = fresh('a.bin', 'first version');
    const first = await readHashed(path, INDEX, 0);
    expect(first.hash).toBe(contentHash(bytes('first version')));
    expect(Buffer.from(first.bytes).toString()).toBe('first version');
    forgeRecord(FORGED);
    expect((await readHashed(path, INDEX, 0)).hash).toBe(FORGED);
  });

  it('hashes again a file rewritten in place with bytes of the same length', async () => {
    rmSync(INDEX, { recursive: true, force: true });
    const path = fresh('b.bin', 'version one');
    await readHashed(path, INDEX, 0);
    forgeRecord(FORGED);
    await sleep(30);
    writeFileSync(path, 'version two');
    expect((await readHashed(path, INDEX, 0)).hash).toBe(contentHash(bytes('version two')));
  });

  it('hashes again a file replaced by another (a new inode), and one only touched', async () => {
    rmSync(INDEX, { recursive: true, force: true });
    const path = fresh('c.bin', 'old');
    await readHashed(path, INDEX, 0);
    forgeRecord(FORGED);
    renameSync(fresh('c.new', 'new'), path);
    expect((await readHashed(path, INDEX, 0)).hash).toBe(contentHash(bytes('new')));
    forgeRecord(FORGED);
    utimesSync(path, new Date(2020, 0, 1), new Date(2020, 0, 1));
    expect((await readHashed(path, INDEX, 0)).hash).toBe(contentHash(bytes('new')));
  });

  it('treats a damaged or foreign record as a miss', async () => {
    const path = fresh('d.bin', 'data');
    for (const damage of ['', 'not json', '{"path": 1}', JSON.stringify({ path: '/elsewhere', identity: 'x', hash: FORGED })]) {
      rmSync(INDEX, { recursive: true, force: true });
      await readHashed(path, INDEX, 0);
      const dir = join(INDEX, 'digests');
      writeFileSync(join(dir, readdirSync(dir)[0]), damage);
      expect((await readHashed(path, INDEX, 0)).hash).toBe(contentHash(bytes('data')));
    }
  });

  it('does not record a file changed within the racy window', async () => {
    rmSync(INDEX, { recursive: true, force: true });
    await readHashed(fresh('e.bin', 'just written'), INDEX, 60_000);
    expect(() => readdirSync(join(INDEX, 'digests'))).toThrow();
  });

  it('throws when the file cannot be read', async () => {
    await expect(readHashed(join(CACHE_HOME, 'missing.onnx'), INDEX)).rejects.toThrow(/ENOENT/);
  });
});

describe('a session over a model file that changes', () => {
  /** y = x + c over x of `n` elements, as an ONNX model */
  const addModel = (c: number, n: number | string = 4): Uint8Array =>
    writeModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [n] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [n] }],
      initializers: [{ name: 'c', tensor: tensorOf('float32', [1], [c]) }],
      nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }],
    });

  it('loads the compiled model of the bytes the file holds now', { timeout: 30_000 }, async () => {
    const path = join(CACHE_HOME, 'add.onnx');
    const x = new Tensor('float32', [1, 2, 3, 4], [4]);
    const run = async (): Promise<number[]> => {
      const s = await InferenceSession.create(path, { target: 'wasm', threads: 1 });
      try {
        return numbers((await s.run({ x })).y);
      } finally {
        await s.release();
      }
    };
    // same length, rewritten in place: only the weights differ
    writeFileSync(path, addModel(1));
    expect(await run()).toEqual([2, 3, 4, 5]);
    // once the file is older than the racy window its hash is recorded, and the record is what the next change must beat
    await sleep(RACY_MS + 100);
    expect(await run()).toEqual([2, 3, 4, 5]);
    expect(readdirSync(join(defaultCacheDir(), 'digests'))).toHaveLength(1);
    writeFileSync(path, addModel(10));
    expect(await run()).toEqual([11, 12, 13, 14]);
    // the same bytes given as bytes: their own hash, the same entry
    const s = await InferenceSession.create(addModel(10), { target: 'wasm', threads: 1 });
    expect(numbers((await s.run({ x })).y)).toEqual([11, 12, 13, 14]);
    await s.release();
    expect(readdirSync(join(defaultCacheDir(), 'models')).filter((n) => n.endsWith('.kiln'))).toHaveLength(2);
  });

  it('opens a model the cache has met without reading it, and reads it when a new shape needs compiling', { timeout: 30_000 }, async () => {
    const path = join(CACHE_HOME, 'deferred.onnx');
    writeFileSync(path, addModel(1, 'n'));
    await sleep(RACY_MS + 100);
    const first = await InferenceSession.create(path, { target: 'wasm', threads: 1 });
    expect(numbers((await first.run({ x: new Tensor('float32', [1, 2, 3, 4], [4]) })).y)).toEqual([2, 3, 4, 5]);
    await first.release();
    // known unchanged: its inputs come from the cache's record, its graph is not read
    const second = await InferenceSession.create(path, { target: 'wasm', threads: 1 });
    expect(second.inputNames).toEqual(['x']);
    expect(second.executor.inputs[0].type).toEqual({ dtype: 'float32', shape: ['n'] });
    expect(numbers((await second.run({ x: new Tensor('float32', [1, 2, 3, 4], [4]) })).y)).toEqual([2, 3, 4, 5]);
    // rewritten after that session was created: a shape it must compile finds bytes of another hash
    writeFileSync(path, addModel(7, 'n'));
    await expect(second.run({ x: new Tensor('float32', [1, 2], [2]) })).rejects.toThrow(/deferred\.onnx.* changed since the session was created/);
    await second.release();
  });

  it('parses the model when the record of its inputs and outputs is damaged', async () => {
    const model = addModel(3, 'm');
    const x = new Tensor('float32', [1, 2], [2]);
    const run = async (): Promise<number[]> => {
      const s = await InferenceSession.create(model, { target: 'wasm', threads: 1 });
      try {
        return numbers((await s.run({ x })).y);
      } finally {
        await s.release();
      }
    };
    expect(await run()).toEqual([4, 5]);
    const dir = join(defaultCacheDir(), 'models');
    const records = readdirSync(dir).filter((n) => n.endsWith('.io.json'));
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) writeFileSync(join(dir, r), '{"inputs": [{"id": "x"}], "outputs": []}');
    expect(await run()).toEqual([4, 5]);
  });
});
