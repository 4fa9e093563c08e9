/**
 * @file Lowering: a Schedule and the kernel's arguments → one PrimFunc. The steps, in order:
 *
 *   1. inline    — substitute computeInline stages into their readers (inline.ts)
 *   2. bounds    — region of every stage and extent of every loop, consumers first (bounds.ts)
 *   3. storage   — a Buffer per argument and per intermediate stage (storage.ts)
 *   4. nests     — each root stage's loop nest, attached stages inside it (nest.ts)
 *   5. allocate  — intermediates computed at the root live for the whole function
 *   6. verify    — the result must pass the TIR verifier
 *
 * The result is multi-dimensional (`C[i, j]`); flattening is a later TIR pass.
 */

import type { Tensor } from '../te/tensor.js';
import type { Schedule, Stage } from '../schedule/index.js';
import type { PrimFunc } from '../tir/stmt.js';
import { primFunc } from '../tir/stmt.js';
import { verifyFunc } from '../tir/verify.js';
import { inferBounds } from './bounds.js';
import { LowerError } from './error.js';
import { inlineBodies } from './inline.js';
import type { NestContext } from './nest.js';
import { placeAttached } from './nest.js';
import { planStorage } from './storage.js';

/** Lowers `s` to a function named `name` whose parameters are `args`' buffers, in order. */
export function lower(s: Schedule, args: readonly Tensor[], name: string): PrimFunc {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new LowerError(`lower(${JSON.stringify(name)}): not a valid function name`);
  const bodies = inlineBodies(s);
  const bounds = inferBounds(s, bodies, name);
  const { params, storage } = planStorage(s, args, bounds, name);
  const ctx: NestContext = { fn: name, bodies, bounds, storage, attached: attachMap(s) };
  const roots = s.stages.filter((st) => bounds.has(st) && st.attach.kind === 'root');
  const f = primFunc(name, params, placeAttached(roots, { kind: 'noop' }, ctx));
  verifyFunc(f);
  return f;
}

/** Stages computed at each loop, by the loop's var id, in schedule (producer-first) order. */
function attachMap(s: Schedule): Map<number, Stage[]> {
  const out = new Map<number, Stage[]>();
  for (const st of s.stages) {
    if (st.attach.kind !== 'at') continue;
    const id = st.attach.axis.var.id;
    out.set(id, [...(out.get(id) ?? []), st]);
  }
  return out;
}
