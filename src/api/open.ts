/**
 * @file How a session gets its model: the model's bytes, their hash and the compiled-model cache
 * (src/runtime/cache/) they key, and the executor over the model's graph.
 *
 * A model the cache has met is not parsed: the cache recorded its inputs and outputs (io.ts), and
 * its graph is read only when a compile needs it — a shape list the cache has no entry for —
 * so a cached session of a big model reads its weights once, from the entry. A model file the
 * digest index knows unchanged (digest.ts) is not even read; when its graph is needed later,
 * the bytes read then must still have the hash the session was keyed by. A model whose weights
 * lie in external data files is not cached: the key covers the model file's bytes only.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { compilerIdentity } from '../codegen/c/compile.js';
import type { TargetName } from '../codegen/index.js';
import { defaultCacheDir } from '../codegen/index.js';
import { readOnnx } from '../frontend/onnx/index.js';
import type { Graph } from '../graph/graph.js';
import { quote } from '../graph/text.js';
import { contentHash, readHashed, recordedHash } from '../runtime/cache/digest.js';
import { modelKey } from '../runtime/cache/key.js';
import { ModelCache } from '../runtime/cache/store.js';
import { SessionError } from '../runtime/errors.js';
import type { ExecutorOptions } from '../runtime/executor.js';
import { Executor } from '../runtime/executor.js';
import type { TuningRecord } from '../tune/records.js';
import { readModel } from './save.js';

export interface CacheSettings {
  /** off: no cache (the option `cache: false`, KILN_NO_CACHE=1) */
  readonly enabled: boolean;
  readonly target: TargetName;
  /** the thread count kernels are compiled for */
  readonly threads: number;
  readonly relaxedSimd: boolean;
  readonly records: readonly TuningRecord[] | undefined;
  /** told why a cache entry could not be used */
  readonly warn: (message: string) => void;
}

/** The compiled-model cache of the model with SHA-256 `hash`, or undefined when it is off here. */
async function modelCache(hash: string, s: CacheSettings): Promise<ModelCache | undefined> {
  const compiler = s.target === 'c' ? await compilerIdentity('cc').catch(() => null) : '';
  if (compiler === null) return undefined;
  const key = modelKey({ modelHash: hash, target: s.target, threads: s.threads, inPlace: true, relaxedSimd: s.relaxedSimd, passes: null, records: s.records ?? null, compiler });
  return new ModelCache(defaultCacheDir(), key, s.target, s.threads, s.warn);
}

/** The graph of the model whose bytes `read` gives, which must still hash to `hash`. */
function graphOf(model: string | Uint8Array, hash: string, read: () => Uint8Array): Graph {
  const bytes = read();
  const where = typeof model === 'string' ? `model ${quote(model)}` : 'model';
  if (contentHash(bytes) !== hash) throw new SessionError(where, 'changed since the session was created: create a new session');
  // external tensor data lies beside the file
  return typeof model === 'string' ? readOnnx(bytes, { baseDir: path.dirname(path.resolve(model)) }) : readOnnx(bytes);
}

/** A deferred executor for a model the cache knows the inputs and outputs of; undefined when it does not. */
async function deferred(model: string | Uint8Array, hash: string, cache: ModelCache, opts: ExecutorOptions): Promise<Executor | undefined> {
  const io = await cache.loadInterface();
  if (io === null) return undefined;
  // resolved now: the process may change its working folder before the graph is needed
  const file = typeof model === 'string' ? path.resolve(model) : '';
  const read = typeof model === 'string' ? (): Uint8Array => readFileSync(file) : (): Uint8Array => model;
  return Executor.deferred({ ...io, read: () => graphOf(model, hash, read) }, { ...opts, cache });
}

/**
 * `model`'s bytes, read once for the cache key and the graph (undefined when the path cannot be
 * read: readModel reports that), and with `indexed` a file's hash from the digest index.
 */
async function modelBytes(model: string | Uint8Array, indexed: boolean): Promise<{ bytes: Uint8Array; hash?: string } | undefined> {
  if (typeof model !== 'string') return { bytes: model };
  return (indexed ? readHashed(model, defaultCacheDir()) : readFile(model).then((bytes) => ({ bytes }))).catch(() => undefined);
}

/** The executor of a session over `model` (a path or its bytes), with the compiled-model cache when it is on. */
export async function openModel(model: string | Uint8Array, s: CacheSettings, opts: ExecutorOptions): Promise<Executor> {
  // js compiles to source evaluated in this process: nothing a later one could load
  const cached = s.enabled && s.target !== 'js';
  if (cached && typeof model === 'string') {
    const hash = await recordedHash(model, defaultCacheDir());
    const cache = hash === null ? undefined : await modelCache(hash, s);
    const executor = cache && hash !== null ? await deferred(model, hash, cache, opts) : undefined;
    if (executor) return executor;
  }
  const read = await modelBytes(model, cached);
  const hash = cached && read ? (read.hash ?? contentHash(read.bytes)) : undefined;
  const cache = hash === undefined ? undefined : await modelCache(hash, s);
  if (cache && hash !== undefined) {
    const executor = await deferred(model, hash, cache, opts);
    if (executor) return executor;
  }
  let external = false;
  const graph = await readModel(model, read?.bytes, () => (external = true));
  // the key hashes the model's own bytes: a compile of weights from other files could outlive a change to them
  const kept = external ? undefined : cache;
  const executor = Executor.create(graph, { ...opts, cache: kept });
  if (kept && !executor.freezes) await kept.storeInterface(executor);
  return executor;
}
