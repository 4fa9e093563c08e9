/**
 * @file Finding the element-wise tail of a fused group: the stage a reduction's strategy computes
 * from its registers, so the reduction's result is written to memory once, by the tail.
 */

import type { Schedule, Stage } from '../../schedule/index.js';

/**
 * The one root stage that reads `st` through inlined stages, when it has no reduction and
 * `st`'s shape; null when there is none or several.
 */
export function epilogueOf(s: Schedule, st: Stage): Stage | null {
  const reached = new Set<Stage>();
  const todo = [st];
  for (let x = todo.pop(); x; x = todo.pop()) {
    for (const r of s.readers(x)) {
      if (r.attach.kind === 'inline') todo.push(r);
      else reached.add(r);
    }
  }
  const [only] = reached;
  if (reached.size !== 1 || only.attach.kind !== 'root' || only.reduceAxis.length > 0) return null;
  return only.tensor.ndim === st.tensor.ndim && only.tensor.shape.every((d, k) => d === st.tensor.shape[k]) ? only : null;
}
