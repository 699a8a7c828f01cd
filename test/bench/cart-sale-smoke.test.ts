import { describe, expect, inject, it } from 'vitest';
import { makeCarts, runCartSale, smallCartSale } from '../../bench/cart-sale.ts';
import { type BenchEngine, pgliteEngineFrom, postgresEngine } from '../../bench/lib/engine.ts';

// The benchmark's cart scenario at a few hundred carts, on each engine, so it never rots. Invariants
// only, no timings.
describe.each<[string, () => BenchEngine]>([
  ['pglite', () => pgliteEngineFrom(inject('pgliteTemplate'))],
  ['postgres', () => postgresEngine(inject('postgresUrl'))],
])('cart-sale benchmark, smoke size, on %s', (_, engine) => {
  it('keeps every invariant while skus run out and are replenished', async () => {
    const result = await runCartSale(smallCartSale, engine());
    for (const invariant of result.invariants)
      expect(invariant.ok, `${invariant.name}: ${invariant.detail}`).toBe(true);
    expect(result.checkout.requests).toBe(smallCartSale.carts);
    // About 900 units asked of 20 skus of 30: skus ran out, were refilled, and some carts were refused.
    expect(result.replenishments).toBeGreaterThan(smallCartSale.skus / 2);
    expect(result.checkout.statuses['409']).toBeGreaterThan(0);
    expect(result.confirmed).toBeGreaterThan(smallCartSale.carts / 3);
    expect(result.meanLines).toBeGreaterThan(1);
  }, 180_000);
});

describe('cart-sale carts', () => {
  it('are 1 to maxLines distinct skus, mean about (1 + maxLines) / 2, the same for the same seed', () => {
    const skus = Array.from({ length: 20 }, (_, i) => `S${i}`);
    const carts = makeCarts(2000, skus, 5, 10, 42).map(
      (body) => JSON.parse(body) as { items: { sku: string; quantity: number }[] },
    );
    const sizes = carts.map((c) => c.items.length);
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(5);
    expect(sizes.reduce((a, b) => a + b, 0) / sizes.length).toBeCloseTo(3, 0);
    expect(carts.every((c) => new Set(c.items.map((i) => i.sku)).size === c.items.length)).toBe(true);
    expect(makeCarts(5, skus, 5, 10, 42)).toEqual(makeCarts(5, skus, 5, 10, 42));
  });
});
