import { describe, expect, it } from 'vitest';
import { CachedRead } from './cached-read.ts';

/** A source whose reads finish when the test says so, with a clock the test moves. */
function controlledSource() {
  const clock = { now: 0 };
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = [];
  let reads = 0;
  const read = () =>
    new Promise<number>((resolve, reject) => {
      reads += 1;
      pending.push({ resolve, reject });
    });
  const settle = async (value: number | Error) => {
    await Promise.resolve();
    const next = pending.shift()!;
    if (value instanceof Error) next.reject(value);
    else next.resolve(value);
  };
  return { clock, read, settle, reads: () => reads };
}

describe('CachedRead', () => {
  it('lets a crowd share one read while it runs and its answer while it is fresh', async () => {
    const source = controlledSource();
    const cached = new CachedRead(source.read, 1000, () => source.clock.now);
    const crowd = Array.from({ length: 200 }, () => cached.read());
    await source.settle(7);
    expect(await Promise.all(crowd)).toEqual(Array(200).fill(7));
    source.clock.now = 999;
    expect(await cached.read()).toBe(7);
    expect(source.reads()).toBe(1);
    expect(cached.reads).toBe(1);
  });

  it('reads again once the answer is maxAgeMs old, counted from when its read started', async () => {
    const source = controlledSource();
    const cached = new CachedRead(source.read, 1000, () => source.clock.now);
    const first = cached.read();
    source.clock.now = 400;
    await source.settle(1);
    await first;
    source.clock.now = 1000;
    const second = cached.read();
    await source.settle(2);
    expect(await second).toBe(2);
    expect(source.reads()).toBe(2);
  });

  it('shares a read that outlasts maxAgeMs instead of starting a second one beside it', async () => {
    const source = controlledSource();
    const cached = new CachedRead(source.read, 1000, () => source.clock.now);
    const first = cached.read();
    source.clock.now = 5000;
    const joined = cached.read();
    expect(source.reads()).toBe(1);
    await source.settle(3);
    expect(await joined).toBe(3);
    expect(await first).toBe(3);
  });

  it('shares a failure for as long as an answer, then tries again', async () => {
    const source = controlledSource();
    const cached = new CachedRead(source.read, 1000, () => source.clock.now);
    const failed = cached.read();
    await source.settle(new Error('down'));
    await expect(failed).rejects.toThrow('down');
    await expect(cached.read()).rejects.toThrow('down');
    expect(source.reads()).toBe(1);
    source.clock.now = 1000;
    const retried = cached.read();
    await source.settle(4);
    expect(await retried).toBe(4);
  });
});
