/**
 * @file The CLI's help text and its usage error: a command line that cannot be understood exits
 * with status 2 and the help, as opposed to a model that fails (status 1).
 */

export const USAGE = `usage: kiln <command> [options]

commands:
  inspect MODEL [--input NAME=DIMS]... [--target T]
      inputs, outputs, op histogram, the graph after passes and its fused groups
  run MODEL [--input NAME=DIMS|NAME=FILE.pb]... [--target T] [--threads N] [--repeat N] [--profile] [--fetches] [--seed S] [--records FILE] [--relaxed-simd]
      runs the model on seeded random (or given) inputs: output summaries and the median latency;
      --profile adds per-kernel times
  compare MODEL [--input ...]... [--target T] [--threads N] [--repeat N] [--seed S] [--json] [--fetches] [--records FILE] [--relaxed-simd]
      runs kiln and onnxruntime-node on the same inputs, alternating: per-output errors, both median
      latencies and their ratio; exits 1 when an output differs by more than 1e-4·max|ref| + 1e-5
  tune MODEL [--input ...]... [--target T] [--threads N] [--time-budget 10m] [--trials N] --records FILE
      [--search model|random|grid] [--seed S]
      tunes the model's kernels within the budget (trials: per kernel at most), logging every measured
      schedule to FILE (an existing FILE is resumed); prints default and tuned time per kernel
  save MODEL [--input NAME=DIMS]... --output FILE [--threads N] [--relaxed-simd]
      compiles the model for wasm at those input shapes and writes it as one file, which
      SavedSession.load runs in Node or a browser without compiling
  conformance DIR [--target T] [--json] [--filter TEXT] [--timeout SECONDS] [--jobs N]
      runs ONNX backend test cases (DIR holds case folders, or is one), each in a child process

options:
  --input NAME=DIMS    a seeded random input of shape DIMS (like 1x3x640x640); NAME=FILE.pb reads a TensorProto
  --target T           js, c or wasm (default: wasm when available, else js)
  --threads N          threads for parallel loops (default: all cores)
  --repeat N           timed runs after the first (default 10)
  --seed S             seed of the random inputs (default 1)
  --records FILE       tuning records from \`kiln tune\`: kernels with a record run their best schedule
  --relaxed-simd       wasm: fused multiply-add through relaxed SIMD (off by default; rounds differently)
  --fetches            run, compare: timed runs write outputs into arrays allocated once (run(feeds, fetches)),
                       so no run pays for faulting in a new output array's memory
`;

/** A command line that cannot be understood. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A positive integer option, or its default. */
export function intOption(name: string, text: string | undefined, fallback: number, max = 1_000_000): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
  return n;
}
