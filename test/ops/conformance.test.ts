/**
 * @file A representative subset of the ONNX conformance cases, run through the op library and
 * the js pipeline: single-node models with data under 64 KB, at most PER_OP cases per op, spread
 * evenly over each op's cases in name order (so each op's variants — attributes, dtypes, edge
 * cases — are sampled rather than its first few). A case fails the test when it fails and is not
 * in known-failures.ts, or when it is listed there but passes. Every case, multi-node function
 * expansions included, runs in the full sweep: `npx tsx test/ops/sweep.ts`.
 */

import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/ops/index.js';
import type { Case } from './conformance.js';
import { caseBytes, loadCase, NODE_ROOT, runCase } from './conformance.js';
import { KNOWN_FAILURES } from './known-failures.js';

const SIZE_LIMIT = 64 * 1024;
const PER_OP = 6;

const byOp = new Map<string, Case[]>();
const skipped = new Map<string, number>();
for (const name of fs.readdirSync(NODE_ROOT).sort()) {
  const c = loadCase(name);
  if (typeof c === 'string') {
    const kind = c.split(':')[0];
    skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
  } else if (c.graph.nodes.length === 1 && caseBytes(name) <= SIZE_LIMIT) {
    const op = c.graph.nodes[0].op;
    byOp.set(op, [...(byOp.get(op) ?? []), c]);
  }
}

/** At most PER_OP of each op's cases, evenly spaced. */
const cases: Case[] = [...byOp.values()].flatMap((list) => {
  const step = Math.max(1, list.length / PER_OP);
  return Array.from({ length: Math.min(PER_OP, list.length) }, (_, k) => list[Math.floor(k * step)]);
});

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
    console.log(`conformance: ${cases.length} single-op cases of ${byOp.size} ops run, ${passed} pass; cases skipped: ${skips}`);
  });
});
