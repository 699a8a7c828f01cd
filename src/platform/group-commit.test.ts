import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

class PoisonError extends Error {}

/**
 * A fake database: a batch fails as a whole when it holds a poisoned item (or while `failures` lasts),
 * else answers each item's outcome. Records every call, and the order in which callers heard back.
 */
function fakeDatabase(options: { poisoned?: readonly number[]; failures?: number; maxBatch?: number } = {}) {
  const poisoned = new Set(options.poisoned ?? []);
  let failures = options.failures ?? 0;
  const batches: number[][] = [];
  const alone: number[] = [];
  const settled: number[] = [];
  const group = new GroupCommit<number, string>({
    maxBatch: options.maxBatch ?? 64,
    runBatch: async (items) => {
      batches.push([...items]);
      if (failures > 0) {
        failures -= 1;
        throw new Error('the whole batch failed');
      }
      const bad = items.find((i) => poisoned.has(i));
      if (bad !== undefined) throw new PoisonError(`item ${bad} is poisoned`);
      return items.map((i) => `outcome ${i}`);
    },
    runOne: async (item) => {
      alone.push(item);
      if (poisoned.has(item)) throw new PoisonError(`item ${item} is poisoned`);
      return `outcome ${item}`;
    },
  });
  /** Submits all at once (one batch while nothing runs); each result says what its caller heard. */
  const submitAll = (items: readonly number[]) =>
    Promise.all(
      items.map((item) =>
        group.submit(item).then(
          (outcome) => {
            settled.push(item);
            return outcome;
          },
          (error: unknown) => {
            settled.push(item);
            return error;
          },
        ),
      ),
    );
  return { batches, alone, settled, submitAll };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('GroupCommit', () => {
  it('runs concurrent submissions as one batch and gives each caller its own outcome', async () => {
    const db = fakeDatabase();
    expect(await db.submitAll(range(5))).toEqual(range(5).map((i) => `outcome ${i}`));
    expect(db.batches).toEqual([range(5)]);
    expect(db.alone).toEqual([]);
  });

  it('runs a lone submission with runOne', async () => {
    const db = fakeDatabase();
    expect(await db.submitAll([7])).toEqual(['outcome 7']);
    expect(db.batches).toEqual([]);
    expect(db.alone).toEqual([7]);
  });

  it('keeps batches within maxBatch', async () => {
    const db = fakeDatabase({ maxBatch: 3 });
    expect(await db.submitAll(range(7))).toEqual(range(7).map((i) => `outcome ${i}`));
    expect(db.batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(db.alone).toEqual([6]);
  });

  it('retries a batch that failed as a whole in halves, not item by item', async () => {
    const db = fakeDatabase({ failures: 1 });
    expect(await db.submitAll(range(8))).toEqual(range(8).map((i) => `outcome ${i}`));
    expect(db.batches).toEqual([range(8), [0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(db.alone).toEqual([]);
  });

  it('a poisoned item fails alone with its own error; the others get their outcomes in O(log n) batches', async () => {
    const db = fakeDatabase({ poisoned: [5] });
    const outcomes = await db.submitAll(range(8));
    expect(outcomes[5]).toBeInstanceOf(PoisonError);
    expect((outcomes[5] as Error).message).toBe('item 5 is poisoned');
    expect(outcomes.filter((_, i) => i !== 5)).toEqual(
      range(8)
        .filter((i) => i !== 5)
        .map((i) => `outcome ${i}`),
    );
    expect(db.batches).toEqual([range(8), [0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [6, 7]]);
    expect(db.alone).toEqual([4, 5]);
  });

  it('isolates a poisoned item of a large batch in about 2·log2(n) calls', async () => {
    const db = fakeDatabase({ poisoned: [37] });
    const outcomes = await db.submitAll(range(64));
    expect(outcomes.filter((o) => o instanceof PoisonError)).toHaveLength(1);
    expect(outcomes[37]).toBeInstanceOf(PoisonError);
    expect(db.batches.length + db.alone.length).toBeLessThanOrEqual(2 * Math.log2(64) + 1);
    expect(db.alone).toEqual([36, 37]);
  });

  it('answers callers in the order they submitted, a split batch included', async () => {
    const db = fakeDatabase({ poisoned: [2, 9] });
    const outcomes = await db.submitAll(range(12));
    expect(db.settled).toEqual(range(12));
    expect(outcomes.map((o, i) => (o instanceof PoisonError ? i : o))).toEqual(
      range(12).map((i) => (i === 2 || i === 9 ? i : `outcome ${i}`)),
    );
  });
});
