/**
 * @file Pass infrastructure shared by every IR level (graph and TIR).
 *
 * A pass is a named pure function `(ir, ctx) → ir`. Everything that steers a pass travels in
 * `ctx.config` — which passes are switched off, whether to insert bounds checks, unroll limits —
 * so that no pass reads the environment and a pipeline run is reproducible from its arguments.
 * `runPipeline` is the one place that applies a list of passes in order, skips disabled ones and
 * hands the printed IR after each pass to the `dump` hook (`--dump-ir`).
 */

export interface PassConfig {
  /** names of passes to skip, e.g. `['tir.loopPartition']` */
  readonly disabled: readonly string[];
  /** wrap every TIR memory access in an assert that its index is in bounds */
  readonly boundsCheck: boolean;
  /** `tir.unroll`: loops with more iterations than this become serial */
  readonly unrollMaxIterations: number;
  /** `tir.unroll`: loops whose copies would exceed this many statements become serial */
  readonly unrollMaxStmts: number;
}

/** What graph passes know of the target: the layout pass blocks channels by its vector width. */
export interface PassTarget {
  /** width of one vector register in bits */
  readonly vectorBits: number;
}

export interface PassContext {
  readonly config: PassConfig;
  /** the target kernels are built for; absent, target-dependent rewrites (layouts) are skipped */
  readonly target?: PassTarget;
  /** Called after each pass that ran with the pass name and the IR it produced, printed. */
  readonly dump?: (passName: string, printedIr: string) => void;
}

export interface Pass<IR> {
  /** `<level>.<name>`, e.g. `tir.simplify`; the key used by `config.disabled` and dumps */
  readonly name: string;
  run(ir: IR, ctx: PassContext): IR;
}

export const DEFAULT_PASS_CONFIG: PassConfig = {
  disabled: [],
  boundsCheck: false,
  unrollMaxIterations: 64,
  unrollMaxStmts: 1024,
};

/** A pass name or configuration that cannot be used. */
export class PassConfigError extends Error {
  override name = 'PassConfigError';
}

const PASS_NAME = /^[a-z]+\.[A-Za-z][A-Za-z0-9]*$/;

export function definePass<IR>(pass: Pass<IR>): Pass<IR> {
  if (!PASS_NAME.test(pass.name)) {
    throw new PassConfigError(`definePass: name ${JSON.stringify(pass.name)} is not of the form level.name`);
  }
  return Object.freeze({ name: pass.name, run: pass.run.bind(pass) });
}

/** A context with the defaults for everything not given. */
export function makePassContext(
  config: Partial<PassConfig> = {},
  dump?: (passName: string, printedIr: string) => void,
  target?: PassTarget,
): PassContext {
  const full: PassConfig = { ...DEFAULT_PASS_CONFIG, ...config };
  if (!Number.isInteger(full.unrollMaxIterations) || full.unrollMaxIterations < 0) {
    throw new PassConfigError(`pass config: unrollMaxIterations must be a non-negative integer, got ${full.unrollMaxIterations}`);
  }
  if (!Number.isInteger(full.unrollMaxStmts) || full.unrollMaxStmts < 0) {
    throw new PassConfigError(`pass config: unrollMaxStmts must be a non-negative integer, got ${full.unrollMaxStmts}`);
  }
  return { config: full, ...(dump ? { dump } : {}), ...(target ? { target } : {}) };
}

export function isDisabled(ctx: PassContext, name: string): boolean {
  return ctx.config.disabled.includes(name);
}

/**
 * Runs `passes` in order on `ir`. Disabled passes are skipped (and not dumped); `print` is called
 * only when a dump hook is present, so a normal run pays nothing for printing.
 */
export function runPipeline<IR>(
  passes: readonly Pass<IR>[],
  ir: IR,
  ctx: PassContext,
  print: (ir: IR) => string,
): IR {
  let cur = ir;
  for (const pass of passes) {
    if (isDisabled(ctx, pass.name)) continue;
    cur = pass.run(cur, ctx);
    ctx.dump?.(pass.name, print(cur));
  }
  return cur;
}
