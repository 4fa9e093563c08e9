/**
 * @file Templates: a strategy of src/strategy with its knobs exposed as a search space. A template
 * looks at a task's compute, says whether it applies and with which space, and turns a
 * configuration into a schedule; the tuner keeps only the schedule's trace (`steps`), so template
 * and automatic candidates are measured, recorded and replayed alike.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Schedule } from '../../schedule/index.js';
import type { Config, Space } from '../space.js';
import type { TaskCompute } from '../task.js';
import { blockedConvTemplate } from './conv2d-nchwc.js';
import { conv2dTemplate } from './conv2d.js';
import { matmulTemplate } from './matmul.js';
import { winogradTemplate } from './winograd.js';

export interface Template {
  readonly name: string;
  /** the space of `k`'s configurations, or null when the template does not apply to it */
  space(k: TaskCompute, target: TargetInfo): Space | null;
  /** the schedule of configuration `config` on `k` (freshly built tensors) */
  apply(k: TaskCompute, config: Config, target: TargetInfo): Schedule;
}

export const TEMPLATES: readonly Template[] = [matmulTemplate, blockedConvTemplate, conv2dTemplate, winogradTemplate];

/** The templates that apply to `k`, with their spaces. */
export function templatesFor(k: TaskCompute, target: TargetInfo): { template: Template; space: Space }[] {
  return TEMPLATES.flatMap((template) => {
    const space = template.space(k, target);
    return space && space.size > 0 ? [{ template, space }] : [];
  });
}
