/**
 * @file The byte container of a saved model: a fixed preamble, a JSON header, and binary blobs
 * (the wasm module, the weights). Everything is little-endian.
 *
 *   [0, 8)     magic "KILNMODL"
 *   [8, 12)    format version (FORMAT_VERSION)
 *   [12, 16)   header length H, in bytes of UTF-8 JSON
 *   [16, 20)   payload length P
 *   [20, 24)   CRC-32 of bytes [24, end)
 *   [24, 24+H) header: { "blobs": [[offset, length], …], "model": … }
 *   payload    starts at 24 + H rounded up to 64; blob offsets are relative to it, 64-aligned
 *
 * A saved file is untrusted input: unpacking checks the magic, the version, the lengths (a
 * truncated file is named as such), the checksum (a corrupted one), and that every blob lies
 * inside the payload, before anything reads it. What the header means is saved/model.ts's.
 */

import { SavedModelError } from './errors.js';

export const MAGIC = 'KILNMODL';
export const FORMAT_VERSION = 1;
const PREAMBLE = 24;
const ALIGN = 64;
/** lengths are u32: a saved model is below 4 GiB, like wasm32's memory */
const MAX_BYTES = 2 ** 32 - 1;

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

let crcTables: Uint32Array[] | undefined;

/** The byte-wise table and seven more for slicing by 8 (eight bytes per step: the weights are megabytes). */
function tables(): Uint32Array[] {
  if (crcTables === undefined) {
    const t = Array.from({ length: 8 }, () => new Uint32Array(256));
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[0][n] = c >>> 0;
    }
    for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k][n] = (t[k - 1][n] >>> 8) ^ t[0][t[k - 1][n] & 0xff];
    crcTables = t;
  }
  return crcTables;
}

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip and PNG use it. */
export function crc32(bytes: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables();
  let c = 0xffffffff;
  let i = 0;
  for (const end = bytes.length - 8; i <= end; i += 8) {
    const lo = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ c;
    c = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < bytes.length; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Whether `bytes` start like a saved model (the loader still checks everything else). */
export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) === MAGIC;
}

/** One file's bytes holding `model` (JSON-serializable) and `blobs`. */
export function packContainer(model: unknown, blobs: readonly Uint8Array[]): Uint8Array {
  const table: [number, number][] = [];
  let at = 0;
  for (const b of blobs) {
    table.push([at, b.length]);
    at = align(at + b.length);
  }
  const payloadBytes = at;
  const header = new TextEncoder().encode(JSON.stringify({ blobs: table, model }));
  const payloadStart = align(PREAMBLE + header.length);
  if (payloadStart + payloadBytes > MAX_BYTES) throw new SavedModelError('save', `the model needs ${payloadStart + payloadBytes} bytes, more than a saved model can hold (4 GiB)`);
  const out = new Uint8Array(payloadStart + payloadBytes);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, header.length, true);
  view.setUint32(16, payloadBytes, true);
  out.set(header, PREAMBLE);
  blobs.forEach((b, k) => out.set(b, payloadStart + table[k][0]));
  view.setUint32(20, crc32(out.subarray(PREAMBLE)), true);
  return out;
}

export interface Unpacked {
  readonly model: unknown;
  /** views into the file's bytes */
  readonly blobs: readonly Uint8Array[];
}

function fail(detail: string): never {
  throw new SavedModelError('saved model', detail);
}

/** Checks and splits a container; throws a SavedModelError saying what is wrong with it. */
export function unpackContainer(bytes: Uint8Array): Unpacked {
  if (!hasMagic(bytes)) fail(`not a kiln saved model (it does not start with "${MAGIC}")`);
  if (bytes.length < PREAMBLE) fail(`truncated: ${bytes.length} bytes, shorter than the ${PREAMBLE}-byte preamble`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) fail(`format version ${version}; this kiln reads version ${FORMAT_VERSION}`);
  const headerBytes = view.getUint32(12, true);
  const payloadStart = align(PREAMBLE + headerBytes);
  const size = payloadStart + view.getUint32(16, true);
  if (bytes.length < size) fail(`truncated: ${bytes.length} bytes of ${size}`);
  if (bytes.length > size) fail(`${bytes.length - size} unexpected bytes after the end of the model`);
  if (crc32(bytes.subarray(PREAMBLE)) !== view.getUint32(20, true)) fail('corrupt: the checksum does not match the contents');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + headerBytes)));
  } catch {
    fail('corrupt: the header is not JSON');
  }
  const { blobs, model } = (typeof header === 'object' && header !== null ? header : {}) as { blobs?: unknown; model?: unknown };
  if (!Array.isArray(blobs)) fail('corrupt: the header has no blob table');
  const payloadEnd = size - payloadStart;
  const views = (blobs as unknown[]).map((b, k) => {
    const [offset, length] = Array.isArray(b) ? (b as unknown[]) : [];
    const ok = Number.isSafeInteger(offset) && Number.isSafeInteger(length) && (offset as number) >= 0 && (length as number) >= 0;
    if (!ok || (offset as number) % ALIGN !== 0 || (offset as number) + (length as number) > payloadEnd) fail(`corrupt: blob ${k} lies outside the file`);
    return bytes.subarray(payloadStart + (offset as number), payloadStart + (offset as number) + (length as number));
  });
  return { model, blobs: views };
}
