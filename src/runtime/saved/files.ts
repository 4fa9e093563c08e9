/**
 * @file Saved models on disk, in Node (the only file of the save/load path that imports fs).
 * Writing is atomic: the bytes go to a fresh temporary file beside the target, are flushed, and
 * the file is renamed over the target, so a reader sees either the old file or the whole new
 * one — never a half-written model, even if the process dies mid-write.
 */

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SavedModelError } from './errors.js';

/** Writes `bytes` to `path` atomically. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw new SavedModelError(path, `cannot write: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A saved model's bytes from `path`. */
export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    const file = await readFile(path);
    // a view: the file's memory is the model's, no copy needed
    return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  } catch (e) {
    throw new SavedModelError(path, `cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The first `n` bytes of a file (fewer when it is shorter; none when it cannot be read). */
export async function readHead(path: string, n: number): Promise<Uint8Array> {
  try {
    const file = await open(path, 'r');
    try {
      const buf = new Uint8Array(n);
      const { bytesRead } = await file.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch {
    return new Uint8Array();
  }
}
