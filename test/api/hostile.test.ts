/**
 * @file Models are untrusted input: a model whose node, value, initializer and output names are
 * made to break out of generated JS or C (quotes, newlines, comment closers, backticks, template
 * substitutions, keywords, `constructor`) must compile on every target, give onnxruntime's numbers,
 * keep its names at the API, and leave no trace of them in the generated source.
 */

import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../src/api/index.js';
import { toHostTensor } from '../../src/api/tensor.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { writeModel } from './onnx-writer.js';
import { TARGETS, maxAbsDiff, randomFloats, randomTensor, runOrt } from './helpers.js';

const NAMES = {
  input: 'x"; process.exit(1); //',
  weight: '*/ int main(void) { return 1; } /*',
  sum: 'line\nbreak\r\n#include <stdio.h>',
  scaled: '`${globalThis.process.exit(2)}`',
  product: 'return',
  output: 'constructor',
  second: 'int',
};
const NODE_NAMES = ["n'); DROP TABLE", '\\u0000\0nul', 'function', 'while(1){}'];
const MARKERS = ['process.exit', 'main(void)', '#include <stdio.h>', 'globalThis', 'DROP TABLE', 'while(1)'];

const f32 = (name: string, shape: readonly number[]) => ({ name, dtype: 'float32' as const, shape });
const model = writeModel({
  inputs: [f32(NAMES.input, [2, 8])],
  outputs: [f32(NAMES.output, [2, 8]), f32(NAMES.second, [2, 8])],
  initializers: [{ name: NAMES.weight, tensor: tensorOf('float32', [8], Array.from(randomFloats(8, 5))) }],
  nodes: [
    { op: 'Add', name: NODE_NAMES[0], inputs: [NAMES.input, NAMES.weight], outputs: [NAMES.sum] },
    { op: 'Mul', name: NODE_NAMES[1], inputs: [NAMES.sum, NAMES.input], outputs: [NAMES.product] },
    { op: 'Relu', name: NODE_NAMES[2], inputs: [NAMES.product], outputs: [NAMES.output] },
    { op: 'Tanh', name: NODE_NAMES[3], inputs: [NAMES.sum], outputs: [NAMES.second] },
  ],
});

describe.each(TARGETS)('hostile names on %s', (target) => {
  it('compile, match onnxruntime and stay out of generated source', async () => {
    const session = await InferenceSession.create(model, { target });
    try {
      expect(session.inputNames).toEqual([NAMES.input]);
      expect(session.outputNames).toEqual([NAMES.output, NAMES.second]);
      const feeds = { [NAMES.input]: randomTensor([2, 8], 9) };
      const [ours, ref] = await Promise.all([session.run(feeds), runOrt(model, feeds)]);
      expect(Object.keys(ours)).toEqual([NAMES.output, NAMES.second]);
      expect(Object.getPrototypeOf(ours)).toBe(Object.prototype);
      for (const name of session.outputNames) expect(maxAbsDiff(ours[name], ref[name])).toBeLessThan(1e-6);
      const { source } = await session.executor.prepare([toHostTensor(feeds[NAMES.input])]);
      const text = typeof source === 'string' ? source : new TextDecoder().decode(source);
      for (const m of MARKERS) expect(text).not.toContain(m);
    } finally {
      await session.release();
    }
  });
});
