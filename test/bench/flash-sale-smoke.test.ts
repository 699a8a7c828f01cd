import { describe, expect, inject, it } from 'vitest';
import { runFlashSale, smallFlashSale } from '../../bench/flash-sale.ts';
import { type BenchEngine, pgliteEngineFrom, postgresEngine } from '../../bench/lib/engine.ts';

// The benchmark's own scenario at a few hundred requests, on each engine, so it never rots. Invariants
// only, no timings. On PostgreSQL the invariants read the databases the system was pointed at: had it
// kept its data anywhere else, they would find no orders.
describe.each<[string, () => BenchEngine]>([
  ['pglite', () => pgliteEngineFrom(inject('pgliteTemplate'))],
  ['postgres', () => postgresEngine(inject('postgresUrl'))],
])('flash-sale benchmark, smoke size, on %s', (_, engine) => {
  it('keeps every invariant while stock runs out and is replenished', async () => {
    const result = await runFlashSale(smallFlashSale, engine());
    for (const invariant of result.invariants)
      expect(invariant.ok, `${invariant.name}: ${invariant.detail}`).toBe(true);
    expect(result.checkout.requests).toBe(smallFlashSale.checkouts);
    // 300 checkouts of 1 against 100 in stock: it sold out at least once and a replenishment followed.
    expect(result.replenishments).toBeGreaterThanOrEqual(1);
    expect(result.confirmed).toBeGreaterThanOrEqual(smallFlashSale.stock);
  }, 180_000);
});
