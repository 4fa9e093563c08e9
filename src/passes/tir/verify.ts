/**
 * @file `tir.verify`: checks the invariants of src/tir/verify.ts and returns the function as is.
 * It runs last in the pipeline, so a pass that breaks the IR is caught before code generation,
 * with an error naming the function and the statement instead of a crash in a backend.
 *
 *   before:  func f(B: float32[4]) { B[i] = 0.0f }
 *   after:   TirVerifyError "f: variable i is used outside the loop or let that defines it"
 */

import type { PrimFunc } from '../../tir/stmt.js';
import { verifyFunc } from '../../tir/verify.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';

export const verify: Pass<PrimFunc> = definePass({
  name: 'tir.verify',
  run(f) {
    verifyFunc(f);
    return f;
  },
});
