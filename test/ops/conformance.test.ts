/**
 * @file The ONNX conformance cases that test one op each (single-node models, data under 64 KB),
 * run through the op library and the js pipeline. A case fails the test when it fails and is not
 * in known-failures.ts, or when it is listed there but passes. Multi-node cases (function
 * expansions) and the large ones run in the full sweep: `npx tsx test/ops/sweep.ts`.
 */

import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/ops/index.js';
import type { Case } from './conformance.js';
import { caseBytes, loadCase, NODE_ROOT, runCase } from './conformance.js';
import { KNOWN_FAILURES } from './known-failures.js';

const SIZE_LIMIT = 64 * 1024;

const cases: Case[] = [];
const skipped = new Map<string, number>();
for (const name of fs.readdirSync(NODE_ROOT).sort()) {
  const c = loadCase(name);
  if (typeof c === 'string') {
    const kind = c.split(':')[0];
    skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
  } else if (c.graph.nodes.length === 1 && caseBytes(name) <= SIZE_LIMIT) {
    cases.push(c);
  }
}

let passed = 0;

describe('ONNX conformance, single-op cases', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const why = await runCase(c);
    const known = KNOWN_FAILURES.get(name);
    if (why === null) passed++;
    if (known !== undefined) expect(why, `listed as a known failure (${known}) but passes`).not.toBeNull();
    else expect(why).toBeNull();
  });

  afterAll(() => {
    const skips = [...skipped].map(([k, n]) => `${n} ${k}`).join(', ');
    console.log(`conformance: ${cases.length} single-op cases run, ${passed} pass; ${skips}`);
  });
});
