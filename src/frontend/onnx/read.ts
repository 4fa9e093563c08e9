/**
 * @file The ONNX reader's entry point: ModelProto bytes (or a path) → Graph. Ops keep their ONNX
 * names and domains; the opset version of each domain is recorded on the graph, because an op's
 * meaning depends on it. Legalization to kiln's op set is a later, separate step.
 */

import fs from 'node:fs';
import path from 'node:path';
import { GraphError } from '../../graph/errors.js';
import type { Graph } from '../../graph/graph.js';
import { quote } from '../../graph/text.js';
import { verifyGraph } from '../../graph/verify.js';
import { decodeModel, int64ToNumber } from './decode.js';
import { OnnxError } from './errors.js';
import { readMainGraph } from './graph.js';
import type { ModelMsg } from './schema.js';

export interface ReadOptions {
  /**
   * The directory external tensor data is relative to. Defaults to the model file's directory;
   * a model given as bytes with external data needs it.
   */
  readonly baseDir?: string;
  /** told the path of each external data file read */
  readonly onExternal?: (file: string) => void;
}

/** Reads an ONNX model. Throws `OnnxError` for any file kiln cannot read. */
export function readOnnx(source: Uint8Array | string, opts: ReadOptions = {}): Graph {
  const bytes = typeof source === 'string' ? readModelFile(source) : source;
  const fileDir = typeof source === 'string' ? path.dirname(path.resolve(source)) : null;
  const model = decodeModel(bytes);
  if (model.graph === null) throw new OnnxError('model', 'has no graph (not an ONNX model, or truncated)');
  const ctx = { baseDir: opts.baseDir ?? fileDir, onExternal: opts.onExternal, opsets: readOpsets(model), unknownDims: 0 };
  try {
    const g = readMainGraph(model.graph, ctx);
    verifyGraph(g);
    return g;
  } catch (e) {
    // the reader checks names and data itself; this is a safety net for what it missed
    if (e instanceof GraphError) throw new OnnxError(e.where, e.detail);
    throw e;
  }
}

function readModelFile(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'unknown error';
    throw new OnnxError('model', `cannot read ${quote(file)} (${code})`, 'io');
  }
}

function readOpsets(model: ModelMsg): Map<string, number> {
  const opsets = new Map<string, number>();
  for (const o of model.opsetImport) {
    const domain = o.domain === 'ai.onnx' ? '' : o.domain;
    const version = int64ToNumber(o.version);
    if (opsets.has(domain)) throw new OnnxError('model', `opset of domain ${quote(domain)} is imported twice`);
    if (!Number.isSafeInteger(version) || version < 1) throw new OnnxError('model', `opset of domain ${quote(domain)} has bad version ${version}`);
    opsets.set(domain, version);
  }
  if (opsets.size === 0) throw new OnnxError('model', 'imports no opset (not an ONNX model, or truncated)');
  return opsets;
}
