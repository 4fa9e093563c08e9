/**
 * @file Numbers the CLI reports: medians of timings (never single samples), tensor summaries,
 * the error between two outputs, and compact number formatting.
 */

import type { Tensor } from '../api/tensor.js';
import { printType } from '../graph/types.js';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Six significant digits, without trailing zeros. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-4 && a < 1e9 ? String(Number(x.toPrecision(6))) : x.toExponential(4);
}

export function ms(x: number): string {
  return `${x.toFixed(x < 10 ? 3 : 1)} ms`;
}

/** `float32[1, 3, 32, 32]  min -1  max 1  mean 0.01` (NaNs counted apart). */
export function summarize(t: Tensor): string {
  let [min, max, sum, n, nans] = [Infinity, -Infinity, 0, 0, 0];
  for (const v of t.data) {
    const x = Number(v);
    if (Number.isNaN(x)) {
      nans++;
      continue;
    }
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
    n++;
  }
  const type = printType({ dtype: t.type, shape: t.dims });
  if (n === 0) return `${type}  ${nans > 0 ? `all ${nans} NaN` : 'empty'}`;
  return `${type}  min ${fmt(min)}  max ${fmt(max)}  mean ${fmt(sum / n)}${nans > 0 ? `  NaN ${nans}` : ''}`;
}

export interface OutputError {
  /** the largest |actual − reference| (Infinity where one side is NaN and the other not) */
  readonly maxAbs: number;
  /** maxAbs relative to the largest |reference| of the output */
  readonly maxRel: number;
  /** whether maxAbs ≤ 1e-4·max|reference| + 1e-5 */
  readonly ok: boolean;
  /** why the outputs cannot be compared (different shapes or types), else null */
  readonly mismatch: string | null;
}

export function outputError(actual: Tensor, reference: Tensor): OutputError {
  const shown = (t: Tensor): string => printType({ dtype: t.type, shape: t.dims });
  if (actual.dims.join() !== reference.dims.join() || actual.data.length !== reference.data.length) {
    return { maxAbs: Infinity, maxRel: Infinity, ok: false, mismatch: `got ${shown(actual)}, reference is ${shown(reference)}` };
  }
  let [maxAbs, maxRef] = [0, 0];
  for (let i = 0; i < reference.data.length; i++) {
    const [a, r] = [Number(actual.data[i]), Number(reference.data[i])];
    if (Number.isNaN(a) || Number.isNaN(r)) {
      if (!(Number.isNaN(a) && Number.isNaN(r))) maxAbs = Infinity;
      continue;
    }
    maxAbs = Math.max(maxAbs, a === r ? 0 : Math.abs(a - r));
    maxRef = Math.max(maxRef, Math.abs(r));
  }
  const maxRel = maxAbs === 0 ? 0 : maxAbs / maxRef;
  return { maxAbs, maxRel, ok: maxAbs <= 1e-4 * maxRef + 1e-5, mismatch: null };
}
