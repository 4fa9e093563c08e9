/**
 * @file Reading custom sections from module bytes without compiling them, so that a loader can
 * check a module's metadata (meta.ts) before paying for its compilation. The bytes are
 * untrusted: a section that runs past the end, or bytes that are not a wasm module, give a
 * WasmRuntimeError.
 */

import { WasmRuntimeError } from './errors.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function fail(what: string): never {
  throw new WasmRuntimeError(`wasm module: ${what}`);
}

/** The contents of every custom section called `name`, in order (copies, like WebAssembly.Module.customSections). */
export function customSections(bytes: Uint8Array, name: string): ArrayBuffer[] {
  if (bytes.length < HEADER.length || HEADER.some((b, k) => bytes[k] !== b)) fail('not a WebAssembly 1.0 module');
  let pos = HEADER.length;
  const u32 = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= bytes.length) fail('truncated');
      const b = bytes[pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return fail('malformed length');
  };
  const found: ArrayBuffer[] = [];
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = u32();
    const end = pos + size;
    if (end > bytes.length) fail('a section runs past the end');
    if (id === 0) {
      const length = u32();
      if (pos + length > end) fail('a section name runs past its section');
      const sectionName = new TextDecoder().decode(bytes.subarray(pos, pos + length));
      if (sectionName === name) found.push(bytes.slice(pos + length, end).buffer);
    }
    pos = end;
  }
  return found;
}
