/**
 * @file `kiln save MODEL [--input NAME=DIMS]... --output FILE [--threads N] [--relaxed-simd]`:
 * compiles the model for wasm at the given input shapes and writes it as a saved model
 * (src/runtime/saved/), which `SavedSession.load` runs in Node or a browser without compiling.
 * `--input` gives the shapes of inputs with symbolic dims (NAME=FILE.pb takes a tensor's shape).
 */

import { InferenceSession } from '../api/session.js';
import { quote } from '../graph/text.js';
import { writeFileAtomic } from '../runtime/saved/files.js';
import { COMMON_OPTIONS, parse, parseCommon, prepareFeeds, RELAXED_SIMD_OPTION, say } from './options.js';
import { UsageError } from './usage.js';

const OPTIONS = { input: COMMON_OPTIONS.input, threads: COMMON_OPTIONS.threads, output: { type: 'string', short: 'o' }, ...RELAXED_SIMD_OPTION } as const;

export async function saveCommand(args: readonly string[]): Promise<number> {
  const output = parse(args, OPTIONS).values.output;
  if (typeof output !== 'string') throw new UsageError('save needs --output FILE');
  const opts = parseCommon(args, OPTIONS);
  const relaxedSimd = opts.flags['relaxed-simd'];
  const session = await InferenceSession.create(opts.model, { target: 'wasm', threads: opts.threads, relaxedSimd });
  try {
    const shapes = Object.fromEntries([...prepareFeeds(session, opts)].map(([name, f]) => [name, f.tensor.dims]));
    const bytes = await session.serialize(shapes);
    await writeFileAtomic(output, bytes);
    say(`saved ${quote(output)}: ${bytes.length} bytes, target wasm, ${opts.threadsShown} thread${opts.threadsShown === 1 ? '' : 's'}${relaxedSimd ? ', relaxed SIMD' : ''}`);
    for (const [name, dims] of Object.entries(shapes)) say(`input ${quote(name)}: [${dims.join(', ')}]`);
    return 0;
  } finally {
    await session.release();
  }
}
