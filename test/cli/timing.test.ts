import { describe, expect, it } from 'vitest';
import { BLOCK, alternateBlocks } from '../../src/cli/timing.js';

describe('alternateBlocks', () => {
  it('times each side in blocks, each after one untimed run, alternating sides block by block', async () => {
    const order: string[] = [];
    const side = (name: string) => (): Promise<void> => {
      order.push(name);
      return Promise.resolve();
    };
    const runs = BLOCK + 2;
    const [a, b] = await alternateBlocks([side('a'), side('b')], runs);
    expect(a).toHaveLength(runs);
    expect(b).toHaveLength(runs);
    // per block: one wake-up run and the timed ones; the last block holds the remainder
    const block = (name: string, n: number): string[] => Array.from({ length: n + 1 }, () => name);
    expect(order).toEqual([...block('a', BLOCK), ...block('b', BLOCK), ...block('a', 2), ...block('b', 2)]);
  });
});
