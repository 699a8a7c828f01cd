import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { planReplenishment } from '../../src/services/sales/planning/plan-replenishment.job.ts';
import { DEFAULT_PLANNING_SETTINGS } from '../../src/services/sales/planning/settings.ts';
import { ENGINES, productBody, startTestSystem, type TestSystem, uniqueSku } from '../helpers/system.ts';

/**
 * Refused checkouts are demand (docs/planning.md): place_orders() records the units a sold-out shelf
 * refused, per sku and second, at most one operator batch a second, and the planning job folds them
 * into the measured demand.
 */
describe.each(ENGINES)('refused demand on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // A slow factory keeps every replenishment open and no scheduled job runs: the test runs the
    // planning job itself.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000', SCHEDULE_INTERVAL_S: '86400' }, engine);
  });
  afterAll(async () => system?.destroy());

  const job = () =>
    planReplenishment({
      db: system.inventory.db,
      logger: createLogger('silent'),
      settings: DEFAULT_PLANNING_SETTINGS,
    })();
  async function createProduct(prefix: string, overrides: Record<string, unknown>): Promise<string> {
    const sku = uniqueSku(prefix);
    const created = await system.api(`/products/${sku}`, { method: 'PUT', json: productBody(overrides), admin: true });
    expect(created.status).toBe(201);
    return sku;
  }
  const buy = (sku: string, quantity: number) =>
    system.api('/checkout', { json: { sku, quantity, customerId: 'refused-demand' } });
  async function refusedRows(sku: string): Promise<number[]> {
    const rows = await system.inventory.db
      .selectFrom('refused_demand')
      .select('units')
      .where('sku', '=', sku)
      .orderBy('at_second')
      .execute();
    return rows.map((r) => r.units);
  }
  const demandOf = async (sku: string) =>
    (
      await system.inventory.db
        .selectFrom('product_planning')
        .select('demand_per_s')
        .where('sku', '=', sku)
        .executeTakeFirstOrThrow()
    ).demand_per_s;
  /** Moves what checkout recorded and what the job has observed ten seconds into the past, so it is settled. */
  async function settle() {
    await sql`update refused_demand set at_second = at_second - interval '10 seconds'`.execute(system.inventory.db);
    await sql`update product_planning set observed_until = observed_until - interval '20 seconds'`.execute(
      system.inventory.db,
    );
  }

  it('records refused units per sku, the short cart line only, and the job counts them as demand', async () => {
    const soldOut = await createProduct('SOLDOUT', { stock: 0, reorderQuantity: 30, reorderPolicy: 'adaptive' });
    const twin = await createProduct('QUIET', { stock: 0, reorderQuantity: 30, reorderPolicy: 'adaptive' });
    const stocked = await createProduct('STOCKED', { stock: 100, reorderQuantity: 30 });
    await job();

    for (let i = 0; i < 5; i++) expect((await buy(soldOut, 3)).status).toBe(409);
    const cart = await system.api('/checkout', {
      json: {
        items: [
          { sku: soldOut, quantity: 2 },
          { sku: stocked, quantity: 1 },
        ],
        customerId: 'refused-demand',
      },
    });
    expect(cart.status).toBe(409);
    expect((await refusedRows(soldOut)).reduce((a, b) => a + b, 0)).toBe(17);
    // The line that had stock was not refused for lack of it.
    expect(await refusedRows(stocked)).toEqual([]);
    expect(await refusedRows(twin)).toEqual([]);

    await settle();
    await job();
    expect(await demandOf(soldOut)).toBeGreaterThan(0);
    expect(await demandOf(twin)).toBe(0);
    // Folded seconds are deleted.
    expect(await refusedRows(soldOut)).toEqual([]);
  });

  it('counts at most reorderQuantity units a second however large or many the refused requests', async () => {
    const spammed = await createProduct('SPAMMED', { stock: 0, reorderQuantity: 30, reorderPolicy: 'adaptive' });
    await job();
    // Twenty refusals of the largest quantity the contract allows, sent together.
    const answers = await Promise.all(Array.from({ length: 20 }, () => buy(spammed, 1000)));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 409));
    const rows = await refusedRows(spammed);
    expect(rows.length).toBeGreaterThan(0);
    for (const units of rows) expect(units).toBeLessThanOrEqual(30);

    await settle();
    await job();
    // Demand folded from seconds of at most 30 units stays below 30 a second.
    const demand = await demandOf(spammed);
    expect(demand).toBeGreaterThan(0);
    expect(demand).toBeLessThanOrEqual(30);
  });
});
