import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DashboardSnapshot } from '../../src/contract/dashboard.ts';
import { openApiPath } from '../../src/contract/openapi.ts';
import { topology } from '../../src/topology.ts';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
} from '../helpers/system.ts';

describeOnEachEngine('dashboard, docs and read model on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ FACTORY_STAGE_MS: '50' }, engine);
  });
  afterAll(async () => system?.destroy());

  const snapshot = async () => {
    const res = await system.api('/dashboard/snapshot');
    expect(res.status).toBe(200);
    return DashboardSnapshot.parse(res.body);
  };

  it('serves the page, its assets and the docs without a token', async () => {
    for (const path of ['/', '/docs', '/dashboard/assets/app.js', '/dashboard/assets/architecture.svg']) {
      const res = await system.api(path);
      expect(res.status, path).toBe(200);
    }
    expect((await system.api('/dashboard/assets/architecture.svg')).body).toContain('data-live="consume:');
  });

  it('serves /openapi.json as valid OpenAPI 3 covering every route', async () => {
    const res = await system.api('/openapi.json');
    expect(res.status).toBe(200);
    const result = await new Validator().validate(res.body);
    expect(result.errors).toBeUndefined();
    for (const route of topology.routes) {
      expect(res.body.paths[openApiPath(route.path)]?.[route.method.toLowerCase()], route.path).toBeDefined();
    }
  });

  it('shows a stock-out, its replenishment through every step, the mails and the buyers — anonymized', async () => {
    const sku = uniqueSku('DASH');
    const customer = `dana.${sku}@example.com`;
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 3, reorderPoint: 1, reorderQuantity: 20 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 3, customerId: customer } })).status).toBe(201);

    const restocked = await waitFor('the restock on the dashboard', async () => {
      const snap = await snapshot();
      const product = snap.products.find((p) => p.sku === sku);
      return product?.replenishment?.status === 'completed' &&
        snap.mails.some((m) => m.sku === sku && m.kind === 'resume_ads')
        ? snap
        : null;
    });
    const product = restocked.products.find((p) => p.sku === sku)!;
    expect(product.stock).toBe(20);
    const r = product.replenishment!;
    expect(r.orderedAt).not.toBeNull();
    expect(Date.parse(r.completedAt!)).toBeGreaterThanOrEqual(Date.parse(r.orderedAt!));
    // The simulator reports its stages and the callback that brought the goods.
    expect(r.factory).toMatchObject({ stage: 'done', stageIndex: 4, stages: 5 });
    expect(r.factory!.arrivedAt).not.toBeNull();
    expect(
      restocked.mails
        .filter((m) => m.sku === sku)
        .map((m) => m.kind)
        .sort(),
    ).toEqual(['pause_ads', 'resume_ads']);

    const order = restocked.orders.find((o) => o.sku === sku)!;
    expect(order).toMatchObject({ quantity: 3 });
    expect(order.id).toHaveLength(8);
    expect(restocked.flow.checkouts.placed).toBeGreaterThanOrEqual(1);
    expect(restocked.flow.published['order.placed']).toBeGreaterThanOrEqual(1);
    expect(restocked.queues.map((q) => q.name)).toEqual(topology.queues.map((q) => q.name));
    expect(restocked.throughput.orders.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);

    const buyer = await waitFor('the buyer on the dashboard', async () =>
      (await snapshot()).customers.find((c) => c.customer === order.customer),
    );
    expect(buyer.purchasedQuantity).toBe(3);
    // Public page: no customer id, no mail address.
    const raw = JSON.stringify(await snapshot());
    expect(raw).not.toContain(customer);
    expect(raw).not.toContain('@');
  });

  it('gives each product the reorder point and order in force, its measured demand and projected stock-out', async () => {
    const fixed = uniqueSku('DASHFIXED');
    const adaptive = uniqueSku('DASHADAPT');
    const put = (sku: string, fields: Record<string, unknown>) =>
      system.api(`/products/${sku}`, { method: 'PUT', json: productBody(fields), admin: true });
    expect((await put(fixed, { stock: 500, reorderPoint: 7, reorderQuantity: 40 })).status).toBe(201);
    expect(
      (await put(adaptive, { stock: 5000, reorderPoint: 0, reorderQuantity: 10, reorderPolicy: 'adaptive' })).status,
    ).toBe(201);
    for (let i = 0; i < 10; i++) {
      expect(
        (await system.api('/checkout', { json: { sku: adaptive, quantity: 20, customerId: 'dash' } })).status,
      ).toBe(201);
    }

    const { snap, product } = await waitFor('the adaptive plan on the dashboard', async () => {
      const snap = await snapshot();
      const product = snap.products.find((p) => p.sku === adaptive);
      if (!product?.planning.projectedStockOutAt || product.planning.effectiveReorderPoint === 0) return null;
      const row = await system.inventory.db
        .selectFrom('products')
        .select(['effective_reorder_point', 'effective_reorder_quantity'])
        .where('sku', '=', adaptive)
        .executeTakeFirstOrThrow();
      // The planning job may plan again between the two reads: then look again.
      return row.effective_reorder_point === product.planning.effectiveReorderPoint &&
        row.effective_reorder_quantity === product.planning.orderQuantity
        ? { snap, product }
        : null;
    });
    expect(product.reorderPolicy).toBe('adaptive');
    expect(product.planning.effectiveReorderPoint).toBeGreaterThan(product.reorderPoint);
    expect(product.planning.demandPerSecond).toBeGreaterThan(0);
    const expectedStockOut = Date.parse(snap.at) + (product.stock / product.planning.demandPerSecond) * 1000;
    expect(Math.abs(Date.parse(product.planning.projectedStockOutAt!) - expectedStockOut)).toBeLessThanOrEqual(1);

    expect(snap.products.find((p) => p.sku === fixed)).toMatchObject({
      reorderPolicy: 'fixed',
      reorderPoint: 7,
      reorderQuantity: 40,
      planning: { effectiveReorderPoint: 7, orderQuantity: 40, demandPerSecond: 0, projectedStockOutAt: null },
    });
  });

  it('pushes snapshots over Server-Sent Events through the gateway', async () => {
    const controller = new AbortController();
    const res = await fetch(`${system.url}/dashboard/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    controller.abort();
    const data = text
      .split('\n')
      .find((line) => line.startsWith('data:'))!
      .slice(5);
    expect(text).toContain('event: snapshot');
    expect(DashboardSnapshot.safeParse(JSON.parse(data)).success).toBe(true);
  });
});
