import { describe, expect, it } from 'vitest';
import { runFlashSale, smallFlashSale } from '../../bench/flash-sale.ts';

// The benchmark's own scenario at a few hundred requests, so it never rots. Invariants only, no timings.
describe('flash-sale benchmark, smoke size', () => {
  it('keeps every invariant while stock runs out and is replenished', async () => {
    const result = await runFlashSale(smallFlashSale);
    for (const invariant of result.invariants)
      expect(invariant.ok, `${invariant.name}: ${invariant.detail}`).toBe(true);
    expect(result.checkout.requests).toBe(smallFlashSale.checkouts);
    // 300 checkouts of 1 against 100 in stock: it sold out at least once and a replenishment followed.
    expect(result.replenishments).toBeGreaterThanOrEqual(1);
    expect(result.confirmed).toBeGreaterThanOrEqual(smallFlashSale.stock);
  }, 180_000);
});
