/**
 * @file Knob spaces for template tuning. A template declares knobs — split factors, reorder and
 * annotation choices, free knobs — each a finite list of choices; a configuration picks one
 * choice per knob. A space numbers its configurations (mixed radix, first knob fastest), so grid
 * search walks the numbers and random search draws them.
 *
 *   const space = new Space([splitKnob('mr', 64, 8), choiceKnob('unroll', [false, true])]);
 *   space.size          // 4 divisors of 64 up to 8 × 2 = 8
 *   space.at(5)         // { mr: 2, unroll: true }
 */

import { TuneError } from './errors.js';

export type KnobValue = number | string | boolean;

export interface Knob {
  readonly name: string;
  readonly choices: readonly KnobValue[];
}

export type Config = Readonly<Record<string, KnobValue>>;

/** A knob over the divisors of `extent` up to `max` (a split factor that tiles exactly). */
export function splitKnob(name: string, extent: number, max = extent, keep: (f: number) => boolean = () => true): Knob {
  const choices: number[] = [];
  for (let f = 1; f <= Math.min(extent, max); f++) if (extent % f === 0 && keep(f)) choices.push(f);
  return choiceKnob(name, choices);
}

export function choiceKnob(name: string, choices: readonly KnobValue[]): Knob {
  if (choices.length === 0) throw new TuneError(`knob ${name}`, 'has no choices');
  return { name, choices };
}

export class Space {
  constructor(readonly knobs: readonly Knob[]) {}

  get size(): number {
    return this.knobs.reduce((n, k) => n * k.choices.length, 1);
  }

  /** Configuration number `index` (0 ≤ index < size). */
  at(index: number): Config {
    const out: Record<string, KnobValue> = {};
    let rest = index;
    for (const k of this.knobs) {
      out[k.name] = k.choices[rest % k.choices.length];
      rest = Math.floor(rest / k.choices.length);
    }
    return out;
  }

  /** The number of `config`; -1 when a value is not one of its knob's choices. */
  indexOf(config: Config): number {
    let index = 0;
    let scale = 1;
    for (const k of this.knobs) {
      const c = k.choices.indexOf(config[k.name]);
      if (c < 0) return -1;
      index += c * scale;
      scale *= k.choices.length;
    }
    return index;
  }

  random(rng: () => number): Config {
    return this.at(Math.floor(rng() * this.size));
  }

  /** `config` with one knob (that has a choice) moved to another choice. */
  mutate(config: Config, rng: () => number): Config {
    const free = this.knobs.filter((k) => k.choices.length > 1);
    if (free.length === 0) return config;
    const k = free[Math.floor(rng() * free.length)];
    const others = k.choices.filter((c) => c !== config[k.name]);
    return { ...config, [k.name]: others[Math.floor(rng() * others.length)] };
  }
}
