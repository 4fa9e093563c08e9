/**
 * @file The compiled-model cache: what the executor needs to run a model for one list of input
 * shapes without compiling it — the plan with its arena layout and folded weights, the I/O names
 * and types, and the wasm module or, for c, the names of the kernel libraries it built — stored
 * as a saved-model container (../saved/) under `<kiln cache>/models/<key>.kiln`. The c target's
 * libraries stay where the c backend caches them, `<kiln cache>/<sha256>.so`, the parent folder.
 *
 * A read checks the container (magic, version, checksum), that the entry holds the key it is
 * filed under, the shapes, the target, and that its libraries exist; anything amiss is a miss
 * (the caller compiles, and may be told why). A write goes to a temporary file renamed into
 * place (../saved/files.ts), so a reader never sees half an entry and two sessions writing one
 * key leave one whole entry. A hit touches its entry; a write then removes the least recently
 * used entries past MAX_BYTES (the libraries are not counted or removed, nor are the small
 * records of each model's inputs and outputs, io.ts, that let a session skip parsing the model).
 */

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { cLibraries, openLibraries } from '../../codegen/c/backend.js';
import type { Executable } from '../../codegen/target.js';
import { shapeSignature } from '../feeds.js';
import { writeFileAtomic } from '../saved/files.js';
import { LoadedModel } from '../saved/load.js';
import type { CachedModel } from '../saved/model.js';
import { decodeCachedModel, encodeSavedModel, KILN_VERSION } from '../saved/model.js';
import type { SaveParts } from '../saved/save.js';
import { savedModelOf } from '../saved/save.js';
import { bindPlan } from '../steps.js';
import type { Bound } from '../steps.js';
import type { ModelInterface } from './io.js';
import { loadInterface, storeInterface } from './io.js';
import { shapeKey } from './key.js';

/** Entries past this many bytes in all are removed, least recently used first. */
export const MAX_BYTES = 2 * 1024 ** 3;
const SUFFIX = '.kiln';

/** A compiled model as the executor made it, to store: a saved model's parts (the cache knows target and threads) and its loaded kernels. */
export interface CompiledParts extends Omit<SaveParts, 'target' | 'threads'> {
  readonly exe: Executable;
}

/** A compiled model read back: its plan bound to loaded kernels, and how to free them. */
export interface Loaded {
  readonly bound: Bound;
  /** the generated code, where the entry holds it (the wasm module; c keeps only its libraries) */
  readonly source: Uint8Array | null;
  dispose(): void;
}

export class ModelCache {
  /** what this cache has done: entries loaded, shape lists it had no usable entry for, entries written */
  readonly stats = { hits: 0, misses: 0, stores: 0 };

  constructor(
    /** kiln's cache folder; entries go in its `models/` */
    readonly dir: string,
    /** the session's key (key.ts `modelKey`) */
    private readonly key: string,
    private readonly target: string,
    /** the thread count kernels are compiled for */
    private readonly threads: number,
    /** told why an entry could not be used or written */
    private readonly warn: (message: string) => void,
  ) {}

  /** The model's inputs and outputs as an earlier session recorded them (io.ts), or null. */
  loadInterface(): Promise<ModelInterface | null> {
    return loadInterface(this.dir, this.key);
  }

  /** Records the model's inputs and outputs for later sessions; a failure is not an error. */
  storeInterface(io: ModelInterface): Promise<void> {
    return storeInterface(this.dir, this.key, io);
  }

  private file(key: string): string {
    return join(this.dir, 'models', `${key}${SUFFIX}`);
  }

  /** The model compiled for `signature` (feeds.ts `shapeSignature`), or null. */
  async load(signature: string): Promise<Loaded | null> {
    const key = shapeKey(this.key, signature);
    const path = this.file(key);
    if (!existsSync(path)) {
      this.stats.misses++;
      return null;
    }
    try {
      const file = await readFile(path);
      // a view of the file's memory, and so are the weights decoded from it: copying megabytes costs more than the rest of a load
      const m = decodeCachedModel(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
      if (m.key !== key || m.kilnVersion !== KILN_VERSION) throw new Error('it was stored under another key');
      if (shapeSignature(m.inputs) !== signature) throw new Error('its input shapes differ');
      if (m.target.name !== this.target) throw new Error(`it is for target ${m.target.name}`);
      const loaded = await this.open(m);
      await utimes(path, new Date(), new Date()).catch(() => undefined);
      this.stats.hits++;
      return loaded;
    } catch (e) {
      this.warn(`compiled-model cache: entry ${basename(path)} not used (${e instanceof Error ? e.message : String(e)}); compiling`);
      this.stats.misses++;
      return null;
    }
  }

  private async open(m: CachedModel): Promise<Loaded> {
    const t = m.target;
    if (t.name === 'wasm') {
      const model = await LoadedModel.fromModel({ ...m, target: t }, { threads: this.threads });
      return { bound: model.bound, source: m.module, dispose: () => model.release() };
    }
    const files = t.files.map((f) => join(this.dir, f));
    const missing = files.find((f) => !existsSync(f));
    if (missing !== undefined) throw new Error(`its library ${basename(missing)} is gone`);
    const exe = openLibraries(files, t.same, this.threads);
    try {
      return { bound: bindPlan(m.plan, { run: (args, entry) => exe.run(entry, args) }), source: null, dispose: () => exe.dispose() };
    } catch (e) {
      exe.dispose();
      throw e;
    }
  }

  /** Stores the model compiled for `signature`; a failure is reported, never thrown. */
  async store(signature: string, parts: CompiledParts): Promise<void> {
    const key = shapeKey(this.key, signature);
    try {
      const bytes = this.encode(key, parts);
      if (bytes === null) return;
      await mkdir(join(this.dir, 'models'), { recursive: true });
      await writeFileAtomic(this.file(key), bytes);
      this.stats.stores++;
      await this.prune();
    } catch (e) {
      this.warn(`compiled-model cache: cannot store an entry (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private encode(key: string, parts: CompiledParts): Uint8Array | null {
    const saved = { target: this.target, source: parts.source, plan: parts.plan, inputs: parts.inputs, outputNames: parts.outputNames, threads: this.threads };
    if (this.target === 'wasm') return encodeSavedModel({ ...savedModelOf(saved), key });
    const libs = cLibraries(parts.exe);
    // libraries built elsewhere (a backend with its own cache folder) may not outlive the entry
    if (libs === null || libs.files.some((f) => dirname(f) !== this.dir)) return null;
    const outputs = parts.outputNames.map((name, k) => ({ name, ...parts.plan.outputs[k].type }));
    const target = { name: 'c' as const, threads: this.threads, files: libs.files.map((f) => basename(f)), same: libs.same };
    return encodeSavedModel({ key, kilnVersion: KILN_VERSION, target, inputs: parts.inputs, outputs, plan: parts.plan, module: new Uint8Array() });
  }

  /** Removes the least recently used entries until the rest fit in MAX_BYTES. */
  private async prune(): Promise<void> {
    const dir = join(this.dir, 'models');
    const names = (await readdir(dir)).filter((n) => n.endsWith(SUFFIX));
    const entries = await Promise.all(names.map(async (n) => ({ path: join(dir, n), s: await stat(join(dir, n)).catch(() => null) })));
    let total = entries.reduce((n, e) => n + (e.s?.size ?? 0), 0);
    for (const e of entries.sort((a, b) => (a.s?.mtimeMs ?? 0) - (b.s?.mtimeMs ?? 0))) {
      if (total <= MAX_BYTES) break;
      await rm(e.path, { force: true });
      total -= e.s?.size ?? 0;
    }
  }
}
