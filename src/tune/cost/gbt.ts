/**
 * @file Gradient-boosted regression trees, small enough to read: squared loss, depth-limited
 * trees grown level by level on histogram bins, shrinkage, L2-regularized leaves. Deterministic —
 * no row or column sampling — so the same data always gives the same model.
 *
 * Each feature's values are cut into at most MAX_BINS bins at midpoints between distinct
 * training values (quantiles when there are more), so a split scans bins, not samples, and its
 * threshold is a plain number: a point goes left when `x[feature] <= threshold`.
 *
 *   const model = fitGbt(rows, targets, { trees: 60 });
 *   predictGbt(model, row);
 */

export interface GbtOptions {
  readonly trees: number;
  readonly maxDepth: number;
  readonly learningRate: number;
  /** fewest training points in a leaf */
  readonly minLeaf: number;
  /** L2 penalty on leaf values (shrinks leaves fit to few points) */
  readonly lambda: number;
}

export const DEFAULT_GBT: GbtOptions = { trees: 60, maxDepth: 6, learningRate: 0.15, minLeaf: 3, lambda: 1 };

/** One tree as flat arrays; node 0 is the root, `feature[n] < 0` marks a leaf. */
export interface Tree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

export interface Gbt {
  readonly base: number;
  readonly learningRate: number;
  readonly trees: readonly Tree[];
}

const MAX_BINS = 64;

/** Cut points of one feature: midpoints between distinct values, at most MAX_BINS − 1 of them. */
function cutsOf(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
  if (distinct.length <= 1) return [];
  const cuts: number[] = [];
  const step = Math.max(1, (distinct.length - 1) / (MAX_BINS - 1));
  for (let q = step; q < distinct.length; q += step) {
    const k = Math.floor(q);
    const cut = (distinct[k - 1] + distinct[k]) / 2;
    if (cuts.length === 0 || cut > cuts[cuts.length - 1]) cuts.push(cut);
  }
  return cuts;
}

/** The bin of `x`: how many cuts lie below it. */
function binOf(cuts: readonly number[], x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Split {
  readonly feature: number;
  readonly bin: number;
  readonly gain: number;
}

/** Fits `trees` rounds of boosting to `rows` → `targets`. */
export function fitGbt(rows: readonly Float64Array[], targets: readonly number[], options: Partial<GbtOptions> = {}): Gbt {
  const opt = { ...DEFAULT_GBT, ...options };
  const n = rows.length;
  const base = n > 0 ? targets.reduce((a, b) => a + b, 0) / n : 0;
  if (n === 0) return { base, learningRate: opt.learningRate, trees: [] };
  // only features that vary can split; they are renumbered 0..width-1 in `data`
  const features: number[] = [];
  const cuts: number[][] = [];
  for (let f = 0; f < rows[0].length; f++) {
    const c = cutsOf(Float64Array.from(rows, (r) => r[f]));
    if (c.length === 0) continue;
    features.push(f);
    cuts.push(c);
  }
  const width = features.length;
  // row-major bins: a node's histograms are filled in one pass over its rows
  const bins = new Uint8Array(n * width);
  rows.forEach((r, i) => features.forEach((f, u) => (bins[i * width + u] = binOf(cuts[u], r[f]))));
  const data: Binned = { bins, width, cuts, features };
  const pred = new Float64Array(n).fill(base);
  const residual = new Float64Array(n);
  const trees: Tree[] = [];
  for (let t = 0; t < opt.trees; t++) {
    for (let i = 0; i < n; i++) residual[i] = targets[i] - pred[i];
    const tree = growTree(residual, data, opt);
    trees.push(tree);
    for (let i = 0; i < n; i++) pred[i] += opt.learningRate * predictTree(tree, rows[i]);
  }
  return { base, learningRate: opt.learningRate, trees };
}

interface Binned {
  /** bins[i * width + u]: the bin of row i in used feature u */
  readonly bins: Uint8Array;
  readonly width: number;
  readonly cuts: readonly (readonly number[])[];
  /** the original index of each used feature */
  readonly features: readonly number[];
}

function growTree(residual: Float64Array, data: Binned, opt: GbtOptions): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const addLeaf = (members: Int32Array): number => {
    let sum = 0;
    for (let m = 0; m < members.length; m++) sum += residual[members[m]];
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(sum / (members.length + opt.lambda));
    return tree.feature.length - 1;
  };
  const all = Int32Array.from({ length: residual.length }, (_, i) => i);
  let level = [{ node: addLeaf(all), members: all }];
  for (let depth = 0; depth < opt.maxDepth && level.length > 0; depth++) {
    const next: typeof level = [];
    for (const { node, members } of level) {
      const split = bestSplit(members, residual, data, opt);
      if (!split) continue;
      const goesLeft = (i: number): boolean => data.bins[i * data.width + split.feature] <= split.bin;
      const goLeft = members.filter(goesLeft);
      const goRight = members.filter((i) => !goesLeft(i));
      const l = addLeaf(goLeft);
      const r = addLeaf(goRight);
      tree.feature[node] = data.features[split.feature];
      tree.threshold[node] = data.cuts[split.feature][split.bin];
      tree.left[node] = l;
      tree.right[node] = r;
      next.push({ node: l, members: goLeft }, { node: r, members: goRight });
    }
    level = next;
  }
  return tree;
}

/** The split of `members` with the largest loss reduction (feature as a used index), or null. */
function bestSplit(members: Int32Array, residual: Float64Array, data: Binned, opt: GbtOptions): Split | null {
  const count = members.length;
  if (count < 2 * opt.minLeaf) return null;
  const { bins, width, cuts } = data;
  const sums = new Float64Array(width * MAX_BINS);
  const counts = new Int32Array(width * MAX_BINS);
  let total = 0;
  for (let m = 0; m < count; m++) {
    const i = members[m];
    const r = residual[i];
    total += r;
    const row = i * width;
    for (let u = 0; u < width; u++) {
      const h = u * MAX_BINS + bins[row + u];
      sums[h] += r;
      counts[h]++;
    }
  }
  const parent = (total * total) / (count + opt.lambda);
  let best: Split | null = null;
  for (let u = 0; u < width; u++) {
    let ls = 0;
    let lc = 0;
    for (let b = 0; b < cuts[u].length; b++) {
      ls += sums[u * MAX_BINS + b];
      lc += counts[u * MAX_BINS + b];
      const rc = count - lc;
      if (lc < opt.minLeaf || rc < opt.minLeaf) continue;
      const rs = total - ls;
      const gain = (ls * ls) / (lc + opt.lambda) + (rs * rs) / (rc + opt.lambda) - parent;
      if (gain > 1e-12 && (!best || gain > best.gain)) best = { feature: u, bin: b, gain };
    }
  }
  return best;
}

function predictTree(tree: Tree, x: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node] >= 0) node = x[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  return tree.value[node];
}

export function predictGbt(model: Gbt, x: ArrayLike<number>): number {
  let y = model.base;
  for (const t of model.trees) y += model.learningRate * predictTree(t, x);
  return y;
}
