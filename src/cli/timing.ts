/**
 * @file Timing runtimes against each other in one process: alternating blocks of runs, each
 * block after one untimed run that wakes the side's thread pool, and an idle pause after it so
 * a pool still spinning does not steal the next side's cores (`settle`). Run by run alternation
 * at 2 threads let each side's spinning workers slow the other's next run: det at 1x3x640x640
 * on c timed 45–49 ms for kiln and 56–65 ms for onnxruntime-node, against 25–32 and 50–55 ms
 * in blocks with pauses.
 */

/** Timed runs per block. */
export const BLOCK = 5;

/**
 * The pause after a block lasts at least IDLE_MS and then until one IDLE_STEP_MS window of it used
 * less than IDLE_CPU of one core (at most IDLE_MAX_MS). onnxruntime's pools spin on after a run:
 * the process used 60% of a core over the 50 ms after an onnxruntime-node ShuffleNet run at 2
 * threads and 100% after onnxruntime-web's (8% over 200 ms), so a fixed 50 ms pause left
 * onnxruntime-web's workers spinning into kiln's block, which comes next.
 */
const IDLE_MS = 50;
const IDLE_STEP_MS = 10;
const IDLE_CPU = 0.05;
const IDLE_MAX_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Waits until this process's threads are idle (see IDLE_MS). */
export async function settle(): Promise<void> {
  await sleep(IDLE_MS);
  for (const t0 = performance.now(); performance.now() - t0 < IDLE_MAX_MS; ) {
    const [cpu, wall] = [process.cpuUsage(), performance.now()];
    await sleep(IDLE_STEP_MS);
    const used = process.cpuUsage(cpu);
    if ((used.user + used.system) / 1000 < IDLE_CPU * (performance.now() - wall)) return;
  }
}

/** One untimed run, `n` timed ones (ms, appended to `into`), then a pause until the process is idle. */
async function timedBlock(run: () => Promise<unknown>, into: number[], n: number): Promise<void> {
  await run();
  for (let r = 0; r < n; r++) {
    const t = performance.now();
    await run();
    into.push(performance.now() - t);
  }
  await settle();
}

/** `runs` timed runs of each side, in alternating blocks (BLOCK); the times per side, in ms. */
export async function alternateBlocks(sides: readonly (() => Promise<unknown>)[], runs: number): Promise<number[][]> {
  const times = sides.map((): number[] => []);
  for (let done = 0; done < runs; done += BLOCK) {
    const n = Math.min(BLOCK, runs - done);
    for (const [k, run] of sides.entries()) await timedBlock(run, times[k], n);
  }
  return times;
}
