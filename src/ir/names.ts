/**
 * @file Identifiers for generated code. Names in IR may come from a model (untrusted); code
 * generators print only what `safeIdent` returns, which keeps ASCII letters, digits and `_` from
 * the hint and appends the declaration id, so the result is unique and cannot break out of source.
 */

const RESERVED = /^(?:[0-9]|_[A-Z_])/;

export function safeIdent(hint: string, id: number): string {
  const cleaned = hint.replace(/[^A-Za-z0-9_]/g, '').slice(0, 24);
  const base = cleaned === '' || RESERVED.test(cleaned) ? `v${cleaned}` : cleaned;
  return `${base}_${id}`;
}
