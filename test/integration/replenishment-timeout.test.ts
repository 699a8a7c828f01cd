import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactoryJob } from '../../src/factory-simulator/simulator.ts';
import { ENGINES, productBody, startTestSystem, type TestSystem, uniqueSku, waitFor } from '../helpers/system.ts';

describe.each(ENGINES)('replenishment timeout on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // The factory never finishes by itself; an order unanswered for 2 s is re-requested.
    system = await startTestSystem(
      {
        FACTORY_STAGE_MS: '600000',
        REPLENISHMENT_TIMEOUT_S: '2',
        SCHEDULE_INTERVAL_S: '1',
      },
      engine,
    );
  });
  afterAll(async () => system?.destroy());

  const post = (job: FactoryJob) =>
    fetch(job.body.CallbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job.body),
    });

  it('re-orders an unanswered replenishment; a late callback of the first order is applied once, not twice', async () => {
    const sku = uniqueSku('TIMEOUT');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 2, reorderPoint: 0, reorderQuantity: 40 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 2, customerId: 't' } })).status).toBe(201);
    const jobs = () => [...system.simulator!.jobs.values()].filter((j) => j.body.MessageAttributeProductId === sku);
    await waitFor('a second factory order', async () => jobs().length >= 2, 15_000);

    const rows = await system.inventory.db
      .selectFrom('replenishments')
      .selectAll()
      .where('sku', '=', sku)
      .orderBy('requested_at')
      .execute();
    expect(rows[0]!.status).toBe('timed_out');
    expect(rows.filter((r) => r.status === 'requested' || r.status === 'ordered')).toHaveLength(1);

    // The first order's goods arrive late, twice.
    const first = jobs()[0]!;
    expect((await post(first)).status).toBe(202);
    await waitFor('the late delivery', async () => (await system.api(`/products/${sku}`)).body.stock === 40);
    const again = await post(first);
    expect(again.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await system.api(`/products/${sku}`)).body.stock).toBe(40);
    const late = await system.inventory.db
      .selectFrom('replenishments')
      .select(['status'])
      .where('id', '=', rows[0]!.id)
      .executeTakeFirstOrThrow();
    expect(late.status).toBe('completed');
  });
});
