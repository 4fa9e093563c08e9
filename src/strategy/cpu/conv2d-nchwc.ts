/**
 * @file The schedule of convolutions on the blocked NCHWc layout (issue #5). The layout pass and
 * the blocked ops land with it; until then no stage has a blocked layout and this declines.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Schedule, Stage } from '../../schedule/index.js';

/** Schedules `st` when it is a blocked-layout stage this strategy knows; false otherwise. */
export function scheduleBlocked(_s: Schedule, _st: Stage, _target: TargetInfo): boolean {
  return false;
}
