/**
 * @file Element types. A vector value is a scalar dtype plus a lane count, kept on each
 * expression node (see expr.ts), so the dtype itself stays a plain string.
 */

export type DType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int8', 'uint8', 'int32', 'int64', 'bool'];

export function isFloat(t: DType): boolean {
  return t === 'float32' || t === 'float64';
}

export function isInt(t: DType): boolean {
  return t === 'int8' || t === 'uint8' || t === 'int32' || t === 'int64';
}

export function isSigned(t: DType): boolean {
  return t !== 'uint8' && t !== 'bool';
}

export function bytesOf(t: DType): number {
  switch (t) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
  }
}

/** The smallest and largest value of an integer dtype, as numbers (int64 is clamped to ±2^53). */
export function intRange(t: DType): [number, number] {
  switch (t) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'int64':
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    case 'bool':
      return [0, 1];
    default:
      throw new Error(`intRange: ${t} is not an integer type`);
  }
}

/** The dtype used for loop variables and index arithmetic. */
export const INDEX: DType = 'int32';
