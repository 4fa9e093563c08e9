/**
 * The c target's thread pool (src/codegen/c/pool.ts), driven from a small C library that calls
 * `kiln_parallel` directly: every index of a range runs exactly once whatever the thread count,
 * in at most 8 chunks per thread of sizes that differ by at most one, a failing chunk's code comes
 * back to the caller, a region runs on more than one thread but never on more than it was given,
 * workers start as regions need them and sleep when idle, one thread starts none, and a caller
 * waiting for a worker's long chunk is woken when it ends. Each test file runs in a process of its
 * own, so the pool starts empty here.
 */

import koffi from 'koffi';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLibrary } from '../../../src/codegen/c/compile.js';
import { HAS_CC, NO_CC, tempDir } from '../harness.js';

const DRIVER = String.raw`
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
typedef int32_t (*kiln_task)(void *ctx, int64_t lo, int64_t hi);
extern int32_t kiln_parallel(kiln_task fn, void *ctx, int64_t begin, int64_t end, int32_t nthreads);
extern int32_t kiln_pool_workers(void);
#define EXPORT __attribute__((visibility("default")))

struct counts { int32_t *hits; int64_t fail_at; };
static int32_t count(void *p, int64_t lo, int64_t hi) {
  struct counts *c = p;
  for (int64_t i = lo; i < hi; i++) {
    if (i == c->fail_at) return 7;
    atomic_fetch_add((_Atomic int32_t *)&c->hits[i], 1);
  }
  return 0;
}
/* runs count over [0, n) on nthreads; hits[i] counts the runs of index i */
EXPORT int32_t count_range(int32_t *hits, int64_t n, int64_t fail_at, int32_t nthreads) {
  struct counts c = { hits, fail_at };
  return kiln_parallel(count, &c, 0, n, nthreads);
}

struct seen { pthread_t ids[64]; _Atomic int32_t ran[64]; int32_t wait; };
static int64_t ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000 + t.tv_nsec / 1000000; }
static int32_t other_ran(struct seen *s, pthread_t self) {
  for (int j = 1; j < 64; j++) if (atomic_load(&s->ran[j]) && !pthread_equal(s->ids[j], self)) return 1;
  return 0;
}
static int32_t record(void *p, int64_t lo, int64_t hi) {
  struct seen *s = p;
  const pthread_t self = pthread_self();
  /* chunk 0 (one index) waits, at most 10 s, until another thread ran a chunk */
  if (lo == 0 && s->wait) for (int64_t t0 = ms(); !other_ran(s, self) && ms() - t0 < 10000;) {}
  for (int64_t i = lo; i < hi; i++) {
    s->ids[i] = self;
    atomic_store(&s->ran[i], 1);
  }
  return 0;
}
/* how many distinct threads ran the 64 chunks of one region on nthreads */
EXPORT int32_t distinct_threads(int32_t nthreads) {
  struct seen s = { .wait = nthreads > 1 };
  kiln_parallel(record, &s, 0, 64, nthreads);
  int32_t n = 0;
  for (int i = 0; i < 64; i++) {
    int first = 1;
    for (int j = 0; j < i; j++) if (pthread_equal(s.ids[i], s.ids[j])) first = 0;
    n += first;
  }
  return n;
}
EXPORT int32_t workers(void) { return kiln_pool_workers(); }
extern int32_t kiln_pool_sleepers(void);
EXPORT int32_t sleepers(void) { return kiln_pool_sleepers(); }

struct spans { _Atomic int32_t count, others; int64_t lo[64], hi[64]; int32_t slow_ms; pthread_t caller; };
static int32_t span(void *p, int64_t lo, int64_t hi) {
  struct spans *s = p;
  const int32_t k = atomic_fetch_add(&s->count, 1);
  if (k < 64) { s->lo[k] = lo; s->hi[k] = hi; }
  const int32_t mine = pthread_equal(pthread_self(), s->caller);
  if (!mine) atomic_fetch_add(&s->others, 1);
  /* slow chunks: a worker's outlasts the caller's, which then waits for it */
  if (s->slow_ms > 0) {
    const struct timespec t = { 0, (mine ? s->slow_ms / 6 : s->slow_ms) * 1000000L };
    nanosleep(&t, NULL);
  }
  return 0;
}
/* one region of [0, n) on nthreads: its chunks' bounds in out[0..2·count), out[128] how many workers ran */
EXPORT int32_t chunk_spans(int64_t n, int32_t nthreads, int32_t slow_ms, int64_t *out) {
  struct spans s = { .slow_ms = slow_ms, .caller = pthread_self() };
  kiln_parallel(span, &s, 0, n, nthreads);
  const int32_t count = atomic_load(&s.count);
  for (int32_t k = 0; k < count && k < 64; k++) { out[2 * k] = s.lo[k]; out[2 * k + 1] = s.hi[k]; }
  out[128] = atomic_load(&s.others);
  return count;
}
`;

describe.runIf(HAS_CC)(HAS_CC ? 'the c thread pool' : NO_CC, () => {
  const dir = tempDir();
  let countRange: (hits: Int32Array, n: number, failAt: number, nthreads: number) => number;
  let distinctThreads: (nthreads: number) => number;
  let workers: () => number;
  let sleepers: () => number;
  let chunkSpans: (n: number, nthreads: number, slowMs: number, out: BigInt64Array) => number;
  /** the chunks of one region, sorted by their start */
  let byWorkers = 0;
  const spans = (n: number, nthreads: number, slowMs = 0): [number, number][] => {
    const out = new BigInt64Array(129);
    const count = chunkSpans(n, nthreads, slowMs, out);
    byWorkers = Number(out[128]);
    return Array.from({ length: count }, (_, k): [number, number] => [Number(out[2 * k]), Number(out[2 * k + 1])]).sort((a, b) => a[0] - b[0]);
  };
  beforeAll(async () => {
    const lib = koffi.load(await buildLibrary(DRIVER, { cc: 'cc', cacheDir: dir, fpContract: 'fast' }));
    countRange = lib.func('int32_t count_range(_Inout_ int32_t *hits, int64_t n, int64_t fail_at, int32_t nthreads)') as typeof countRange;
    distinctThreads = lib.func('int32_t distinct_threads(int32_t nthreads)') as typeof distinctThreads;
    workers = lib.func('int32_t workers(void)') as typeof workers;
    sleepers = lib.func('int32_t sleepers(void)') as typeof sleepers;
    chunkSpans = lib.func('int32_t chunk_spans(int64_t n, int32_t nthreads, int32_t slow_ms, _Out_ int64_t *out)') as typeof chunkSpans;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts no worker for one thread', () => {
    const hits = new Int32Array(1000);
    expect(countRange(hits, 1000, -1, 1)).toBe(0);
    expect(hits.every((h) => h === 1)).toBe(true);
    expect(distinctThreads(1)).toBe(1);
    expect(workers()).toBe(0);
  });

  it('runs a region on the caller and workers, starting workers as a region needs them', () => {
    expect(distinctThreads(2)).toBe(2);
    expect(workers()).toBe(1);
    const three = distinctThreads(3);
    expect(three).toBeGreaterThanOrEqual(2);
    expect(three).toBeLessThanOrEqual(3);
    expect(workers()).toBe(2);
  });

  it('runs every index once, for any thread count and range length', () => {
    for (const nthreads of [2, 3, 8]) {
      for (const n of [1, 2, 63, 64, 65, 1000, 100_003]) {
        const hits = new Int32Array(n);
        expect(countRange(hits, n, -1, nthreads)).toBe(0);
        expect(hits.every((h) => h === 1), `n ${n} on ${nthreads} threads`).toBe(true);
      }
    }
  });

  it('returns the failure code of a failing chunk, and the other chunks still run', () => {
    const hits = new Int32Array(1000);
    expect(countRange(hits, 1000, 500, 2)).toBe(7);
    // the failing chunk stops at 500; it is one of 16 chunks (of 62 or 63 indices here), the rest run whole
    const missed = [...hits.keys()].filter((i) => hits[i] !== 1);
    expect(missed[0]).toBe(500);
    expect(missed.length).toBeLessThanOrEqual(63);
    expect(missed).toEqual(missed.map((_, k) => 500 + k));
  });

  it('never runs a region on more threads than it was given, however many workers exist', () => {
    expect(workers()).toBe(7);
    for (let k = 0; k < 20; k++) expect(distinctThreads(2)).toBe(2);
    for (let k = 0; k < 20; k++) expect(distinctThreads(3)).toBeLessThanOrEqual(3);
  });

  it('cuts a range into at most 8 chunks per thread and 64 in all, of sizes that differ by at most one', () => {
    const cases: [number, number, number][] = [[1000, 2, 16], [1000, 3, 24], [1000, 8, 64], [1000, 16, 64], [5, 2, 5], [16, 2, 16], [17, 2, 16], [100_003, 2, 16]];
    for (const [n, nthreads, chunks] of cases) {
      const got = spans(n, nthreads);
      expect(got.length, `n ${n} on ${nthreads} threads`).toBe(chunks);
      // contiguous from 0 to n
      expect(got.map(([lo]) => lo)).toEqual([0, ...got.slice(0, -1).map(([, hi]) => hi)]);
      expect(got.at(-1)?.[1]).toBe(n);
      const sizes = got.map(([lo, hi]) => hi - lo);
      expect(Math.max(...sizes) - Math.min(...sizes), `n ${n} on ${nthreads} threads`).toBeLessThanOrEqual(1);
    }
    expect(spans(1000, 1)).toEqual([[0, 1000]]);
  });

  it('waits for a worker whose chunk outlasts the spin, woken when the chunk ends', () => {
    // 2 chunks: the caller sleeps 5 ms in its own, a worker 30 ms in the other, far past the
    // caller's spin; a worker late to the region leaves both to the caller, so try a few times
    let waited = 0;
    for (let k = 0; k < 10 && waited < 3; k++) {
      expect(spans(2, 2, 30)).toEqual([[0, 1], [1, 2]]);
      waited += byWorkers;
    }
    expect(waited).toBe(3);
  });

  it('puts idle workers to sleep after a short spin', async () => {
    countRange(new Int32Array(1000), 1000, -1, 8);
    // every worker stops spinning within its spin (1 ms); 5 s allows for a loaded machine. A
    // sleeping worker may wake spuriously (futex allows it) and briefly leave the count, so the
    // test asserts that all were seen asleep at once, not that they still are at a later read
    let most = 0;
    for (let t = 0; t < 100 && most < workers(); t++) {
      most = Math.max(most, sleepers());
      if (most < workers()) await new Promise((r) => setTimeout(r, 50));
    }
    expect(most).toBe(workers());
  });
});
