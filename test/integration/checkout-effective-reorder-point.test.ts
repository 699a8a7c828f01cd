import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../src/contract/events.ts';
import { placeOrders } from '../../src/services/sales/checkout.ts';
import { describeOnEachEngine, productBody, startTestSystem, type TestSystem, uniqueSku } from '../helpers/system.ts';

/**
 * Checkout opens an adaptive product's replenishment at its effective reorder point, with its effective
 * quantity (docs/planning.md), in every path of place_orders(); a fixed product as before.
 */
describeOnEachEngine('checkout at the effective reorder point on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // A slow factory keeps every replenishment open; no scheduled job runs during the suite, so the
    // plans the tests write stand as the planning job would have written them.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000', SCHEDULE_INTERVAL_S: '86400' }, engine);
  });
  afterAll(async () => system?.destroy());

  const put = (sku: string, overrides: Record<string, unknown>) =>
    system.api(`/products/${sku}`, { method: 'PUT', json: productBody(overrides), admin: true });
  async function createProduct(prefix: string, overrides: Record<string, unknown>): Promise<string> {
    const sku = uniqueSku(prefix);
    expect((await put(sku, overrides)).status).toBe(201);
    return sku;
  }
  /** What the planning job writes for an adaptive product. */
  async function plan(sku: string, effectiveReorderPoint: number, effectiveReorderQuantity: number) {
    const { numUpdatedRows } = await system.inventory.db
      .updateTable('products')
      .set({ effective_reorder_point: effectiveReorderPoint, effective_reorder_quantity: effectiveReorderQuantity })
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
    expect(numUpdatedRows).toBe(1n);
  }
  const effectiveOf = (sku: string) =>
    system.inventory.db
      .selectFrom('products')
      .select(['effective_reorder_point', 'effective_reorder_quantity'])
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
  const buy = (sku: string, quantity: number) =>
    system.api('/checkout', { json: { sku, quantity, customerId: 'effective' } });
  const buyCart = (items: { sku: string; quantity: number }[]) =>
    system.api('/checkout', { json: { items, customerId: 'effective' } });
  const replenishments = (sku: string) =>
    system.inventory.db.selectFrom('replenishments').select(['quantity', 'status']).where('sku', '=', sku).execute();
  /** The quantity of every `replenishment.requested` written for `sku`: what the factory is asked for. */
  async function requestedQuantities(sku: string): Promise<number[]> {
    const rows = await system.inventory.db
      .selectFrom('outbox')
      .select(sql<string>`payload::text`.as('payload'))
      .where('type', '=', 'replenishment.requested')
      .where(sql<string>`payload->'data'->>'sku'`, '=', sku)
      .execute();
    return rows.map((row) => parseEvent('replenishment.requested', row.payload).data.quantity);
  }

  describe('where the plan must not act', () => {
    it('reorders an adaptive product the job has not planned yet at its reorderPoint, reorderQuantity units', async () => {
      const sku = await createProduct('UNPLANNED', {
        stock: 20,
        reorderPoint: 5,
        reorderQuantity: 30,
        reorderPolicy: 'adaptive',
      });
      expect(await effectiveOf(sku)).toEqual({ effective_reorder_point: null, effective_reorder_quantity: null });
      expect((await buy(sku, 14)).body.remaining).toBe(6);
      expect(await replenishments(sku)).toEqual([]);
      expect((await buy(sku, 1)).body.remaining).toBe(5);
      expect(await replenishments(sku)).toEqual([{ quantity: 30, status: expect.any(String) }]);
      expect(await requestedQuantities(sku)).toEqual([30]);
    });

    it('forgets the plan of a product switched back to fixed by PUT: stock at the old effective point opens nothing', async () => {
      const sku = await createProduct('BACKTOFIXED', {
        stock: 100,
        reorderPoint: 5,
        reorderQuantity: 30,
        reorderPolicy: 'adaptive',
      });
      await plan(sku, 50, 200);
      const fixed = await put(sku, { stock: 100, reorderPoint: 5, reorderQuantity: 30 });
      expect(fixed.status).toBe(200);
      expect(fixed.body).toMatchObject({ reorderPolicy: 'fixed', planning: { effectiveReorderPoint: 5 } });
      expect(await effectiveOf(sku)).toEqual({ effective_reorder_point: null, effective_reorder_quantity: null });

      expect((await buy(sku, 60)).body.remaining).toBe(40);
      const refused = await buy(sku, 41);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ available: 40, replenishment: null });
      expect(await replenishments(sku)).toEqual([]);

      expect((await buy(sku, 35)).body.remaining).toBe(5);
      expect(await replenishments(sku)).toEqual([{ quantity: 30, status: expect.any(String) }]);
      expect(await requestedQuantities(sku)).toEqual([30]);
    });

    it('opens nothing and asks for nothing when a refused checkout finds stock above the effective point', async () => {
      const sku = await createProduct('ABOVE', {
        stock: 30,
        reorderPoint: 5,
        reorderQuantity: 30,
        reorderPolicy: 'adaptive',
      });
      await plan(sku, 29, 80);
      const refused = await buy(sku, 31);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: { code: 'out_of_stock' }, available: 30, replenishment: null });
      expect(await replenishments(sku)).toEqual([]);
      expect(await requestedQuantities(sku)).toEqual([]);
    });
  });

  describe('where it acts', () => {
    it('opens one replenishment of the effective quantity when a sale reaches the effective point; a fixed twin opens none', async () => {
      const numbers = { stock: 100, reorderPoint: 5, reorderQuantity: 30 };
      const adaptive = await createProduct('ADAPTIVE', { ...numbers, reorderPolicy: 'adaptive' });
      const fixed = await createProduct('FIXED', numbers);
      await plan(adaptive, 40, 120);

      expect((await buy(adaptive, 59)).body.remaining).toBe(41);
      expect(await replenishments(adaptive)).toEqual([]);
      expect((await buy(adaptive, 1)).body.remaining).toBe(40);
      expect((await buy(adaptive, 1)).body.remaining).toBe(39);
      expect(await replenishments(adaptive)).toEqual([{ quantity: 120, status: expect.any(String) }]);
      expect(await requestedQuantities(adaptive)).toEqual([120]);
      const shown = (await system.api(`/products/${adaptive}`)).body;
      expect(shown).toMatchObject({
        reorderPoint: 5,
        reorderQuantity: 30,
        replenishment: { quantity: 120 },
        planning: { effectiveReorderPoint: 40, orderQuantity: 120 },
      });

      expect((await buy(fixed, 60)).body.remaining).toBe(40);
      expect(await replenishments(fixed)).toEqual([]);
      expect((await buy(fixed, 35)).body.remaining).toBe(5);
      expect(await replenishments(fixed)).toEqual([{ quantity: 30, status: expect.any(String) }]);
    });

    it('opens the effective quantity when a refused checkout finds stock at the effective point, and names it', async () => {
      const numbers = { stock: 30, reorderPoint: 5, reorderQuantity: 30 };
      const adaptive = await createProduct('SHORT', { ...numbers, reorderPolicy: 'adaptive' });
      const fixed = await createProduct('SHORTFIXED', numbers);
      await plan(adaptive, 30, 90);

      const refused = await buy(adaptive, 31);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ available: 30, replenishment: { quantity: 90 } });
      expect(await replenishments(adaptive)).toEqual([{ quantity: 90, status: expect.any(String) }]);
      expect(await requestedQuantities(adaptive)).toEqual([90]);

      const fixedRefused = await buy(fixed, 31);
      expect(fixedRefused.status).toBe(409);
      expect(fixedRefused.body).toMatchObject({ available: 30, replenishment: null });
      expect(await replenishments(fixed)).toEqual([]);
    });

    it('opens each cart line’s replenishment at its own effective point and quantity, for a sale and a shortage', async () => {
      const numbers = { stock: 50, reorderPoint: 5, reorderQuantity: 30 };
      const reached = await createProduct('CARTREACHED', { ...numbers, reorderPolicy: 'adaptive' });
      const notReached = await createProduct('CARTABOVE', { ...numbers, reorderPolicy: 'adaptive' });
      const fixed = await createProduct('CARTFIXED', numbers);
      await plan(reached, 45, 100);
      await plan(notReached, 10, 70);

      const sold = await buyCart([
        { sku: reached, quantity: 5 },
        { sku: notReached, quantity: 5 },
        { sku: fixed, quantity: 5 },
      ]);
      expect(sold.status).toBe(201);
      expect(sold.body.remaining).toEqual({ [reached]: 45, [notReached]: 45, [fixed]: 45 });
      expect(await replenishments(reached)).toEqual([{ quantity: 100, status: expect.any(String) }]);
      expect(await replenishments(notReached)).toEqual([]);
      expect(await replenishments(fixed)).toEqual([]);

      const short = await createProduct('CARTSHORT', { ...numbers, stock: 10, reorderPolicy: 'adaptive' });
      await plan(short, 10, 60);
      const refused = await buyCart([
        { sku: short, quantity: 11 },
        { sku: fixed, quantity: 1 },
      ]);
      expect(refused.status).toBe(409);
      expect(refused.body.shortages).toMatchObject([
        { sku: short, requested: 11, available: 10, replenishment: { quantity: 60 } },
      ]);
      expect(await requestedQuantities(short)).toEqual([60]);
      expect(await replenishments(fixed)).toEqual([]);
    });

    it('adds the shortfall below the effective point to the order, rounded to the multiple and capped; a fixed product does not', async () => {
      const adaptive = await createProduct('TOPUP', {
        stock: 50,
        reorderPoint: 5,
        reorderQuantity: 30,
        reorderPolicy: 'adaptive',
      });
      await plan(adaptive, 40, 100);
      expect((await buy(adaptive, 30)).body.remaining).toBe(20);
      expect(await requestedQuantities(adaptive)).toEqual([120]);

      const multiple = await createProduct('TOPUPMULTIPLE', {
        stock: 50,
        reorderPoint: 5,
        reorderQuantity: 25,
        reorderPolicy: 'adaptive',
        orderMultiple: 25,
      });
      await plan(multiple, 40, 100);
      // A refusal on an empty-ish shelf: 100 + (40 − 10) = 130, rounded up to 150.
      expect((await buy(multiple, 40)).body.remaining).toBe(10);
      expect(await requestedQuantities(multiple)).toEqual([150]);

      const capped = await createProduct('TOPUPCAP', {
        stock: 50,
        reorderPoint: 5,
        reorderQuantity: 30,
        reorderPolicy: 'adaptive',
        maxOrderQuantity: 110,
      });
      await plan(capped, 40, 100);
      expect((await buy(capped, 50)).body.remaining).toBe(0);
      expect(await requestedQuantities(capped)).toEqual([110]);

      const fixed = await createProduct('TOPUPFIXED', { stock: 50, reorderPoint: 40, reorderQuantity: 100 });
      expect((await buy(fixed, 50)).body.remaining).toBe(0);
      expect(await requestedQuantities(fixed)).toEqual([100]);
    });

    it('acts on the effective point for single-sku sales taken one by one (a key repeated in the batch)', async () => {
      const sku = await createProduct('ONEBYONE', {
        stock: 100,
        reorderPoint: 5,
        reorderQuantity: 30,
        reorderPolicy: 'adaptive',
      });
      await plan(sku, 70, 150);
      const key = randomUUID();
      // Two items under one key: the batch cannot be decremented as one, each item goes on its own.
      const item = { request: { sku, quantity: 30, customerId: 'effective' }, idempotencyKey: key, correlationId: key };
      const outcomes = await placeOrders(system.inventory.db, [item, item], { idempotencyTtlS: 86_400 });
      expect(outcomes.map((o) => ('answer' in o ? [o.answer.status, o.answer.replayed] : o.error.status))).toEqual([
        [201, false],
        [201, true],
      ]);
      expect(await replenishments(sku)).toEqual([{ quantity: 150, status: expect.any(String) }]);
      expect(await requestedQuantities(sku)).toEqual([150]);
    });
  });
});
