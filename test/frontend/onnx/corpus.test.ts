import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OnnxError, readOnnx } from '../../../src/frontend/onnx/index.js';
import { printGraph, verifyGraph } from '../../../src/graph/index.js';
import { DATA } from './encode.js';

function models(): string[] {
  const files: string[] = [];
  for (const suite of ['node', 'pytorch-converted', 'pytorch-operator', 'simple']) {
    for (const c of fs.readdirSync(path.join(DATA, suite)).sort()) {
      const f = path.join(DATA, suite, c, 'model.onnx');
      if (fs.existsSync(f)) files.push(f);
    }
  }
  for (const f of fs.readdirSync(path.join(DATA, 'light')).sort()) if (f.endsWith('.onnx')) files.push(path.join(DATA, 'light', f));
  return files;
}

/** The reason a model fails, with quoted names blanked so that failures group. */
function reason(e: unknown): string {
  if (!(e instanceof OnnxError)) return `not an OnnxError: ${String(e)}`;
  return `${e.kind}: ${e.detail.replace(/"[^"]*"/g, '"…"')}`;
}

describe('every model of the conformance suites', () => {
  it('parses, or fails as unsupported (element types kiln does not compute, sequence and optional types)', () => {
    const failures = new Map<string, string[]>();
    let parsed = 0;
    const files = models();
    for (const f of files) {
      try {
        readOnnx(f);
        parsed++;
      } catch (e) {
        const r = reason(e);
        failures.set(r, [...(failures.get(r) ?? []), path.relative(DATA, f)]);
      }
    }
    const report = [...failures].sort((a, b) => b[1].length - a[1].length).map(([r, fs]) => `${fs.length} × ${r} (e.g. ${fs[0]})`);
    console.info(`parsed ${parsed} of ${files.length} models; failures:\n${report.join('\n')}`);

    const allowed = /^unsupported: (element type \S+ is not supported|(sequence|optional) types are not supported)/;
    expect([...failures.keys()].filter((r) => !allowed.test(r))).toEqual([]);
    expect(files.length).toBe(1951);
    expect(parsed).toBe(1595);
    const suites = (pattern: RegExp): string[] => [...failures.values()].flat().filter((f) => pattern.test(f));
    expect(suites(/^(light|pytorch-converted|pytorch-operator)\//)).toEqual([]);
  });
});

describe('corrupted models', () => {
  const seeds = ['test_if', 'test_loop11', 'test_conv_with_strides_padding', 'test_constant'].map((c) => fs.readFileSync(`${DATA}node/${c}/model.onnx`));

  it('either read into a valid graph or fail with an OnnxError, never anything else', () => {
    const edit = fc.record({
      seed: fc.nat(seeds.length - 1),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat()),
    });
    fc.assert(
      fc.property(edit, ({ seed, flips, cut }) => {
        const bytes = Uint8Array.from(seeds[seed]);
        for (const [at, b] of flips) bytes[at % bytes.length] = b;
        const input = cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
        try {
          const g = readOnnx(input);
          verifyGraph(g);
          printGraph(g);
        } catch (e) {
          if (!(e instanceof OnnxError)) throw e;
        }
      }),
      { seed: 20240501, numRuns: 1500 },
    );
  });
});
