/**
 * @file One ONNX backend test case, run by kiln: a folder with `model.onnx` and data sets
 * `test_data_set_N/input_K.pb`, `output_K.pb` (input K feeds the model's K-th input, output K is
 * its K-th output). Outputs must have the expected dtype and shape and every element must satisfy
 * |actual − expected| ≤ 1e-7 + 1e-3·|expected|, NaN matching NaN — the ONNX runner's tolerance.
 */

import fs from 'node:fs';
import path from 'node:path';
import type { TargetName } from '../codegen/index.js';
import { Executor } from '../runtime/executor.js';
import type { HostTensor } from '../graph/tensor.js';
import { tensorNumbers } from '../graph/tensor.js';
import { printType } from '../graph/types.js';
import { readOnnx, readTensorProto } from '../frontend/onnx/index.js';

export type CaseStatus = 'PASS' | 'FAIL' | 'ERROR';

export interface CaseOutcome {
  readonly status: CaseStatus;
  /** why it failed or errored; '' when it passed */
  readonly reason: string;
}

/** Whether `dir` is a case (holds a model.onnx). */
export function isCase(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.onnx'));
}

function readSet(dir: string, prefix: 'input' | 'output'): HostTensor[] {
  const index = (f: string): number => Number(f.slice(prefix.length + 1, -'.pb'.length));
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb') && Number.isInteger(index(f)));
  return files.sort((a, b) => index(a) - index(b)).map((f) => readTensorProto(fs.readFileSync(path.join(dir, f))));
}

/** Why `actual` differs from `expected`, or null when it agrees. */
export function compareTensors(actual: HostTensor, expected: HostTensor): string | null {
  const shown = (t: HostTensor): string => printType({ dtype: t.dtype, shape: t.shape });
  if (actual.dtype !== expected.dtype || actual.shape.join() !== expected.shape.join()) return `got ${shown(actual)}, expected ${shown(expected)}`;
  const [a, e] = [tensorNumbers(actual), tensorNumbers(expected)];
  for (let k = 0; k < e.length; k++) {
    const [x, y] = [a[k], e[k]];
    const ok = Number.isNaN(y) ? Number.isNaN(x) : x === y || Math.abs(x - y) <= 1e-7 + 1e-3 * Math.abs(y);
    if (!ok) return `element ${k}: got ${x}, expected ${y}`;
  }
  return null;
}

/** Runs every data set of the case in `dir` on `target`. */
export async function runCase(dir: string, target: TargetName): Promise<CaseOutcome> {
  let executor: Executor | null = null;
  try {
    executor = Executor.create(readOnnx(path.join(dir, 'model.onnx')), { target, threads: 1 });
    const sets = fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
    if (sets.length === 0) return { status: 'ERROR', reason: 'the case has no test_data_set_* folder' };
    for (const set of sets) {
      const why = await runSet(executor, path.join(dir, set));
      if (why !== null) return { status: 'FAIL', reason: sets.length > 1 ? `${set}: ${why}` : why };
    }
    return { status: 'PASS', reason: '' };
  } catch (e) {
    return { status: 'ERROR', reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  } finally {
    await executor?.release();
  }
}

async function runSet(executor: Executor, dir: string): Promise<string | null> {
  const inputs = readSet(dir, 'input');
  const expected = readSet(dir, 'output');
  if (inputs.length !== executor.inputs.length) throw new Error(`the data set has ${inputs.length} inputs, the model ${executor.inputs.length}`);
  const { outputs } = await executor.run(inputs);
  if (expected.length > outputs.length) throw new Error(`the data set has ${expected.length} outputs, the model ${outputs.length}`);
  for (let k = 0; k < expected.length; k++) {
    const why = compareTensors(outputs[k], expected[k]);
    if (why !== null) return `output ${k}: ${why}`;
  }
  return null;
}
