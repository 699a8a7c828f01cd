import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerRecords } from '../chaos/harness.ts';
import { productBody, startTestSystem, type TestSystem, uniqueSku, waitFor } from '../helpers/system.ts';

/**
 * On PostgreSQL, checkouts and restocks of one sku run in parallel. A checkout locks the product, then
 * (below the reorder point) probes the open replenishment; a restock must take the same locks in the
 * same order, or the two wait on each other and the server aborts one with a deadlock.
 */
describe('restocks and checkouts of one sku at once on postgres', () => {
  let system: TestSystem;

  beforeAll(async () => {
    // The factory finishes at once, so replenishments close and reopen all through the sale.
    system = await startTestSystem({ FACTORY_STAGE_MS: '1', QUEUE_VISIBILITY_TIMEOUT_S: '1' }, 'postgres');
  });
  afterAll(async () => system?.destroy());

  it('never deadlocks: every checkout answers 201 or 409 and no restock fails', async () => {
    const sku = uniqueSku('LOCK');
    // Always at or below the reorder point: every checkout probes the open replenishment.
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 200, reorderPoint: 1000, reorderQuantity: 3 }),
      admin: true,
    });
    const statuses = new Map<number, number>();
    const deadline = Date.now() + 8000;
    let sent = 0;
    const worker = async (w: number) => {
      while (Date.now() < deadline && sent < 3000) {
        sent++;
        const res = await system.api('/checkout', { json: { sku, quantity: 1, customerId: `lock-${w}` } });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
    const saleOver = new Date();
    const restocks = await waitFor('the last restock to settle', async () => {
      const rows = await system.inventory.db
        .selectFrom('replenishments')
        .select(['status', 'completed_at'])
        .where('sku', '=', sku)
        .execute();
      return rows.length > 0 && rows.every((r) => r.status === 'completed') ? rows : undefined;
    });
    // Restocks ran while checkouts held the product (a wrong lock order deadlocks on the first of them).
    expect(restocks.filter((r) => new Date(r.completed_at!) < saleOver).length).toBeGreaterThanOrEqual(2);
    expect([...statuses.keys()].filter((s) => s !== 201 && s !== 409)).toEqual([]);
    expect((await consumerRecords(system, 'stock-arrivals')).failed).toBe(0);
  });
});
