/**
 * @file The learned cost model: ranks candidate schedules by their features (src/tune/features.ts)
 * so only the most promising are measured. Gradient-boosted trees (gbt.ts) regress a target that
 * ranks well across tasks of very different sizes: each measurement's slowdown from the best one
 * of its task, log2(cost/best) ≥ 0 (a failed run, cost Infinity, counts as twice the task's
 * slowest). On logs, a difference between two slow schedules weighs as much as one between two
 * fast ones, where relative throughput (best/cost) squeezed every slow schedule near 0: replaying
 * det's depthwise searches (bench/autoschedule.ts --evaluate), the model's pick of a round ran a
 * median 1.4–3.5× the round's fastest, against 1.6–10× with throughput.
 *
 * Convention: `predict` returns that predicted slowdown — lower is faster, 0 is as fast as the best
 * seen on a task, 1 twice as slow — so candidates sort ascending like times.
 *
 * `update` keeps every sample and retrains from scratch on all of them; `toJSON` stores the
 * samples along with the trees, so a model saved after one task (or model) keeps learning when
 * loaded for another: transfer.
 *
 *   const model = new CostModel();
 *   model.update(features, seconds, taskKeys);
 *   const order = model.predict(candidates);          // ascending = most promising first
 *   const again = CostModel.fromJSON(JSON.parse(JSON.stringify(model)));
 */

import type { Gbt, GbtOptions, Tree } from './gbt.js';
import { fitGbt, predictGbt } from './gbt.js';

interface Sample {
  readonly x: Float64Array;
  readonly cost: number;
  readonly group: string;
}

interface ModelJson {
  readonly format: 'kiln-cost-model';
  readonly version: 2;
  readonly options: Partial<GbtOptions>;
  readonly model: Gbt | null;
  readonly samples: readonly { readonly x: readonly number[]; readonly cost: number | null; readonly group: string }[];
}

export class CostModel {
  private samples: Sample[] = [];
  private model: Gbt | null = null;

  constructor(private readonly options: Partial<GbtOptions> = {}) {}

  /** Training points so far. */
  get size(): number {
    return this.samples.length;
  }

  /**
   * Adds measurements — `costs` in any time unit, Infinity for a failed candidate — and retrains
   * on all of them. `groups` names each one's task (default: one task for the whole call), since
   * costs are only compared within a task.
   */
  update(features: readonly Float64Array[], costs: readonly number[], groups?: readonly string[]): void {
    if (features.length !== costs.length || (groups && groups.length !== costs.length)) {
      throw new Error(`CostModel.update: ${features.length} feature vectors, ${costs.length} costs, ${groups?.length ?? 'no'} groups`);
    }
    features.forEach((x, k) => this.samples.push({ x, cost: costs[k], group: groups?.[k] ?? '' }));
    const best = new Map<string, number>();
    const worst = new Map<string, number>();
    for (const s of this.samples) {
      if (!(s.cost > 0 && Number.isFinite(s.cost))) continue;
      best.set(s.group, Math.min(s.cost, best.get(s.group) ?? Infinity));
      worst.set(s.group, Math.max(s.cost, worst.get(s.group) ?? 0));
    }
    // a task without a successful run ranks nothing
    const ranked = this.samples.filter((s) => best.has(s.group));
    const targets = ranked.map((s) => {
      const cost = Number.isFinite(s.cost) ? s.cost : 2 * worst.get(s.group)!;
      return Math.log2(Math.max(cost, best.get(s.group)!) / best.get(s.group)!);
    });
    this.model = fitGbt(ranked.map((s) => s.x), targets, this.options);
  }

  /** The predicted slowdown of each candidate from its task's best, log2: lower is faster; 0 before training. */
  predict(features: readonly Float64Array[]): number[] {
    const m = this.model;
    return features.map((x) => (m ? predictGbt(m, x) : 0));
  }

  toJSON(): ModelJson {
    return {
      format: 'kiln-cost-model',
      version: 2,
      options: this.options,
      model: this.model,
      // JSON has no Infinity: a failed run is stored as null
      samples: this.samples.map((s) => ({ x: Array.from(s.x), cost: Number.isFinite(s.cost) ? s.cost : null, group: s.group })),
    };
  }

  static fromJSON(j: unknown): CostModel {
    const o = j as Partial<ModelJson> | null;
    if (!o || o.format !== 'kiln-cost-model' || o.version !== 2 || !Array.isArray(o.samples)) {
      throw new Error('CostModel.fromJSON: not a kiln cost model (format kiln-cost-model, version 2; version 1 predicted throughput, not slowdown)');
    }
    const samples: ModelJson['samples'] = o.samples;
    const m = new CostModel(o.options ?? {});
    m.samples = samples.map((s) => ({ x: Float64Array.from(s.x), cost: s.cost ?? Infinity, group: s.group }));
    m.model = o.model ? { base: o.model.base, learningRate: o.model.learningRate, trees: o.model.trees.map(copyTree) } : null;
    return m;
  }
}

function copyTree(t: Tree): Tree {
  return { feature: [...t.feature], threshold: [...t.threshold], left: [...t.left], right: [...t.right], value: [...t.value] };
}
