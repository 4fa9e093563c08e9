/**
 * @file What a rewrite rule may ask of the simplifier driving it. Rules live in one file per topic
 * and receive this instead of importing the driver, so they stay independent of each other.
 */

import type { Expr } from '../ir/expr.js';
import type { Interval } from './interval.js';
import type { Linear } from './linear.js';
import type { DivModParts } from './linear-divmod.js';

export interface RuleContext {
  /** Bounds of an expression under the current variable ranges. */
  interval(e: Expr): Interval;
  /** Bounds of a linear form (tighter than bounding its rebuilt expression term by term). */
  linearInterval(l: Linear): Interval;
  /** Simplifies a freshly built node whose children are already simplified. */
  rewrite(e: Expr): Expr;
  /** The simplified companion of a div/mod term (floormod(x, c) for floordiv(x, c) and back). */
  companion(term: Expr, parts: DivModParts): Expr;
}
