import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
} from '../helpers/system.ts';

describeOnEachEngine('replenishment planning on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // The planning job runs every second; the factory simulator delivers in a fraction of a second.
    system = await startTestSystem({ SCHEDULE_INTERVAL_S: '1', PLANNING_DEFAULT_LEAD_TIME_S: '45' }, engine);
  });
  afterAll(async () => system?.destroy());

  const product = async (sku: string) => (await system.api(`/products/${sku}`)).body;
  const put = (sku: string, overrides: Record<string, unknown>) =>
    system.api(`/products/${sku}`, { method: 'PUT', json: productBody(overrides), admin: true });
  const buy = (sku: string, quantity: number) =>
    system.api('/checkout', { json: { sku, quantity, customerId: 'planner' } });

  it('keeps a product without planning fields fixed, as before, and shows its planning', async () => {
    const sku = uniqueSku('FIXED');
    const created = await put(sku, { reorderPoint: 5, reorderQuantity: 30 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      reorderPoint: 5,
      reorderQuantity: 30,
      reorderPolicy: 'fixed',
      serviceLevel: 0.95,
      orderMultiple: 1,
      maxOrderQuantity: null,
      planning: {
        demandPerSecond: 0,
        leadTimeS: 45,
        leadTimeDeliveries: 0,
        effectiveReorderPoint: 5,
        orderQuantity: 30,
        projectedStockOutAt: null,
      },
    });
    const row = await system.inventory.db
      .selectFrom('products')
      .select(['effective_reorder_point', 'effective_reorder_quantity'])
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ effective_reorder_point: null, effective_reorder_quantity: null });
  });

  it('answers 400 in the error shape for bad planning fields and changes nothing', async () => {
    const sku = uniqueSku('BAD');
    expect((await put(sku, { stock: 7 })).status).toBe(201);
    const cases: [Record<string, unknown>, string][] = [
      [{ reorderPolicy: 'magic' }, 'reorderPolicy'],
      [{ reorderPolicy: null }, 'reorderPolicy'],
      [{ serviceLevel: 1 }, 'serviceLevel'],
      [{ serviceLevel: 0.2 }, 'serviceLevel'],
      [{ serviceLevel: '0.9' }, 'serviceLevel'],
      [{ orderMultiple: 0 }, 'orderMultiple'],
      [{ orderMultiple: 2.5 }, 'orderMultiple'],
      [{ maxOrderQuantity: 10, reorderQuantity: 30 }, 'maxOrderQuantity'],
    ];
    for (const [fields, field] of cases) {
      const res = await put(sku, { stock: 99, reorderPolicy: 'adaptive', ...fields });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect(await product(sku)).toMatchObject({ stock: 7, reorderPolicy: 'fixed' });
  });

  it('raises the demand of an adaptive product from its sales and plans its reorder point from it', async () => {
    const sku = uniqueSku('ADAPT');
    const put1 = await put(sku, {
      stock: 5000,
      reorderPoint: 0,
      reorderQuantity: 10,
      reorderPolicy: 'adaptive',
      serviceLevel: 0.99,
      orderMultiple: 25,
      maxOrderQuantity: 100_000,
    });
    expect(put1.status).toBe(201);
    expect(put1.body).toMatchObject({ reorderPolicy: 'adaptive', serviceLevel: 0.99, orderMultiple: 25 });
    for (let i = 0; i < 20; i++) expect((await buy(sku, 10)).status).toBe(201);

    const planned = await waitFor('demand measured and planned', async () => {
      const p = await product(sku);
      return p.planning.demandPerSecond > 0 && p.planning.effectiveReorderPoint > 0 ? p : null;
    });
    const { planning } = planned;
    expect(planning.effectiveReorderPoint).toBe(planning.suggestedReorderPoint);
    expect(planning.orderQuantity % 25).toBe(0);
    expect(planning.orderQuantity).toBeGreaterThanOrEqual(25);
    expect(planning.projectedStockOutAt).not.toBeNull();
    expect(Date.parse(planning.projectedStockOutAt)).toBeGreaterThan(Date.now());
    // What replenishment acts on is stored on the product row.
    const row = await system.inventory.db
      .selectFrom('products')
      .select(['effective_reorder_point', 'effective_reorder_quantity'])
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
    expect(row.effective_reorder_point).toBeGreaterThan(0);
    expect(row.effective_reorder_quantity! % 25).toBe(0);

    // Back to fixed: the operator's values are in force again at once.
    const fixed = await put(sku, { stock: 5000, reorderPoint: 3, reorderQuantity: 10 });
    expect(fixed.body.planning).toMatchObject({ effectiveReorderPoint: 3, orderQuantity: 10 });
    expect(fixed.body.planning.suggestedReorderPoint).toBeGreaterThan(0);
  });

  it('records each delivery’s lead time and measures the factory from three of them', async () => {
    const sku = uniqueSku('LEAD');
    const factoryId = uniqueSku('factory');
    await put(sku, { stock: 2, reorderPoint: 1, reorderQuantity: 10, factoryId });
    for (let delivery = 1; delivery <= 3; delivery++) {
      const stock = (await product(sku)).stock;
      expect((await buy(sku, stock - 1)).status).toBe(201);
      await waitFor(`delivery ${delivery}`, async () => (await product(sku)).stock === 1 + 10);
      // Stock is back above the reorder point with nothing open: the next sale opens the next one.
      await waitFor('the replenishment closed', async () => (await product(sku)).replenishment === null);
    }
    const rows = await system.inventory.db
      .selectFrom('replenishments')
      .select(['status', 'lead_time_s'])
      .where('sku', '=', sku)
      .execute();
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.status).toBe('completed');
      expect(r.lead_time_s).toBeGreaterThan(0);
      expect(r.lead_time_s).toBeLessThan(30);
    }
    const measured = await waitFor('the lead time measured', async () => {
      const p = await product(sku);
      return p.planning.leadTimeDeliveries === 3 ? p.planning : null;
    });
    // The simulator is fast: far below the configured default.
    expect(measured.leadTimeS).toBeLessThan(30);
  });

  it('reports every product in the replenishment plan, as JSON and as CSV, to the admin only', async () => {
    const sku = uniqueSku('PLAN');
    await put(sku, { stock: 40, reorderPoint: 4, reorderQuantity: 12, name: 'Plan, "the" donut' });
    expect((await buy(sku, 3)).status).toBe(201);

    const json = await system.api('/ops/replenishment-plan', { admin: true });
    expect(json.status).toBe(200);
    const line = json.body.lines.find((l: { sku: string }) => l.sku === sku);
    expect(line).toMatchObject({
      sku,
      reorderPolicy: 'fixed',
      stock: 37,
      onOrder: 0,
      effectiveReorderPoint: 4,
      orderQuantity: 12,
      orderNow: expect.any(Boolean),
    });
    expect(json.body.lines.map((l: { sku: string }) => l.sku)).toContain('CP-502101');

    const csv = await system.api('/ops/replenishment-plan', { admin: true, headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (csv.body as string).split('\r\n');
    expect(lines[0]).toMatch(/^sku,name,factoryId,reorderPolicy,stock,onOrder,demandPerSecond/);
    const csvLine = lines.find((l) => l.startsWith(`${sku},`));
    expect(csvLine).toMatch(new RegExp(`^${sku},"Plan, ""the"" donut",factory-test,fixed,37,0,`));

    expect((await system.api('/ops/replenishment-plan')).status).toBe(401);
    expect((await system.api('/ops/replenishment-plan', { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
  });
});
