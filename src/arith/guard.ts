/**
 * @file The public entry points walk expressions recursively. An expression nested thousands of
 * levels deep (a fully unrolled sum) can exhaust the stack; rather than fail a compile, the entry
 * points then give the always-correct answer: the expression unchanged, the dtype's bounds, or
 * "cannot prove".
 */

export function withDepthGuard<T>(run: () => T, fallback: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) return fallback();
    throw err;
  }
}
