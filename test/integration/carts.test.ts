import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseEvent } from '../../src/contract/events.ts';
import {
  CartCheckoutResponse,
  CartOrderResponse,
  CartOutOfStockResponse,
  OrderEnvelopeResponse,
  OrderViewResponse,
} from '../../src/contract/responses.ts';
import { placeOrders } from '../../src/services/sales/checkout.ts';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
  waitForQueueDrained,
} from '../helpers/system.ts';

interface Line {
  sku: string;
  quantity: number;
}

describeOnEachEngine('carts and cancellations on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // A slow factory: replenishments stay open for the whole suite.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000' }, engine);
  });
  afterAll(async () => system?.destroy());

  async function createProduct(overrides: Record<string, unknown> = {}): Promise<string> {
    const sku = uniqueSku('CART');
    const put = await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ reorderPoint: 0, ...overrides }),
      admin: true,
    });
    expect(put.status).toBe(201);
    return sku;
  }

  const buyCart = (items: Line[], customerId = 'alice', headers: Record<string, string> = {}) =>
    system.api('/checkout', { json: { items, customerId }, headers });
  const buy = (sku: string, quantity: number, customerId = 'alice') =>
    system.api('/checkout', { json: { sku, quantity, customerId } });
  const cancel = (id: string) => system.api(`/orders/${id}/cancel`, { method: 'POST', admin: true });
  const order = (id: string) => system.api(`/orders/${id}`, { admin: true });
  const stockOf = async (sku: string): Promise<number> => (await system.api(`/products/${sku}`)).body.stock;

  async function ordersOf(customerId: string) {
    return system.inventory.db.selectFrom('orders').selectAll().where('customer_id', '=', customerId).execute();
  }

  async function outboxEvents<T extends 'order.placed' | 'order.cancelled'>(type: T, orderId: string) {
    const rows = await system.inventory.db
      .selectFrom('outbox')
      .select(sql<string>`payload::text`.as('payload'))
      .where('type', '=', type)
      .where(sql<string>`payload->'data'->>'orderId'`, '=', orderId)
      .execute();
    return rows.map((row) => parseEvent(type, row.payload));
  }

  const customer = (id: string) => system.api(`/customers/${encodeURIComponent(id)}`);
  const purchased = (id: string, quantity: number) =>
    waitFor(`customer ${id} at ${quantity}`, async () => {
      const res = await customer(id);
      return res.status === 200 && res.body.purchasedQuantity === quantity ? res.body : undefined;
    });

  describe('cart checkout', () => {
    it('sells every line in one order, answers the remaining stock per sku, and publishes one event with its lines', async () => {
      const a = await createProduct({ stock: 10 });
      const b = await createProduct({ stock: 20 });
      const customerId = `cart-${randomUUID()}`;
      const res = await buyCart(
        [
          { sku: b, quantity: 5 },
          { sku: a, quantity: 3 },
        ],
        customerId,
      );
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        order: {
          id: expect.any(String),
          customerId,
          items: [
            { sku: b, quantity: 5 },
            { sku: a, quantity: 3 },
          ],
          createdAt: expect.any(String),
        },
        remaining: { [a]: 7, [b]: 15 },
      });
      expect(await stockOf(a)).toBe(7);
      expect(await stockOf(b)).toBe(15);

      const got = await order(res.body.order.id);
      expect(got.status).toBe(200);
      expect(got.body.order).toEqual({
        id: res.body.order.id,
        customerId,
        items: [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 5 },
        ].sort((x, y) => (x.sku < y.sku ? -1 : 1)),
        status: 'placed',
        createdAt: res.body.order.createdAt,
        cancelledAt: null,
      });

      const events = await outboxEvents('order.placed', res.body.order.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ customerId, quantity: 8 });
      expect(events[0]!.data.items).toEqual(
        expect.arrayContaining([
          { sku: a, quantity: 3 },
          { sku: b, quantity: 5 },
        ]),
      );
      // Customers count the sum of the lines.
      await purchased(customerId, 8);
    });

    it('sells nothing when one line does not fit, and lists one shortage per line that did not fit', async () => {
      const fits = await createProduct({ stock: 10 });
      const short = await createProduct({ stock: 2, reorderPoint: 5 });
      const shortAboveReorder = await createProduct({ stock: 4, reorderPoint: 1 });
      const customerId = `short-${randomUUID()}`;
      const res = await buyCart(
        [
          { sku: fits, quantity: 1 },
          { sku: short, quantity: 3 },
          { sku: shortAboveReorder, quantity: 9 },
        ],
        customerId,
      );
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('out_of_stock');
      const shortages = [...res.body.shortages].sort((x: Line, y: Line) => (x.sku < y.sku ? -1 : 1));
      expect(shortages).toEqual(
        [
          {
            sku: short,
            requested: 3,
            available: 2,
            // At or below the reorder point: the refusal opened its replenishment.
            replenishment: {
              id: expect.any(String),
              status: expect.any(String),
              quantity: 30,
              requestedAt: expect.any(String),
            },
          },
          { sku: shortAboveReorder, requested: 9, available: 4, replenishment: null },
        ].sort((x, y) => (x.sku < y.sku ? -1 : 1)),
      );
      expect(await stockOf(fits)).toBe(10);
      expect(await stockOf(short)).toBe(2);
      expect(await stockOf(shortAboveReorder)).toBe(4);
      expect(await ordersOf(customerId)).toHaveLength(0);
    });

    it('answers 404 naming every unknown sku, and sells nothing', async () => {
      const known = await createProduct({ stock: 10 });
      const unknown = uniqueSku('NOPE');
      const res = await buyCart([
        { sku: known, quantity: 1 },
        { sku: unknown, quantity: 1 },
      ]);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('product_not_found');
      expect(res.body.error.details).toEqual([{ field: 'items.sku', message: expect.stringContaining(unknown) }]);
      expect(await stockOf(known)).toBe(10);
    });

    it('refuses a repeated sku, an empty cart and 51 lines with 400, selling nothing', async () => {
      const sku = await createProduct({ stock: 100 });
      const repeated = await buyCart([
        { sku, quantity: 1 },
        { sku, quantity: 2 },
      ]);
      expect(repeated.status).toBe(400);
      expect(repeated.body.error.code).toBe('invalid_request');
      expect((await buyCart([])).status).toBe(400);
      const many = Array.from({ length: 51 }, (_, n) => ({ sku: `${sku}-${n}`, quantity: 1 }));
      const tooMany = await buyCart(many);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.code).toBe('invalid_request');
      // 50 lines is allowed (here: unknown skus, so 404, not 400).
      expect((await buyCart(many.slice(0, 50))).status).toBe(404);
      expect((await buyCart([{ sku, quantity: '1' } as unknown as Line])).status).toBe(400);
      expect(await stockOf(sku)).toBe(100);
    });

    it('refuses hostile text and numbers in a cart line or its customer with 400, selling nothing', async () => {
      const sku = await createProduct({ stock: 100 });
      const hostile: [string, Promise<{ status: number; body: any }>][] = [
        [
          'lone surrogate in a line sku',
          buyCart([
            { sku, quantity: 1 },
            { sku: 'GL\ud800', quantity: 1 },
          ]),
        ],
        ['NUL in a line sku', buyCart([{ sku: `${sku}\u0000`, quantity: 1 }])],
        ['2^53 as a quantity', buyCart([{ sku, quantity: 2 ** 53 }])],
        ['a fraction as a quantity', buyCart([{ sku, quantity: 1.5 }])],
        ['lone surrogate as the customer', buyCart([{ sku, quantity: 1 }], '\udc00x')],
        ['NUL in the customer', buyCart([{ sku, quantity: 1 }], 'a\u0000b')],
      ];
      for (const [what, answer] of hostile) {
        const res = await answer;
        expect(res.status, what).toBe(400);
        expect(res.body.error.code, what).toBe('invalid_request');
      }
      expect(await stockOf(sku)).toBe(100);
    });

    it('replays a cart under its Idempotency-Key, and refuses the key with another cart', async () => {
      const a = await createProduct({ stock: 10 });
      const b = await createProduct({ stock: 10 });
      const key = { 'Idempotency-Key': randomUUID() };
      const customerId = `idem-${randomUUID()}`;
      const items = [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 1 },
      ];
      const first = await buyCart(items, customerId, key);
      expect(first.status).toBe(201);
      const again = await buyCart([...items].reverse(), customerId, key);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const other = await buyCart([{ sku: a, quantity: 3 }], customerId, key);
      expect(other.status).toBe(422);
      expect(await stockOf(a)).toBe(8);
      expect(await ordersOf(customerId)).toHaveLength(1);
    });

    it('opens the replenishment of each line that leaves its sku at or below the reorder point', async () => {
      const low = await createProduct({ stock: 10, reorderPoint: 5 });
      const high = await createProduct({ stock: 10, reorderPoint: 1 });
      const res = await buyCart([
        { sku: low, quantity: 6 },
        { sku: high, quantity: 2 },
      ]);
      expect(res.status).toBe(201);
      const open = async (sku: string) =>
        system.inventory.db.selectFrom('replenishments').select('status').where('sku', '=', sku).execute();
      expect(await open(low)).toHaveLength(1);
      expect(await open(high)).toHaveLength(0);
    });

    it.each([
      ['every key new', false],
      ['a repeated key (item by item)', true],
    ])(
      'batches carts with single-sku checkouts in one call (%s): a cart that does not fit fails alone',
      async (_path, repeatKey) => {
        const a = await createProduct({ stock: 10 });
        const b = await createProduct({ stock: 5 });
        const customerId = `batch-${randomUUID()}`;
        const item = (request: object, key: string) => ({
          request: { ...request, customerId } as never,
          idempotencyKey: key,
          correlationId: key,
        });
        const outcomes = await placeOrders(
          system.inventory.db,
          [
            item({ sku: a, quantity: 2 }, 'one'),
            item(
              {
                items: [
                  { sku: a, quantity: 3 },
                  { sku: b, quantity: 4 },
                ],
              },
              'cart-fits',
            ),
            item(
              {
                items: [
                  { sku: b, quantity: 2 },
                  { sku: a, quantity: 1 },
                ],
              },
              'cart-short',
            ),
            item({ sku: a, quantity: 1 }, repeatKey ? 'one' : 'two'),
            item({ sku: b, quantity: 1 }, 'three'),
          ],
          { idempotencyTtlS: 86_400 },
        );
        const status = outcomes.map((o) => ('answer' in o ? o.answer.status : o.error.status));
        expect(status).toEqual([201, 201, 409, repeatKey ? 422 : 201, 201]);
        // The batch's single-sku sales are decremented together, before its carts look: the short cart
        // finds b after them (0, or 1 had it come first): either way 2 do not fit.
        const shortages = 'error' in outcomes[2]! ? (outcomes[2].error.extra.shortages as Line[]) : [];
        expect(shortages).toMatchObject([{ sku: b, requested: 2 }]);
        expect((shortages[0] as unknown as { available: number }).available).toBeLessThanOrEqual(1);
        expect('answer' in outcomes[1]! && outcomes[1].answer.body.remaining).toEqual({
          [a]: expect.any(Number),
          [b]: expect.any(Number),
        });
        // a: 2 + 3 (+ 1) sold, b: 4 + 1; the short cart sold nothing.
        expect(await stockOf(a)).toBe(repeatKey ? 5 : 4);
        expect(await stockOf(b)).toBe(0);
        expect(await ordersOf(customerId)).toHaveLength(repeatKey ? 3 : 4);
      },
    );

    it('never oversells or deadlocks: carts sharing skus in opposite orders, with single-sku checkouts', async () => {
      const a = await createProduct({ stock: 30 });
      const b = await createProduct({ stock: 30 });
      const customerId = `race-${randomUUID()}`;
      const attempts = [
        ...Array.from({ length: 40 }, () =>
          buyCart(
            [
              { sku: a, quantity: 1 },
              { sku: b, quantity: 1 },
            ],
            customerId,
          ),
        ),
        ...Array.from({ length: 40 }, () =>
          buyCart(
            [
              { sku: b, quantity: 1 },
              { sku: a, quantity: 1 },
            ],
            customerId,
          ),
        ),
        ...Array.from({ length: 20 }, () => buy(a, 1, customerId)),
      ];
      const answers = await Promise.all(attempts);
      expect(answers.every((r) => r.status === 201 || r.status === 409)).toBe(true);
      const cartsSold = answers.slice(0, 80).filter((r) => r.status === 201).length;
      const singlesSold = answers.slice(80).filter((r) => r.status === 201).length;
      expect(cartsSold + singlesSold).toBeGreaterThan(0);
      const stockA = await stockOf(a);
      const stockB = await stockOf(b);
      expect(stockA).toBe(30 - cartsSold - singlesSold);
      expect(stockB).toBe(30 - cartsSold);
      expect(stockA).toBeGreaterThanOrEqual(0);
      expect(stockB).toBeGreaterThanOrEqual(0);
      // Everything that fits is sold: b runs out unless a ran out first.
      expect(stockA === 0 || stockB === 0).toBe(true);
      expect(await ordersOf(customerId)).toHaveLength(cartsSold + singlesSold);
    });
  });

  it('answers a cart, its refusal and its order in the shapes the OpenAPI document gives', async () => {
    const a = await createProduct({ stock: 5 });
    const b = await createProduct({ stock: 1 });
    const placed = await buyCart([{ sku: a, quantity: 2 }]);
    expect(placed.status).toBe(201);
    const refused = await buyCart([
      { sku: a, quantity: 1 },
      { sku: b, quantity: 2 },
    ]);
    expect(refused.status).toBe(409);
    const got = await order(placed.body.order.id);
    const cancelled = await cancel(placed.body.order.id);
    // The schemas the document is made of (src/contract/operations.ts), field for field.
    const same = (schema: z.ZodObject, body: unknown) => {
      expect(schema.parse(body)).toEqual(body);
      expect(Object.keys(body as object).sort()).toEqual(Object.keys(schema.shape).sort());
    };
    same(CartCheckoutResponse, placed.body);
    same(CartOrderResponse, placed.body.order);
    same(CartOutOfStockResponse, refused.body);
    for (const res of [got, cancelled]) {
      same(OrderEnvelopeResponse, res.body);
      same(OrderViewResponse, res.body.order);
    }
    expect(cancelled.body.order).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
  });

  describe('unknown skus in a cart', () => {
    it('answers 404 naming every unknown sku of a cart that also holds a short and a valid line; sells and opens nothing', async () => {
      const valid = await createProduct({ stock: 10 });
      // At its reorder point and too short: a refused single-sku checkout would open its replenishment.
      const short = await createProduct({ stock: 2, reorderPoint: 5 });
      const [first, second] = [uniqueSku('NOPE'), uniqueSku('NOPE')];
      const customerId = `unknown-${randomUUID()}`;
      const res = await buyCart(
        [
          { sku: first, quantity: 1 },
          { sku: valid, quantity: 1 },
          { sku: short, quantity: 3 },
          { sku: second, quantity: 1 },
        ],
        customerId,
      );
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('product_not_found');
      expect(new Set(res.body.error.details.map((d: { message: string }) => d.message.split(' ').at(-1)))).toEqual(
        new Set([first, second]),
      );
      expect(res.body).not.toHaveProperty('shortages');
      expect(await stockOf(valid)).toBe(10);
      expect(await stockOf(short)).toBe(2);
      const replenishments = await system.inventory.db
        .selectFrom('replenishments')
        .select('id')
        .where('sku', '=', short)
        .execute();
      expect(replenishments).toHaveLength(0);
      expect(await ordersOf(customerId)).toHaveLength(0);
    });

    it('fails only the cart with an unknown sku when it is batched with valid checkouts and carts', async () => {
      const a = await createProduct({ stock: 10 });
      const b = await createProduct({ stock: 10 });
      const unknown = uniqueSku('NOPE');
      const customerId = `batch-unknown-${randomUUID()}`;
      const item = (request: object, key: string) => ({
        request: { ...request, customerId } as never,
        idempotencyKey: key,
        correlationId: key,
      });
      const outcomes = await placeOrders(
        system.inventory.db,
        [
          item({ sku: a, quantity: 1 }, 'single'),
          item(
            {
              items: [
                { sku: b, quantity: 2 },
                { sku: unknown, quantity: 1 },
                { sku: a, quantity: 2 },
              ],
            },
            'cart-unknown',
          ),
          item(
            {
              items: [
                { sku: a, quantity: 3 },
                { sku: b, quantity: 4 },
              ],
            },
            'cart-valid',
          ),
        ],
        { idempotencyTtlS: 86_400 },
      );
      expect(outcomes.map((o) => ('answer' in o ? o.answer.status : o.error.status))).toEqual([201, 404, 201]);
      expect(await stockOf(a)).toBe(6);
      expect(await stockOf(b)).toBe(6);
      expect(await ordersOf(customerId)).toHaveLength(2);
    });

    it('does not remember a 404 under its Idempotency-Key: the same cart places once the product exists', async () => {
      const known = await createProduct({ stock: 10 });
      const later = uniqueSku('LATER');
      const customerId = `later-${randomUUID()}`;
      const key = { 'Idempotency-Key': randomUUID() };
      const items = [
        { sku: known, quantity: 2 },
        { sku: later, quantity: 1 },
      ];
      expect((await buyCart(items, customerId, key)).status).toBe(404);
      const put = await system.api(`/products/${later}`, {
        method: 'PUT',
        json: productBody({ stock: 5, reorderPoint: 0 }),
        admin: true,
      });
      expect(put.status).toBe(201);
      const placed = await buyCart(items, customerId, key);
      expect(placed.status).toBe(201);
      expect(placed.headers.get('idempotent-replayed')).toBeNull();
      expect(placed.body.remaining).toEqual({ [known]: 8, [later]: 4 });
      expect(await ordersOf(customerId)).toHaveLength(1);
    });
  });

  describe('cancellation', () => {
    it('returns every line once, answers the same on a second cancel, and publishes order.cancelled once', async () => {
      const a = await createProduct({ stock: 10 });
      const b = await createProduct({ stock: 10 });
      const customerId = `cancel-${randomUUID()}`;
      const placed = await buyCart(
        [
          { sku: a, quantity: 4 },
          { sku: b, quantity: 2 },
        ],
        customerId,
      );
      expect(placed.status).toBe(201);
      const id = placed.body.order.id;
      await purchased(customerId, 6);

      const first = await cancel(id);
      expect(first.status).toBe(200);
      expect(first.body.order).toMatchObject({ id, customerId, status: 'cancelled', cancelledAt: expect.any(String) });
      expect(await stockOf(a)).toBe(10);
      expect(await stockOf(b)).toBe(10);

      const second = await cancel(id);
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(await stockOf(a)).toBe(10);
      expect((await order(id)).body).toEqual(first.body);

      const events = await outboxEvents('order.cancelled', id);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ orderId: id, customerId, quantity: 6 });
      await purchased(customerId, 0);

      // The dashboard shows the cancellation: the count, and the order's status.
      await waitFor('the dashboard to show the cancellation', async () => {
        const snapshot = (await system.api('/dashboard/snapshot')).body;
        const shown = snapshot.orders.find((o: { id: string }) => o.id === id.slice(0, 8));
        return snapshot.cancellations >= 1 && shown?.status === 'cancelled' && shown.sku === 'cart';
      });
    });

    it('cancels a single-sku order as an order of one line', async () => {
      const sku = await createProduct({ stock: 5 });
      const placed = await buy(sku, 2);
      const res = await cancel(placed.body.order.id);
      expect(res.status).toBe(200);
      expect(res.body.order.items).toEqual([{ sku, quantity: 2 }]);
      expect(await stockOf(sku)).toBe(5);
    });

    it('answers 404 order_not_found for an unknown order, and 401 without the admin token', async () => {
      for (const res of [await cancel(randomUUID()), await order(randomUUID()), await order('not-a-uuid')]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: { code: 'order_not_found', message: expect.any(String) } });
      }
      expect((await system.api(`/orders/${randomUUID()}`)).status).toBe(401);
      expect((await system.api(`/orders/${randomUUID()}/cancel`, { method: 'POST' })).status).toBe(401);
    });

    it('leaves an open replenishment open when stock returns', async () => {
      const sku = await createProduct({ stock: 10, reorderPoint: 5 });
      const placed = await buy(sku, 8);
      expect(placed.status).toBe(201);
      await cancel(placed.body.order.id);
      expect(await stockOf(sku)).toBe(10);
      const rows = await system.inventory.db.selectFrom('replenishments').selectAll().where('sku', '=', sku).execute();
      expect(rows).toHaveLength(1);
      expect(['requested', 'ordering', 'unconfirmed', 'ordered']).toContain(rows[0]!.status);
    });

    it('racing checkouts of the same sku: never sells what was not returned, stock stays exact', async () => {
      const sku = await createProduct({ stock: 5 });
      const placed = await buy(sku, 5);
      expect(placed.status).toBe(201);
      const [cancelled, ...buys] = await Promise.all([
        cancel(placed.body.order.id),
        ...Array.from({ length: 12 }, () => buy(sku, 1)),
      ]);
      expect(cancelled.status).toBe(200);
      expect(buys.every((r) => r.status === 201 || r.status === 409)).toBe(true);
      const sold = buys.filter((r) => r.status === 201).length;
      expect(sold).toBeLessThanOrEqual(5);
      expect(await stockOf(sku)).toBe(5 - sold);
    });

    it('a cart cancelled twice at once while carts of its skus race it: stock returns once, never oversold, no deadlock', async () => {
      const a = await createProduct({ stock: 6 });
      const b = await createProduct({ stock: 6 });
      const customerId = `cancel-race-${randomUUID()}`;
      const placed = await buyCart(
        [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 3 },
        ],
        customerId,
      );
      expect(placed.status).toBe(201);
      const id = placed.body.order.id;
      const carts = Array.from({ length: 16 }, (_, n) =>
        buyCart(
          n % 2 === 0
            ? [
                { sku: a, quantity: 1 },
                { sku: b, quantity: 1 },
              ]
            : [
                { sku: b, quantity: 1 },
                { sku: a, quantity: 1 },
              ],
          customerId,
        ),
      );
      const singles = Array.from({ length: 6 }, () => buy(a, 1, customerId));
      const [first, second, ...answers] = await Promise.all([cancel(id), cancel(id), ...carts, ...singles]);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(first.body.order.status).toBe('cancelled');
      expect(answers.every((r) => r.status === 201 || r.status === 409)).toBe(true);
      const cartsSold = answers.slice(0, carts.length).filter((r) => r.status === 201).length;
      const singlesSold = answers.slice(carts.length).filter((r) => r.status === 201).length;
      // The cancelled cart's 3 + 3 came back once: what was sold since is exactly what left the shelf.
      expect(await stockOf(a)).toBe(6 - cartsSold - singlesSold);
      expect(await stockOf(b)).toBe(6 - cartsSold);
      expect(await stockOf(a)).toBeGreaterThanOrEqual(0);
      expect(await stockOf(b)).toBeGreaterThanOrEqual(0);
      // Every answer 201 has its order, the cancelled one included; one cancellation event.
      expect(await ordersOf(customerId)).toHaveLength(1 + cartsSold + singlesSold);
      expect(await outboxEvents('order.cancelled', id)).toHaveLength(1);
      await purchased(customerId, 2 * cartsSold + singlesSold);
    });

    it('replays a cancelled cart under its Idempotency-Key as first answered, and sells nothing again', async () => {
      const a = await createProduct({ stock: 10 });
      const b = await createProduct({ stock: 10 });
      const customerId = `replay-cancelled-${randomUUID()}`;
      const key = { 'Idempotency-Key': randomUUID() };
      const items = [
        { sku: a, quantity: 4 },
        { sku: b, quantity: 1 },
      ];
      const first = await buyCart(items, customerId, key);
      expect(first.status).toBe(201);
      expect((await cancel(first.body.order.id)).status).toBe(200);
      expect(await stockOf(a)).toBe(10);
      const again = await buyCart(items, customerId, key);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await stockOf(a)).toBe(10);
      expect(await stockOf(b)).toBe(10);
      expect(await ordersOf(customerId)).toHaveLength(1);
      expect((await order(first.body.order.id)).body.order.status).toBe('cancelled');
    });

    it('keeps a VIP a VIP after a cancellation', async () => {
      const sku = await createProduct({ stock: 1000 });
      const customerId = `vip-${randomUUID()}`;
      const placed = await buy(sku, 100, customerId);
      expect((await purchased(customerId, 100)).tier).toBe('vip');
      await cancel(placed.body.order.id);
      expect(await purchased(customerId, 0)).toMatchObject({ tier: 'vip', purchasedQuantity: 0 });
    });
  });

  describe('customers, whatever the delivery order', () => {
    const envelope = (type: string, data: unknown) =>
      JSON.stringify({
        id: randomUUID(),
        type,
        occurredAt: new Date().toISOString(),
        correlationId: randomUUID(),
        data,
      });
    const send = async (body: string) => {
      const queueUrl = system.messaging.queues.get('customer-purchases')!.url;
      await system.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    };

    it('nets a cancellation delivered before its placement to zero, each delivered twice, counted once', async () => {
      const customerId = `early-${randomUUID()}`;
      const orderId = randomUUID();
      const items = [{ sku: 'X', quantity: 7 }];
      const createdAt = new Date().toISOString();
      // Another order of the same customer, so the customer exists and its total can be read.
      await send(envelope('order.placed', { orderId: randomUUID(), customerId, quantity: 3, items, createdAt }));
      await purchased(customerId, 3);
      const cancelled = envelope('order.cancelled', {
        orderId,
        customerId,
        items,
        quantity: 7,
        cancelledAt: createdAt,
      });
      await send(cancelled);
      await send(cancelled);
      await waitForQueueDrained(system, 'customer-purchases');
      const placed = envelope('order.placed', { orderId, customerId, quantity: 7, items, createdAt });
      await send(placed);
      await send(placed);
      await waitForQueueDrained(system, 'customer-purchases');
      expect((await customer(customerId)).body).toMatchObject({ purchasedQuantity: 3, tier: 'normal' });
      const inbox = await system.customers.db
        .selectFrom('processed_orders')
        .selectAll()
        .where('order_id', '=', orderId)
        .execute();
      expect(inbox).toHaveLength(1);
      expect(inbox[0]).toMatchObject({ placed: false, cancelled_at: expect.anything() });
    });

    it('lowers the total once when order.cancelled is delivered three times after its placement', async () => {
      const customerId = `late-${randomUUID()}`;
      const orderId = randomUUID();
      const items = [{ sku: 'Y', quantity: 9 }];
      const createdAt = new Date().toISOString();
      await send(envelope('order.placed', { orderId: randomUUID(), customerId, quantity: 2, items, createdAt }));
      await send(envelope('order.placed', { orderId, customerId, quantity: 9, items, createdAt }));
      await purchased(customerId, 11);
      const cancelled = envelope('order.cancelled', {
        orderId,
        customerId,
        items,
        quantity: 9,
        cancelledAt: createdAt,
      });
      for (let i = 0; i < 3; i++) await send(cancelled);
      await waitForQueueDrained(system, 'customer-purchases');
      expect((await customer(customerId)).body).toMatchObject({ purchasedQuantity: 2 });
    });

    it('counts nothing again when order.placed is redelivered after its cancellation was counted', async () => {
      const customerId = `again-${randomUUID()}`;
      const orderId = randomUUID();
      const items = [{ sku: 'Z', quantity: 4 }];
      const createdAt = new Date().toISOString();
      await send(envelope('order.placed', { orderId: randomUUID(), customerId, quantity: 1, items, createdAt }));
      const placed = envelope('order.placed', { orderId, customerId, quantity: 4, items, createdAt });
      const cancelled = envelope('order.cancelled', {
        orderId,
        customerId,
        items,
        quantity: 4,
        cancelledAt: createdAt,
      });
      await send(placed);
      await purchased(customerId, 5);
      await send(cancelled);
      await purchased(customerId, 1);
      // Late redeliveries of both, the placement first.
      await send(placed);
      await waitForQueueDrained(system, 'customer-purchases');
      await send(cancelled);
      await waitForQueueDrained(system, 'customer-purchases');
      expect((await customer(customerId)).body).toMatchObject({ purchasedQuantity: 1 });
    });

    it('nets every order to zero when placements and cancellations of many orders arrive together, shuffled, twice each', async () => {
      const customerId = `shuffled-${randomUUID()}`;
      const createdAt = new Date().toISOString();
      // A kept order, so the customer's total has something to net against.
      await send(envelope('order.placed', { orderId: randomUUID(), customerId, quantity: 5, createdAt }));
      await purchased(customerId, 5);
      const bodies = Array.from({ length: 12 }, (_, n) => {
        const orderId = randomUUID();
        const quantity = 1 + (n % 4);
        const items = [{ sku: 'S', quantity }];
        return [
          envelope('order.placed', { orderId, customerId, quantity, items, createdAt }),
          envelope('order.cancelled', { orderId, customerId, items, quantity, cancelledAt: createdAt }),
        ];
      }).flat();
      const deliveries = [...bodies, ...bodies].sort(() => Math.random() - 0.5);
      const queueUrl = system.messaging.queues.get('customer-purchases')!.url;
      for (let i = 0; i < deliveries.length; i += 10) {
        await system.clients.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: deliveries.slice(i, i + 10).map((body, n) => ({ Id: String(n), MessageBody: body })),
          }),
        );
      }
      await waitForQueueDrained(system, 'customer-purchases');
      expect((await customer(customerId)).body).toMatchObject({ purchasedQuantity: 5 });
      const deadLetters = await system.api('/ops/dlq/customer-purchases', { admin: true });
      const ours = (deadLetters.body.messages as { body: string }[]).filter((m) => m.body.includes(customerId));
      expect(ours).toEqual([]);
    });
  });
});
