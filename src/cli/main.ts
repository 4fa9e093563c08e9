/**
 * @file The `kiln` command's entry point (run through bin/kiln.js): picks the command and turns
 * its outcome into an exit status. 0: success; 1: the model or its results failed (a typed error
 * from the reader, the op library or the session is printed as one line naming its place); 2: the
 * command line could not be understood (the help follows). Anything else is a bug in kiln and is
 * printed with its stack.
 */

import { USAGE, UsageError } from './usage.js';

type Command = (args: readonly string[]) => Promise<number>;

/** Each command loads on use, so `--help` and usage errors do not load the compiler. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  run: async () => (await import('./run.js')).runCommand,
  compare: async () => (await import('./compare.js')).compareCommand,
  save: async () => (await import('./save.js')).saveCommand,
  conformance: async () => (await import('./conformance.js')).conformanceCommand,
  tune: async () => (await import('./tune.js')).tuneCommand,
  'conformance-worker': async () => (await import('./worker.js')).workerCommand,
};

/** Errors that describe a bad model, input or environment rather than a bug in kiln. */
const EXPECTED = new Set(['OnnxError', 'OpError', 'SessionError', 'GraphError', 'GraphPassError', 'CompilerNotFoundError', 'CompileError', 'TuneError', 'SavedModelError', 'RelaxedSimdError']);

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? process.stderr : process.stdout).write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    process.stderr.write(`kiln: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  try {
    const run = await COMMANDS[command]();
    return await run(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kiln ${command}: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof Error && EXPECTED.has(e.name)) {
      process.stderr.write(`kiln ${command}: ${e.name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`kiln ${command}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv.slice(2));
