/**
 * @file Tensor types of graph values: a dtype and a shape whose dimensions are either concrete
 * (a number) or symbolic (a string such as 'batch'). Graphs keep symbolic dims because kernels are
 * specialized only when a session sees real shapes. Two dims with the same symbol are equal; an
 * unknown dim (ONNX's dimension with neither value nor name) gets a fresh symbol starting with
 * `?`, so it equals nothing but itself.
 */

import type { DType } from '../ir/dtype.js';
import { word } from './text.js';

export type Dim = number | string;

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export function tensorType(dtype: DType, shape: readonly Dim[]): TensorType {
  return { dtype, shape: [...shape] };
}

/** Whether `d` is a fresh symbol standing for an unknown dimension. */
export function isUnknownDim(d: Dim): boolean {
  return typeof d === 'string' && d.startsWith('?');
}

/** The concrete shape, or null when some dim is symbolic. */
export function staticShape(shape: readonly Dim[]): number[] | null {
  const out: number[] = [];
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    out.push(d);
  }
  return out;
}

export function typesEqual(a: TensorType | null, b: TensorType | null): boolean {
  if (a === null || b === null) return a === b;
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** `float32[1, 3, h, w]`; `?` for an unknown type. Symbols from a model are shown escaped. */
export function printType(t: TensorType | null): string {
  if (t === null) return '?';
  return `${t.dtype}[${t.shape.map(printDim).join(', ')}]`;
}

export function printDim(d: Dim): string {
  if (typeof d === 'number') return String(d);
  return /^\?\d+$/.test(d) ? d : word(d);
}
