/**
 * @file Loading a saved model (model.ts) and running it, without the compiler: this file and
 * what it imports are the whole load path, so it must run in a browser as it does in Node (no
 * Node-only imports; the browser entry, src/api/browser.ts, bundles it).
 *
 * Before anything is compiled, the module's own metadata is read from its bytes and every step of
 * the plan is checked against it — the kernel exists, takes as many arguments, of the same array
 * types, at least as long as it reads — so that a tampered file fails here with a typed error
 * rather than at some later run. The engine's abilities are checked against what the model
 * needs (relaxed SIMD, a shared memory for threads) and reported by name.
 */

import type { EntryMeta } from '../../codegen/wasm/meta.js';
import { META_SECTION, parseMeta } from '../../codegen/wasm/meta.js';
import { enableRelaxedSimd } from '../../codegen/wasm/relaxed.js';
import { loadWasm } from '../../codegen/wasm/runtime.js';
import { customSections } from '../../codegen/wasm/sections.js';
import type { Executable } from '../../codegen/target.js';
import type { HostTensor } from '../../graph/tensor.js';
import { shapeSize } from '../../graph/tensor.js';
import { SessionError } from '../errors.js';
import type { Plan, Slot } from '../plan.js';
import type { Bound, Fetch, RunResult } from '../steps.js';
import { bindPlan, runPlan } from '../steps.js';
import { SavedModelError } from './errors.js';
import type { SavedModel, TargetNeeds, TensorInfo } from './model.js';
import { ARRAY_NAMES, arrayName, decodeSavedModel } from './model.js';

export interface LoadOptions {
  /** threads for parallel loops (default: all cores); any count runs any saved model */
  readonly threads?: number;
}

/** The array type and length a slot binds at run time. */
function slotArray(m: SavedModel, s: Slot): { kind: string; length: number } {
  switch (s.kind) {
    case 'feed':
      return { kind: ARRAY_NAMES[m.inputs[s.index].dtype], length: shapeSize(m.inputs[s.index].shape) };
    case 'output':
      return { kind: ARRAY_NAMES[m.outputs[s.index].dtype], length: shapeSize(m.outputs[s.index].shape) };
    case 'constant':
      return { kind: arrayName(s.data), length: s.data.length };
    case 'arena':
      return { kind: ARRAY_NAMES[s.dtype], length: s.elems };
  }
}

/** Checks the plan's steps against the kernels the module declares. */
function checkSteps(m: SavedModel, entries: readonly EntryMeta[]): void {
  const byName = new Map(entries.map((e) => [e.name, e]));
  m.plan.steps.forEach((step, k) => {
    const where = `step ${k} (${step.label})`;
    const e = byName.get(step.entry);
    if (e === undefined) throw new SavedModelError('saved model', `corrupt: ${where} calls kernel ${JSON.stringify(step.entry)}, which the module does not have`);
    if (e.params.length !== step.args.length) throw new SavedModelError('saved model', `corrupt: ${where} passes ${step.args.length} arguments to a kernel of ${e.params.length}`);
    e.params.forEach((p, i) => {
      const got = slotArray(m, step.args[i]);
      if (got.kind !== ARRAY_NAMES[p.dtype] || got.length < p.length) {
        throw new SavedModelError('saved model', `corrupt: ${where} argument ${i} is ${got.length} elements of ${got.kind}, the kernel needs ${p.length} of ${p.dtype}`);
      }
    });
  });
}

function checkEngine(target: TargetNeeds): void {
  if (target.threaded && typeof SharedArrayBuffer === 'undefined') {
    throw new SavedModelError('saved model', 'was compiled with threads and needs a shared memory, which this engine does not offer (a browser page must be cross-origin isolated: COOP/COEP headers)');
  }
}

/** A saved model loaded and ready to run. */
export class LoadedModel {
  private released = false;

  private constructor(
    private readonly model: SavedModel,
    private readonly exe: Executable,
    /** the plan bound to the module's kernels, for runPlan */
    readonly bound: Bound,
  ) {}

  /** Checks and loads a saved model's bytes. */
  static load(bytes: Uint8Array, opts: LoadOptions = {}): Promise<LoadedModel> {
    return LoadedModel.fromModel(decodeSavedModel(bytes), opts);
  }

  /** Checks and loads a saved model already decoded (the compiled-model cache decodes its own entries). */
  static async fromModel(model: SavedModel, opts: LoadOptions = {}): Promise<LoadedModel> {
    let entries: readonly EntryMeta[];
    try {
      const meta = parseMeta(customSections(model.module, META_SECTION));
      if (meta.threaded !== model.target.threaded || meta.relaxedSimd !== model.target.relaxedSimd) throw new Error('the module does not match the target the header describes');
      entries = meta.entries;
    } catch (e) {
      throw new SavedModelError('saved model', `corrupt: ${e instanceof Error ? e.message : String(e)}`);
    }
    checkSteps(model, entries);
    checkEngine(model.target);
    if (model.target.relaxedSimd) await enableRelaxedSimd();
    const exe = await loadWasm({ target: 'wasm', code: model.module, entries: entries.map((e) => e.name) }, { threads: opts.threads, relaxedSimd: model.target.relaxedSimd });
    try {
      return new LoadedModel(model, exe, bindPlan(model.plan, { run: (args, entry) => exe.run(entry, args), arena: (bytes) => exe.arena?.(bytes) }));
    } catch (e) {
      exe.dispose();
      throw e;
    }
  }

  get inputs(): readonly TensorInfo[] {
    return this.model.inputs;
  }
  get outputs(): readonly TensorInfo[] {
    return this.model.outputs;
  }
  /** the kiln version that saved it */
  get kilnVersion(): string {
    return this.model.kilnVersion;
  }
  get target(): TargetNeeds {
    return this.model.target;
  }
  get plan(): Plan {
    return this.model.plan;
  }

  /** Runs the model on `feeds` (one per input, in input order), which must have the saved dtypes and shapes. */
  run(feeds: readonly HostTensor[], opts: { readonly profile?: boolean; readonly fetches?: readonly (Fetch | null)[] } = {}): RunResult {
    if (this.released) throw new SessionError('run', 'the session was released');
    if (feeds.length !== this.inputs.length) throw new SessionError('run', `expects ${this.inputs.length} feeds, got ${feeds.length}`);
    this.inputs.forEach((t, k) => {
      const f = feeds[k];
      const same = f.dtype === t.dtype && f.shape.length === t.shape.length && f.shape.every((d, i) => d === t.shape[i]);
      if (!same) throw new SessionError(`feed ${JSON.stringify(t.name)}`, `expected ${t.dtype}[${t.shape.join(', ')}] (the saved model is compiled for it), got ${f.dtype}[${f.shape.join(', ')}]`);
    });
    return runPlan(this.bound, feeds, opts.profile ?? false, opts.fetches);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.exe.dispose();
  }
}
