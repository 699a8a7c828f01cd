import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../src/contract/events.ts';
import { placeOrders } from '../../src/services/sales/checkout.ts';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
} from '../helpers/system.ts';

/** How long keys are remembered in these calls of place_orders(): the default. */
const KEYS = { idempotencyTtlS: 86_400 };

describeOnEachEngine('sales on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // A slow factory: replenishments stay open for the whole suite.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000' }, engine);
  });
  afterAll(async () => system?.destroy());

  async function createProduct(overrides: Record<string, unknown> = {}): Promise<string> {
    const sku = uniqueSku();
    const put = await system.api(`/products/${sku}`, { method: 'PUT', json: productBody(overrides), admin: true });
    expect(put.status).toBe(201);
    return sku;
  }

  const buy = (sku: string, quantity: number, headers: Record<string, string> = {}, customerId = 'alice') =>
    system.api('/checkout', { json: { sku, quantity, customerId }, headers });

  async function countOrders(sku: string): Promise<number> {
    const row = await system.inventory.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The events of one type about these skus, as the outbox holds them, in order. */
  async function outboxEvents<T extends 'order.placed' | 'replenishment.requested'>(type: T, skus: string[]) {
    const rows = await system.inventory.db
      .selectFrom('outbox')
      .select(sql<string>`payload::text`.as('payload'))
      .where('type', '=', type)
      .where(sql<string>`payload->'data'->>'sku'`, 'in', skus)
      .orderBy('seq')
      .execute();
    return rows.map((row) => parseEvent(type, row.payload));
  }

  async function replenishments(sku: string) {
    return system.inventory.db.selectFrom('replenishments').selectAll().where('sku', '=', sku).execute();
  }

  it('runs on the engine it names', () => {
    expect(system.inventory.engine).toBe(engine);
  });

  describe('products', () => {
    it('lists the seeded donut CP-502101', async () => {
      const res = await system.api('/products');
      expect(res.status).toBe(200);
      expect(res.body.products.map((p: { sku: string }) => p.sku)).toContain('CP-502101');
    });

    it('creates with 201, replaces with 200, and reads back what was written', async () => {
      const sku = await createProduct({ price: 3.1, stock: 7 });
      const again = await system.api(`/products/${sku}`, {
        method: 'PUT',
        json: productBody({ stock: 9 }),
        admin: true,
      });
      expect(again.status).toBe(200);
      const got = await system.api(`/products/${sku}`);
      expect(got.body).toEqual({
        sku,
        name: 'Test Donut',
        price: 1.25,
        stock: 9,
        reorderPoint: 5,
        reorderQuantity: 30,
        factoryId: 'factory-test',
        replenishment: null,
        // Planning fields, added to the contract: a PUT without them keeps the fixed policy.
        reorderPolicy: 'fixed',
        serviceLevel: 0.95,
        orderMultiple: 1,
        maxOrderQuantity: null,
        planning: expect.objectContaining({ effectiveReorderPoint: 5, orderQuantity: 30 }),
      });
    });

    it('answers 404 product_not_found for an unknown sku', async () => {
      const res = await system.api('/products/NOPE-404');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('product_not_found');
    });

    it('PUT needs the admin token: 401 without it or with a wrong one, nothing written', async () => {
      const sku = uniqueSku();
      const none = await system.api(`/products/${sku}`, { method: 'PUT', json: productBody() });
      const wrong = await system.api(`/products/${sku}`, {
        method: 'PUT',
        json: productBody(),
        headers: { authorization: 'Bearer not-the-token' },
      });
      expect(none.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(none.body.error.code).toBe('unauthorized');
      expect((await system.api(`/products/${sku}`)).status).toBe(404);
    });
  });

  describe('checkout', () => {
    it('places an order, decrements stock and answers 201 with the order and what remains', async () => {
      const sku = await createProduct({ stock: 20 });
      const res = await buy(sku, 3);
      expect(res.status).toBe(201);
      expect(res.body.remaining).toBe(17);
      expect(res.body.order).toMatchObject({ sku, quantity: 3, customerId: 'alice' });
      expect(typeof res.body.order.id).toBe('string');
      expect((await system.api(`/products/${sku}`)).body.stock).toBe(17);
      expect(await countOrders(sku)).toBe(1);
    });

    it('answers 409 out_of_stock with what is available and the replenishment it opened', async () => {
      // The stock it finds is at the reorder point, so the refusal opens a replenishment.
      const sku = await createProduct({ stock: 2, reorderPoint: 2 });
      const res = await buy(sku, 3);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('out_of_stock');
      expect(res.body.available).toBe(2);
      expect(res.body.replenishment).toMatchObject({ status: 'requested', quantity: 30 });
      expect((await system.api(`/products/${sku}`)).body.stock).toBe(2);
      expect(await countOrders(sku)).toBe(0);
      // A second short checkout reuses the open replenishment.
      const again = await buy(sku, 5);
      expect(again.body.replenishment.id).toBe(res.body.replenishment.id);
      expect(await replenishments(sku)).toHaveLength(1);
    });

    it('a refused checkout that finds stock above the reorder point opens nothing: 409 with replenishment null', async () => {
      const sku = await createProduct({ stock: 100, reorderPoint: 10 });
      const res = await buy(sku, 1000);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ error: { code: 'out_of_stock' }, available: 100, replenishment: null });
      expect(await replenishments(sku)).toHaveLength(0);
      expect(await outboxEvents('replenishment.requested', [sku])).toHaveLength(0);
      expect((await system.api(`/products/${sku}`)).body).toMatchObject({ stock: 100, replenishment: null });
    });

    it('a refused checkout above the reorder point answers with the replenishment already open, and opens no second', async () => {
      const sku = await createProduct({ stock: 5, reorderPoint: 5 });
      const first = await buy(sku, 1000); // 5 available: at the reorder point, opens one
      expect(first.body.replenishment).toMatchObject({ status: 'requested', quantity: 30 });
      await system.api(`/products/${sku}`, {
        method: 'PUT',
        json: productBody({ stock: 100, reorderPoint: 5 }),
        admin: true,
      });
      const again = await buy(sku, 1000);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ available: 100, replenishment: { id: first.body.replenishment.id } });
      expect(await replenishments(sku)).toHaveLength(1);
      expect(await outboxEvents('replenishment.requested', [sku])).toHaveLength(1);
    });

    it.each([
      ['grouped (every key new and distinct)', false],
      ['item by item (a key repeated in the batch)', true],
    ])(
      'a batch, %s: a refusal above the reorder point opens nothing, one at or below it opens one',
      async (_path, repeatKey) => {
        const full = await createProduct({ stock: 100, reorderPoint: 10 });
        const low = await createProduct({ stock: 8, reorderPoint: 10 });
        const item = (sku: string, quantity: number, key: string) => ({
          request: { sku, quantity, customerId: 'refused' },
          idempotencyKey: `${key}-${sku}`,
          correlationId: key,
        });
        const outcomes = await placeOrders(
          system.inventory.db,
          [
            item(full, 1000, 'f-1'), // short, 100 available: above the point
            item(full, 1000, 'f-2'), // short again, from the same lookup
            item(full, 2, 'f-3'), // 98 left
            item(full, 999, 'f-4'), // short, 98 available: above the point
            item(low, 9, 'l-1'), // short, 8 available: at or below the point, opens one
            item(low, 1, repeatKey ? 'l-2' : 'l-3'),
            ...(repeatKey ? [item(low, 1, 'l-2')] : []),
          ],
          KEYS,
        );
        const answered = outcomes.map((o) => ('answer' in o ? o.answer.body.remaining : o.error.extra?.available));
        expect(answered).toEqual(repeatKey ? [100, 100, 98, 98, 8, 7, 7] : [100, 100, 98, 98, 8, 7]);
        expect(outcomes.slice(0, 4).map((o) => 'error' in o && o.error.extra?.replenishment)).toEqual([
          null,
          null,
          false,
          null,
        ]);
        expect(await replenishments(full)).toHaveLength(0);
        expect(await outboxEvents('replenishment.requested', [full])).toHaveLength(0);
        const [opened] = await replenishments(low);
        expect(await replenishments(low)).toHaveLength(1);
        expect('error' in outcomes[4]! && outcomes[4].error.extra?.replenishment).toMatchObject({ id: opened!.id });
      },
    );

    it('opens exactly one replenishment when a sale reaches the reorder point', async () => {
      const sku = await createProduct({ stock: 10, reorderPoint: 5 });
      expect((await buy(sku, 4)).status).toBe(201); // 6 left: above the point
      expect(await replenishments(sku)).toHaveLength(0);
      expect((await buy(sku, 1)).status).toBe(201); // 5 left: at the point
      expect((await buy(sku, 1)).status).toBe(201); // 4 left: one is open already
      const rows = await replenishments(sku);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ quantity: 30, factory_id: 'factory-test' });
      const product = (await system.api(`/products/${sku}`)).body;
      expect(product.replenishment).toMatchObject({ id: rows[0]!.id, quantity: 30 });
      // The factory order goes out through the outbox, the topic and the factory-orders queue.
      await waitFor('the factory order', async () =>
        [...system.simulator!.jobs.values()].find((job) => job.body.MessageAttributeProductId === sku),
      );
    });

    it('a batch in one call: each item sees the sales before it, and the replenishment a sale opened', async () => {
      const sku = await createProduct({ stock: 4, reorderPoint: 1 });
      const item = (quantity: number, correlationId: string) => ({
        request: { sku, quantity, customerId: 'batch' },
        correlationId,
      });
      const outcomes = await placeOrders(
        system.inventory.db,
        [
          item(3, 'sale-a'), // 1 left: at the reorder point, opens a replenishment
          item(5, 'short-b'), // 1 available, the replenishment sale-a opened
          item(1, 'sale-c'), // 0 left
          item(1, 'short-d'), // 0 available, not what short-b saw
        ],
        KEYS,
      );
      expect(outcomes.map((o) => ('answer' in o ? o.answer.body.remaining : o.error.extra?.available))).toEqual([
        1, 1, 0, 0,
      ]);
      const [opened] = await replenishments(sku);
      expect(await replenishments(sku)).toHaveLength(1);
      // Open: the factory-orders consumer may already have moved it past `requested`.
      expect(opened).toMatchObject({ quantity: 30, correlation_id: 'sale-a', completed_at: null });
      expect(outcomes.map((o) => ('error' in o ? o.error.extra?.replenishment : undefined))).toEqual([
        undefined,
        expect.objectContaining({ id: opened!.id, status: 'requested', quantity: 30 }),
        undefined,
        expect.objectContaining({ id: opened!.id }),
      ]);
      // Its event, written by the database, is the contract's replenishment.requested.
      const [event] = await outboxEvents('replenishment.requested', [sku]);
      expect(event).toMatchObject({
        correlationId: 'sale-a',
        data: {
          replenishmentId: opened!.id,
          sku,
          quantity: 30,
          factoryId: 'factory-test',
          stock: 1,
          requestedAt: new Date(opened!.requested_at).toISOString(),
        },
      });
    });

    it('a batch with new keys: each sku decremented by its total once, each item answered with the stock after it', async () => {
      const a = await createProduct({ stock: 10, reorderPoint: 4 });
      const b = await createProduct({ stock: 3, reorderPoint: 0 });
      const item = (sku: string, quantity: number, correlationId: string) => ({
        request: { sku, quantity, customerId: 'grouped' },
        idempotencyKey: `${correlationId}-${sku}`,
        correlationId,
      });
      const outcomes = await placeOrders(
        system.inventory.db,
        [
          item(a, 2, 'a-1'), // 8 left
          item(b, 2, 'b-1'), // 1 left; b's total (4) does not fit, so b goes item by item
          item(a, 3, 'a-2'), // 5 left
          item(b, 2, 'b-2'), // short: 1 available, above the reorder point
          item(a, 1, 'a-3'), // 4 left: at the reorder point, opens a replenishment
        ],
        KEYS,
      );
      expect(outcomes.map((o) => ('answer' in o ? o.answer.body.remaining : o.error.extra?.available))).toEqual([
        8, 1, 5, 1, 4,
      ]);
      expect('error' in outcomes[3]! && outcomes[3].error.code).toBe('out_of_stock');
      expect((await system.api(`/products/${a}`)).body.stock).toBe(4);
      expect((await system.api(`/products/${b}`)).body.stock).toBe(1);
      expect(await countOrders(a)).toBe(3);
      expect(await countOrders(b)).toBe(1);
      // What each order's event and stored answer say is the stock right after that order.
      const placed = await outboxEvents('order.placed', [a, b]);
      expect(placed.map((event) => event.data.remaining)).toEqual([8, 1, 5, 4]);
      const replay = await placeOrders(system.inventory.db, [item(a, 3, 'a-2')], KEYS);
      expect(replay[0]).toMatchObject({ answer: { replayed: true, body: { remaining: 5 } } });
      const [opened] = await replenishments(a);
      expect(await replenishments(a)).toHaveLength(1);
      expect(opened).toMatchObject({ correlation_id: 'a-3', completed_at: null });
      const requested = await outboxEvents('replenishment.requested', [a]);
      expect(requested.map((event) => event.data.stock)).toEqual([4]);
      // b's shortage found stock above its reorder point: it opened nothing.
      expect(await replenishments(b)).toHaveLength(0);
    });

    it('a batch with a key used before, or one key twice, replays those items and places the rest once', async () => {
      const sku = await createProduct({ stock: 10 });
      const item = (key: string) => ({
        request: { sku, quantity: 1, customerId: 'repeat' },
        idempotencyKey: `${key}-${sku}`,
        correlationId: key,
      });
      const [first] = await placeOrders(system.inventory.db, [item('k1')], KEYS);
      expect(first).toMatchObject({ answer: { replayed: false, body: { remaining: 9 } } });
      const outcomes = await placeOrders(system.inventory.db, [item('k1'), item('k2'), item('k2'), item('k3')], KEYS);
      expect(outcomes.map((o) => 'answer' in o && [o.answer.replayed, o.answer.body.remaining])).toEqual([
        [true, 9],
        [false, 8],
        [true, 8],
        [false, 7],
      ]);
      expect((await system.api(`/products/${sku}`)).body.stock).toBe(7);
      expect(await countOrders(sku)).toBe(3);
    });

    it('200 concurrent checkouts of 1 against stock 50: exactly 50 succeed, stock 0, one replenishment', async () => {
      const sku = await createProduct({ stock: 50, reorderPoint: 5 });
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => buy(sku, 1, {}, `crowd-${i}`)));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(50);
      expect(statuses.filter((s) => s === 409)).toHaveLength(150);
      const remaining = results.filter((r) => r.status === 201).map((r) => r.body.remaining as number);
      expect(Math.min(...remaining)).toBe(0);
      expect(new Set(remaining).size).toBe(50); // every sale saw its own decrement
      expect((await system.api(`/products/${sku}`)).body.stock).toBe(0);
      expect(await countOrders(sku)).toBe(50);
      expect(await replenishments(sku)).toHaveLength(1);
    });

    it('concurrent checkouts share transactions (group commit): fewer commits than orders', async () => {
      const sku = await createProduct({ stock: 1000, reorderPoint: 0 });
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => buy(sku, 1, {}, `group-${i}`)));
      expect(results.every((r) => r.status === 201)).toBe(true);
      // Rows written by one transaction carry its id in xmin: one commit per batch, not per order.
      const { rows } = await sql<{ orders: number; transactions: number }>`
        select count(*)::int as orders, count(distinct xmin::text)::int as transactions
        from orders where sku = ${sku}`.execute(system.inventory.db);
      expect(rows[0]!.orders).toBe(100);
      expect(rows[0]!.transactions).toBeLessThan(100);
    });

    it('Idempotency-Key: the same key and body replays the first answer and places no second order', async () => {
      const sku = await createProduct({ stock: 20 });
      const headers = { 'Idempotency-Key': `key-${sku}` };
      const first = await buy(sku, 2, headers);
      const second = await buy(sku, 2, headers);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await countOrders(sku)).toBe(1);
      expect((await system.api(`/products/${sku}`)).body.stock).toBe(18);
    });

    it('Idempotency-Key: the same key with another body is 422 idempotency_key_reused and changes nothing', async () => {
      const sku = await createProduct({ stock: 20 });
      const headers = { 'Idempotency-Key': `reuse-${sku}` };
      expect((await buy(sku, 2, headers)).status).toBe(201);
      const reused = await buy(sku, 3, headers);
      expect(reused.status).toBe(422);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
      expect(await countOrders(sku)).toBe(1);
      expect((await system.api(`/products/${sku}`)).body.stock).toBe(18);
    });

    it('Idempotency-Key: a rejected attempt is not remembered, so the key may be retried', async () => {
      const sku = await createProduct({ stock: 1, reorderPoint: 0 });
      const headers = { 'Idempotency-Key': `retry-${sku}` };
      expect((await buy(sku, 2, headers)).status).toBe(409);
      await system.api(`/products/${sku}`, {
        method: 'PUT',
        json: productBody({ stock: 10, reorderPoint: 0 }),
        admin: true,
      });
      const retried = await buy(sku, 2, headers);
      expect(retried.status).toBe(201);
      expect(retried.body.remaining).toBe(8);
    });

    it('Idempotency-Key: concurrent requests with one key place one order', async () => {
      const sku = await createProduct({ stock: 20 });
      const headers = { 'Idempotency-Key': `race-${sku}` };
      const results = await Promise.all(Array.from({ length: 10 }, () => buy(sku, 1, headers)));
      expect(results.every((r) => r.status === 201)).toBe(true);
      expect(new Set(results.map((r) => r.body.order.id)).size).toBe(1);
      expect(await countOrders(sku)).toBe(1);
    });
  });
});
