/**
 * @file Saving a session's compiled model (`InferenceSession.serialize` and `save`): the graph is
 * compiled for one list of input shapes — those given, else the declared ones, which must then
 * be static — and the plan and wasm module become a saved model (runtime/saved/), which
 * `SavedSession.load` runs without the compiler, in Node or a browser.
 *
 * Models whose shapes follow the values of small inputs (runtime/freeze.ts) cannot be
 * saved: the saved plan would hold for the values used at save time only. A saved model handed to
 * `InferenceSession.create` is named as such rather than reported as malformed ONNX.
 */

import path from 'node:path';
import { OnnxError, readOnnx } from '../frontend/onnx/index.js';
import type { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/tensor.js';
import { zeros } from '../graph/tensor.js';
import { quote } from '../graph/text.js';
import { printType, staticShape } from '../graph/types.js';
import type { Executor } from '../runtime/executor.js';
import { SessionError } from '../runtime/errors.js';
import { hasMagic } from '../runtime/saved/container.js';
import { SavedModelError } from '../runtime/saved/errors.js';
import { saveModel } from '../runtime/saved/save.js';

/** Input shapes by name, for the inputs whose declared shape has symbolic dims. */
export type InputShapes = Readonly<Record<string, readonly number[]>>;

export interface SaveTarget {
  readonly target: string;
  /** the thread count the kernels were compiled for */
  readonly threads: number;
}

function feedsFor(executor: Executor, shapes: InputShapes): HostTensor[] {
  const names = new Set(executor.inputs.map((v) => v.name));
  for (const name of Object.keys(shapes)) if (!names.has(name)) throw new SessionError(`shape of ${quote(name)}`, 'the model has no input of that name');
  return executor.inputs.map((v) => {
    const where = `input ${quote(v.name)}`;
    if (v.type === null) throw new SessionError(where, 'has no declared type; the model cannot be saved');
    const shape = Object.hasOwn(shapes, v.name) ? shapes[v.name] : staticShape(v.type.shape);
    if (shape === null) throw new SessionError(where, `has the shape ${printType(v.type).slice(v.type.dtype.length)}: give its shape to save the model`);
    return zeros(v.type.dtype, shape);
  });
}

/** The bytes of a saved model: `executor`'s graph compiled for `shapes`. */
export async function serializeExecutor(executor: Executor, target: SaveTarget, shapes: InputShapes): Promise<Uint8Array> {
  if (target.target !== 'wasm') throw new SavedModelError('save', `only wasm models can be saved (this session's target is ${target.target})`);
  const feeds = feedsFor(executor, shapes);
  const c = await executor.prepare(feeds);
  if (c.frozenKey !== '') throw new SavedModelError('save', 'the model takes shape data as inputs (its kernels follow their values), which a saved model cannot');
  const inputs = executor.inputs.map((v, k) => ({ name: v.name, dtype: feeds[k].dtype, shape: feeds[k].shape }));
  return saveModel({ target: target.target, source: c.source, plan: c.plan, inputs, outputNames: executor.outputs.map((v) => v.name), threads: target.threads });
}

/**
 * `model` (an ONNX file's path or bytes) as a graph; a kiln saved model gets an error that points
 * to SavedSession.load. `bytes`: the file at path `model`, when the caller has read it already;
 * `onExternal` is told each external data file read.
 */
export async function readModel(model: string | Uint8Array, bytes?: Uint8Array, onExternal?: (file: string) => void): Promise<Graph> {
  try {
    // external tensor data lies beside the file
    return bytes && typeof model === 'string' ? readOnnx(bytes, { baseDir: path.dirname(path.resolve(model)), onExternal }) : readOnnx(model, { onExternal });
  } catch (e) {
    if (!(e instanceof OnnxError)) throw e;
    const head = bytes ?? (typeof model === 'string' ? await (await import('../runtime/saved/files.js')).readHead(model, 8) : model);
    if (hasMagic(head)) throw new SavedModelError(typeof model === 'string' ? model : 'model', 'is a kiln saved model, not ONNX: load it with SavedSession.load');
    throw e;
  }
}
