/**
 * @file Making a saved model from a plan the executor compiled for one list of input shapes:
 * the module's own metadata says what it needs of the engine (threads, relaxed SIMD), the plan
 * and the names come from the executor. Writing the bytes to a file is files.ts's (Node only).
 */

import { META_SECTION, parseMeta } from '../../codegen/wasm/meta.js';
import { customSections } from '../../codegen/wasm/sections.js';
import type { Plan } from '../plan.js';
import { SavedModelError } from './errors.js';
import type { SavedModel, TensorInfo } from './model.js';
import { encodeSavedModel, KILN_VERSION } from './model.js';

export interface SaveParts {
  readonly target: string;
  /** the compiled kernels: the wasm module's bytes */
  readonly source: string | Uint8Array;
  readonly plan: Plan;
  readonly inputs: readonly TensorInfo[];
  readonly outputNames: readonly string[];
  /** the thread count it was compiled for */
  readonly threads: number;
}

/** The bytes of a saved model for a compiled plan; only wasm models can be saved. */
export function saveModel(parts: SaveParts): Uint8Array {
  return encodeSavedModel(savedModelOf(parts));
}

/** What `saveModel` encodes (the compiled-model cache adds its key to it). */
export function savedModelOf(parts: SaveParts): SavedModel {
  if (parts.target !== 'wasm' || !(parts.source instanceof Uint8Array)) {
    throw new SavedModelError('save', `only wasm models can be saved (this session's target is ${parts.target})`);
  }
  const meta = parseMeta(customSections(parts.source, META_SECTION));
  const model: SavedModel = {
    kilnVersion: KILN_VERSION,
    target: { name: 'wasm', threaded: meta.threaded, relaxedSimd: meta.relaxedSimd, threads: parts.threads },
    inputs: parts.inputs,
    outputs: parts.outputNames.map((name, k) => ({ name, ...parts.plan.outputs[k].type })),
    plan: parts.plan,
    module: parts.source,
  };
  return model;
}
