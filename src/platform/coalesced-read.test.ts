import { describe, expect, it } from 'vitest';
import { CoalescedRead, CoalescedReads } from './coalesced-read.ts';

/** A "table" whose reads take a tick and can be counted. */
function slowStore() {
  const store = { value: 0, queries: 0 };
  const query = async () => {
    store.queries += 1;
    const seen = store.value;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return seen;
  };
  return { store, query };
}

describe('CoalescedRead', () => {
  it('lets a crowd of concurrent readers share queries', async () => {
    const { store, query } = slowStore();
    const read = new CoalescedRead(query);
    const answers = await Promise.all(Array.from({ length: 50 }, () => read.read()));
    expect(answers).toHaveLength(50);
    // The first reader starts a query; the other 49 share the one after it.
    expect(store.queries).toBe(2);
  });

  it('never answers a read with a query that started before the read was made', async () => {
    const { store, query } = slowStore();
    const read = new CoalescedRead(query);
    const before = read.read(); // starts a query that sees value 0
    store.value = 1; // a write commits while that query runs…
    const after = read.read(); // …so this read must not share the running query
    expect(await before).toBe(0);
    expect(await after).toBe(1);
  });

  it('passes a failed query to its readers and recovers for the next ones', async () => {
    let fail = true;
    const read = new CoalescedRead(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (fail) throw new Error('database gone');
      return 'ok';
    });
    await expect(read.read()).rejects.toThrow('database gone');
    fail = false;
    await expect(read.read()).resolves.toBe('ok');
  });

  it('keeps keys apart and forgets idle ones', async () => {
    const queried: string[] = [];
    const reads = new CoalescedReads(async (key: string) => {
      queried.push(key);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return key.toUpperCase();
    });
    const answers = await Promise.all(['a', 'b', 'a', 'b', 'a'].map((key) => reads.read(key)));
    expect(answers).toEqual(['A', 'B', 'A', 'B', 'A']);
    expect(queried.filter((k) => k === 'a')).toHaveLength(2);
    expect(queried.filter((k) => k === 'b')).toHaveLength(2);
  });
});
