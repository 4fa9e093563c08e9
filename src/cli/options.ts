/**
 * @file The options `run`, `compare` and `inspect` share, parsed with node:util's parseArgs:
 * one positional MODEL, repeated `--input`, the target, threads, repeat count and seed. A bad
 * command line is a UsageError (exit status 2) naming the option.
 */

import { availableParallelism } from 'node:os';
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import type { InferenceSession } from '../api/session.js';
import type { Feed } from './inputs.js';
import { makeFeeds, parseInputs } from './inputs.js';
import { UsageError, intOption } from './usage.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  input: { type: 'string', multiple: true, default: [] },
  target: { type: 'string' },
  threads: { type: 'string' },
  repeat: { type: 'string' },
  seed: { type: 'string' },
  records: { type: 'string' },
} as const satisfies OptionSpecs;

/**
 * `--fetches`, for the commands that time runs (run, compare): timed runs write the outputs into
 * arrays allocated once (`run(feeds, fetches)`), so no run pays for fresh memory.
 */
export const FETCHES_OPTION = { fetches: { type: 'boolean', default: false } } as const satisfies OptionSpecs;

/** `--relaxed-simd`, for the commands that compile for wasm (run, compare, save). */
export const RELAXED_SIMD_OPTION = { 'relaxed-simd': { type: 'boolean', default: false } } as const satisfies OptionSpecs;

export interface CommonOptions {
  readonly model: string;
  readonly inputs: readonly string[];
  readonly target: string | undefined;
  readonly threads: number | undefined;
  /** the thread count as reported: the given one, or all cores */
  readonly threadsShown: number;
  readonly repeat: number;
  readonly seed: number;
  /** a tuning records file (`kiln tune`) */
  readonly records: string | undefined;
  /** the command's own boolean flags */
  readonly flags: Readonly<Record<string, boolean>>;
}

/** parseArgs, with its errors turned into UsageErrors. */
export function parse(args: readonly string[], options: OptionSpecs): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message);
    throw e;
  }
}

export function parseCommon(args: readonly string[], options: OptionSpecs): CommonOptions {
  const { values, positionals } = parse(args, options);
  if (positionals.length !== 1) throw new UsageError(`expected one MODEL argument, got ${positionals.length}`);
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const threads = str('threads') === undefined ? undefined : intOption('threads', str('threads'), 1, 1024);
  const flags: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === 'boolean') flags[k] = v;
  return {
    model: positionals[0],
    inputs: Array.isArray(values.input) ? values.input.map(String) : [],
    target: str('target'),
    threads,
    threadsShown: threads ?? availableParallelism(),
    repeat: intOption('repeat', str('repeat'), 10),
    seed: str('seed') === undefined ? 1 : intOption('seed', str('seed'), 1, 2 ** 31),
    records: str('records'),
    flags,
  };
}

/** The feeds for `session`'s inputs from the `--input` options. */
export function prepareFeeds(session: InferenceSession, opts: CommonOptions): Map<string, Feed> {
  const inputs = session.executor.inputs;
  return makeFeeds(inputs, parseInputs(opts.inputs, inputs), opts.seed);
}

/** One line to stdout. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
