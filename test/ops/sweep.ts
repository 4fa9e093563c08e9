/**
 * @file The full conformance sweep, outside the default test run (it takes minutes):
 *
 *   npx tsx test/ops/sweep.ts [name-filter]
 *
 * runs every case of `../shared/onnx/node` whose ops kiln has, prints one line per failure and
 * the counts, and exits non-zero when a failure is not in known-failures.ts or a known failure
 * now passes (so the list stays honest). `conformance.test.ts` runs the small cases by default.
 */

import fs from 'node:fs';
import '../../src/ops/index.js';
import { loadCase, NODE_ROOT, runCase } from './conformance.js';
import { KNOWN_FAILURES } from './known-failures.js';

const filter = process.argv[2] ?? '';
const names = fs.readdirSync(NODE_ROOT).filter((n) => n.includes(filter)).sort();
let passed = 0;
const skipped = new Map<string, number>();
const problems: string[] = [];
for (const name of names) {
  const c = loadCase(name);
  if (typeof c === 'string') {
    const kind = c.split(':')[0];
    skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
    continue;
  }
  const why = await runCase(c);
  const known = KNOWN_FAILURES.get(name);
  if (why === null) {
    passed++;
    if (known !== undefined) problems.push(`${name}: passes but is listed as a known failure (${known})`);
  } else {
    console.log(`${known === undefined ? 'NEW ' : 'known'} ${name}: ${why.slice(0, 300)}`);
    if (known === undefined) problems.push(`${name}: ${why.slice(0, 300)}`);
  }
}
const failed = names.length - passed - [...skipped.values()].reduce((a, b) => a + b, 0);
console.log(`\n${names.length} cases: ${passed} pass, ${failed} fail, ${[...skipped].map(([k, n]) => `${n} ${k}`).join(', ')}`);
for (const p of problems) console.log(`PROBLEM ${p}`);
process.exitCode = problems.length > 0 ? 1 : 0;
