/**
 * Names and messages from an untrusted model must not be able to change the generated program.
 * Buffers and variables here are named with quotes, newlines, comment terminators, backticks,
 * template holes and keywords of C and JavaScript (and kiln's own internal names); the assert
 * message carries the same plus NUL, a trigraph and a line separator. On js and c: the raw names
 * never appear in the source, the raw message never appears in the C source (octal escapes) and
 * appears in the JS source only as its JSON string literal, the kernels compute the right
 * numbers, and a failing assert reports the message byte for byte.
 */

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Expr } from '../../src/ir/expr.js';
import { add, buffer, floatImm, intImm, load, lt, mul, variable } from '../../src/ir/expr.js';
import type { PrimFunc, Stmt } from '../../src/tir/stmt.js';
import { allocate, assertStmt, forLoop, letStmt, primFunc, seq, store } from '../../src/tir/stmt.js';
import { KernelAssertError } from '../../src/codegen/abi.js';
import type { Artifact, Executable } from '../../src/codegen/target.js';
import { NO_CC, TARGETS, tempDir } from './harness.js';

const NAMES = [
  'a"; system("rm -rf /"); "',
  'x*/ int evil; /*',
  'line\nbreak // comment',
  '`${process.exit(1)}`',
  "'); process.exit(1); ('",
  '#define float double',
  'back\\slash\u2028sep',
  'ünïcödé',
  '',
  '9starts_with_digit',
  '__reserved',
];
const KEYWORDS = ['int', 'return', 'class', 'function', 'for', 'while', 'kiln', 'kiln_err', 'kiln_done', 'kiln_nthreads', 'Math', 'BigInt', 'args', 'restrict'];
const MESSAGE = 'bad "index" \n*/ `${x}` \\ ??/ %s%n \u0000 \u2028 ünï \' ); evil();';

// out = 2 * (a + b) through a local buffer, a let and an assert, all named with hostile text
const a = buffer(NAMES[0], 'float32', [8]);
const b = buffer(NAMES[1], 'float32', [8]);
const out = buffer(NAMES[2], 'float32', [8]);
const tmp = buffer(NAMES[3], 'float32', [8], 'local');
const i = variable(NAMES[4]);
const j = variable(NAMES[5]);
const x = variable(NAMES[6], 'float32');
const main = primFunc('hostile', [a, b, out], allocate(tmp, seq(
  forLoop(i, intImm(0), intImm(8), store(tmp, [i], add(load(a, [i]), load(b, [i])))),
  forLoop(j, intImm(0), intImm(8), letStmt(x, mul(load(tmp, [j]), floatImm(2)), assertStmt(lt(x, floatImm(1000)), MESSAGE, store(out, [j], x))), 'parallel'),
)));

/** Nested loops whose variables are keywords and internal names, summed into one output. */
function keywordKernel(): PrimFunc {
  const sink = buffer('int', 'int32', [1]);
  const g = buffer('kiln_err', 'int32', [1], 'global');
  const vars = [...KEYWORDS, ...NAMES.slice(7)].map((n) => variable(n));
  const total: Expr = vars.reduce<Expr>((s, v) => add(s, v), intImm(1));
  let body: Stmt = store(g, [intImm(0)], add(load(g, [intImm(0)]), total));
  for (const v of vars) body = forLoop(v, intImm(0), intImm(1), body);
  return primFunc('keywords', [sink], allocate(g, seq(store(g, [intImm(0)], intImm(41)), body, store(sink, [intImm(0)], load(g, [intImm(0)])))));
}

describe.each(TARGETS)('target $name', (t) => {
  if (!t.available) {
    it.skip(NO_CC, () => undefined);
    return;
  }
  const dir = tempDir();
  let artifact: Artifact;
  let exe: Executable;
  beforeAll(async () => {
    const backend = t.make(dir);
    artifact = backend.emit([main, keywordKernel()]);
    exe = await backend.load(artifact, { threads: 2 });
  });
  afterAll(() => {
    exe?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps raw names and messages out of the source', () => {
    const code = artifact.code as string;
    // js carries the message once, as a JSON string literal; c carries it octal-escaped
    if (t.name === 'js') expect(code.split(JSON.stringify(MESSAGE)).length - 1).toBe(1);
    const rest = t.name === 'js' ? code.replace(JSON.stringify(MESSAGE), '""') : code;
    for (const n of NAMES.filter((n) => /[^A-Za-z0-9_]/.test(n))) expect(rest.includes(n), JSON.stringify(n)).toBe(false);
    for (const bad of ['system(', '*/ int', 'process.exit', '#define float', '"index"', 'evil();', '\u2028', 'ü', '??/']) {
      expect(rest.includes(bad), bad).toBe(false);
    }
  });

  it('computes the right numbers', () => {
    const o = new Float32Array(8);
    exe.run('hostile', [Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), new Float32Array(8).fill(0.5), o]);
    expect(Array.from(o)).toEqual([3, 5, 7, 9, 11, 13, 15, 17]);
    const sink = new Int32Array(1);
    exe.run('keywords', [sink]);
    expect(sink[0]).toBe(42);
  });

  it('reports the hostile assert message byte for byte', () => {
    const run = (): void => exe.run('hostile', [new Float32Array(8).fill(600), new Float32Array(8), new Float32Array(8)]);
    expect(run).toThrow(KernelAssertError);
    try {
      run();
    } catch (e) {
      expect((e as KernelAssertError).assertMessage).toBe(MESSAGE);
    }
  });
});

describe('PrimFunc names', () => {
  it('must be plain identifiers', () => {
    expect(() => primFunc('a b', [], seq())).toThrow('primFunc: unsafe name "a b"');
  });
});
