/**
 * @file Parameters that ONNX moved from attributes to inputs across opsets (Squeeze's axes, Pad's
 * pads, Clip's bounds, …). An op reads them in one call whatever the opset: the attribute when the
 * node has it, else the value of the input when it is a known constant.
 */

import type { NodeContext } from './context.js';

/** The values, or 'absent' (neither given) or 'unknown' (an input that is not constant). */
export type Param = readonly number[] | 'absent' | 'unknown';

export function listParam(ctx: NodeContext, attr: string, input: number): Param {
  if (ctx.hasAttr(attr)) return ctx.ints(attr);
  if (!ctx.has(input)) return 'absent';
  return ctx.constantValues(input) ?? 'unknown';
}

/** `p`'s values where the op needs them (at compute time, or to infer anything at all). */
export function requireParam(ctx: NodeContext, p: Param, what: string): readonly number[] {
  if (p === 'absent') throw ctx.fail(`${what} is required`);
  if (p === 'unknown') throw ctx.fail(`${what} must be a constant`);
  return p;
}
