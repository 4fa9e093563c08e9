/**
 * @file What the machine running kiln offers the c target: vector width from the CPU flags
 * (AVX-512 → 512 bits, AVX2 → 256, otherwise 128: SSE or NEON), hardware threads, and cache
 * sizes from Linux sysfs. Anything unreadable falls back to values typical of a current x86
 * core, so strategies always get numbers.
 */

import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { TargetInfo } from '../target.js';

const DEFAULT_CACHES = { l1Bytes: 32 * 1024, l2Bytes: 1024 * 1024, l3Bytes: 8 * 1024 * 1024 };
const CACHE_DIR = '/sys/devices/system/cpu/cpu0/cache';

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Bytes in a sysfs cache size such as "48K", "2048K" or "32M"; null when unparseable. */
export function parseCacheSize(text: string): number | null {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) return null;
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()] ?? 1;
  return Number(m[1]) * unit;
}

/** The vector width the CPU flags allow. */
export function vectorBitsFromCpuinfo(cpuinfo: string): number {
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));
  if (flags.has('avx512f')) return 512;
  if (flags.has('avx2')) return 256;
  return 128;
}

function cacheSizes(): typeof DEFAULT_CACHES {
  const out = { ...DEFAULT_CACHES };
  let entries: string[];
  try {
    entries = readdirSync(CACHE_DIR).filter((d) => d.startsWith('index'));
  } catch {
    return out;
  }
  for (const d of entries) {
    const level = readText(join(CACHE_DIR, d, 'level'));
    const type = readText(join(CACHE_DIR, d, 'type'));
    const size = parseCacheSize(readText(join(CACHE_DIR, d, 'size')) ?? '');
    if (!size || type === 'Instruction') continue;
    if (level === '1') out.l1Bytes = size;
    if (level === '2') out.l2Bytes = size;
    if (level === '3') out.l3Bytes = size;
  }
  return out;
}

export function hostTargetInfo(): TargetInfo {
  return {
    name: 'c',
    vectorBits: vectorBitsFromCpuinfo(readText('/proc/cpuinfo') ?? ''),
    cores: availableParallelism(),
    ...cacheSizes(),
    threads: true,
    sharedMemory: false,
  };
}
