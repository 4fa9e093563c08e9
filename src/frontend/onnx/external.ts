/**
 * @file External tensor data (TensorProto.data_location = EXTERNAL): the bytes live in a file
 * next to the model, named by a `location` relative to the model's directory, at `offset` for
 * `length` bytes. The location comes from an untrusted model, so it may only name a file inside
 * that directory: absolute paths, `..` segments and symbolic links leading outside are refused,
 * and offsets and lengths are checked against the file before anything is read.
 */

import fs from 'node:fs';
import path from 'node:path';
import { quote } from '../../graph/text.js';
import { OnnxError } from './errors.js';
import type { StringEntryMsg } from './schema.js';

interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number | null;
}

function parseCount(s: string, key: string, where: string): number {
  const n = /^[0-9]{1,15}$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n)) throw new OnnxError(where, `external data ${key} ${quote(s)} is not a byte count`);
  return n;
}

function parseRef(entries: readonly StringEntryMsg[], where: string): ExternalRef {
  const get = (k: string): string | undefined => entries.find((e) => e.key === k)?.value;
  const location = get('location');
  if (location === undefined || location === '') throw new OnnxError(where, 'external data has no location');
  const offset = get('offset');
  const length = get('length');
  return {
    location,
    offset: offset === undefined ? 0 : parseCount(offset, 'offset', where),
    length: length === undefined ? null : parseCount(length, 'length', where),
  };
}

/** The absolute path of `location` inside `baseDir`, or an 'io' OnnxError when it would escape. */
function resolveInside(baseDir: string, location: string, where: string): string {
  const escape = (why: string): OnnxError =>
    new OnnxError(where, `external data location ${quote(location)} ${why}; only files inside the model's directory may be read`, 'io');
  if (location.includes('\0')) throw escape('contains a NUL character');
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) throw escape('is an absolute path');
  if (location.split(/[\\/]/).includes('..')) throw escape('leaves the directory with ".."');
  const full = path.resolve(baseDir, location);
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    throw new OnnxError(where, `external data file ${quote(location)} not found`, 'io');
  }
  const root = fs.realpathSync(baseDir);
  if (!real.startsWith(root + path.sep)) throw escape('resolves (through a link) to a file outside it');
  return real;
}

/**
 * The `expectedBytes` bytes of an external tensor. `baseDir` is the model's directory (null when
 * the model came as bytes with no directory given).
 */
export function readExternal(
  entries: readonly StringEntryMsg[],
  expectedBytes: number,
  baseDir: string | null,
  where: string,
  onRead?: (file: string) => void,
): Uint8Array {
  const ref = parseRef(entries, where);
  if (baseDir === null) {
    throw new OnnxError(where, `external data ${quote(ref.location)} needs the model's directory (give baseDir)`, 'io');
  }
  const file = resolveInside(baseDir, ref.location, where);
  onRead?.(file);
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw new OnnxError(where, `external data ${quote(ref.location)} is not a file`, 'io');
  const size = stat.size;
  const length = ref.length ?? size - ref.offset;
  if (length !== expectedBytes) {
    throw new OnnxError(where, `external data has ${length} bytes, the tensor needs ${expectedBytes}`);
  }
  if (ref.offset + length > size) {
    throw new OnnxError(where, `external data ${quote(ref.location)}: offset ${ref.offset} + length ${length} is past its end (${size} bytes)`);
  }
  const out = new Uint8Array(length);
  const fd = fs.openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, ref.offset + done);
      if (n === 0) throw new OnnxError(where, `external data ${quote(ref.location)} ended early`, 'io');
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
