/**
 * @file The SHA-256 of a model file without hashing it each time: a side index remembers, per
 * absolute path, the file's identity (device, inode, size, modification and change times in
 * nanoseconds) and the hash its bytes had. A file whose identity matches its record gets the
 * recorded hash; any difference — the file replaced, rewritten in place, touched — hashes the
 * bytes again and records them anew. A model given as bytes is always hashed.
 *
 * The record lies in `<kiln cache>/digests/<sha256 of the path>.json`, written atomically. A
 * record that is missing, damaged or for another path is a miss, never a wrong hash. The file is
 * stat'ed before and after it is read: a file that changed meanwhile is hashed and not recorded.
 * As in git's index, a file changed within the last RACY_MS may still change without moving its
 * times (their clock ticks coarsely), so it is not recorded until it is older.
 */

import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../saved/files.js';

/** A file changed this recently may change again within one tick of the file system's clock. */
export const RACY_MS = 2000;

/** The hex SHA-256 of `bytes`. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Record {
  readonly path: string;
  readonly identity: string;
  readonly hash: string;
}

/** What distinguishes one version of a file from another, short of its bytes. */
function identityOf(s: BigIntStats): string {
  return [s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(':');
}

function recordPath(dir: string, path: string): string {
  return join(dir, 'digests', `${createHash('sha256').update(path).digest('hex')}.json`);
}

async function readRecord(file: string): Promise<Record | null> {
  try {
    const r: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof r !== 'object' || r === null) return null;
    const { path, identity, hash } = r as Partial<Record>;
    const valid = typeof path === 'string' && typeof identity === 'string' && typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash);
    return valid ? { path, identity, hash } : null;
  } catch {
    return null;
  }
}

/**
 * The SHA-256 recorded for the file at `path` when the file is unchanged since, without reading
 * it; null otherwise (or when it cannot be stat'ed). A caller that reads the file later must
 * check its bytes against this hash: the file may change in between.
 */
export async function recordedHash(path: string, dir: string): Promise<string | null> {
  const abs = resolve(path);
  const s = await stat(abs, { bigint: true }).catch(() => null);
  if (s === null) return null;
  const r = await readRecord(recordPath(dir, abs));
  return r !== null && r.path === abs && r.identity === identityOf(s) ? r.hash : null;
}

/**
 * The bytes of the file at `path` and their SHA-256, from the index under `dir` (kiln's cache
 * folder) when the file is unchanged since it was recorded. Errors reading the file are thrown;
 * the index's own are not (it is a miss, and a record that cannot be written is left unwritten).
 */
export async function readHashed(path: string, dir: string, racyMs = RACY_MS): Promise<{ bytes: Uint8Array; hash: string }> {
  const abs = resolve(path);
  const before = await stat(abs, { bigint: true });
  const file = await readFile(abs);
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const after = await stat(abs, { bigint: true }).catch(() => null);
  const identity = identityOf(before);
  const steady = after !== null && identityOf(after) === identity && BigInt(bytes.byteLength) === before.size;
  const where = recordPath(dir, abs);
  if (steady) {
    const r = await readRecord(where);
    if (r !== null && r.path === abs && r.identity === identity) return { bytes, hash: r.hash };
  }
  const hash = contentHash(bytes);
  const changedMs = Number((before.mtimeNs > before.ctimeNs ? before.mtimeNs : before.ctimeNs) / 1_000_000n);
  if (steady && Date.now() - changedMs >= racyMs) {
    const record: Record = { path: abs, identity, hash };
    await mkdir(join(dir, 'digests'), { recursive: true })
      .then(() => writeFileAtomic(where, new TextEncoder().encode(JSON.stringify(record))))
      .catch(() => undefined);
  }
  return { bytes, hash };
}
