import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
  waitForQueueDrained,
} from '../helpers/system.ts';

describeOnEachEngine('customers on %s', (engine) => {
  let system: TestSystem;
  let sku: string;

  beforeAll(async () => {
    system = await startTestSystem({}, engine);
    sku = uniqueSku('CU');
    // Plenty of stock and no reorder point: these tests are about counting, not replenishing.
    const put = await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 100_000, reorderPoint: 0, reorderQuantity: 10 }),
      admin: true,
    });
    expect(put.status).toBe(201);
  });
  afterAll(async () => system?.destroy());

  const buy = async (customerId: string, quantity: number) => {
    const res = await system.api('/checkout', { json: { sku, quantity, customerId } });
    expect(res.status).toBe(201);
    return res.body.order as { id: string };
  };
  const customer = (id: string) => system.api(`/customers/${encodeURIComponent(id)}`);
  const purchased = (id: string, quantity: number) =>
    waitFor(`customer ${id} at ${quantity}`, async () => {
      const res = await customer(id);
      return res.status === 200 && res.body.purchasedQuantity === quantity ? res.body : undefined;
    });

  it('turns a normal customer into a VIP at exactly 100 units (60 then 40) and announces it once', async () => {
    const id = `cust-${randomUUID()}`;
    await buy(id, 60);
    const first = await purchased(id, 60);
    expect(first).toEqual({ id, tier: 'normal', purchasedQuantity: 60, updatedAt: expect.any(String) });

    await buy(id, 40);
    const second = await purchased(id, 100);
    expect(second.tier).toBe('vip');
    expect(Date.parse(second.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt));

    // A VIP stays VIP and is not promoted twice.
    await buy(id, 5);
    expect((await purchased(id, 105)).tier).toBe('vip');
    const promoted = await waitFor('customer.promoted to be published', async () => {
      const rows = await system.customers.db
        .selectFrom('outbox')
        .selectAll()
        .where('type', '=', 'customer.promoted')
        .execute();
      const mine = rows.filter((row) => (row.payload as { data: { customerId: string } }).data.customerId === id);
      return mine.length > 0 && mine.every((row) => row.published_at !== null) ? mine : undefined;
    });
    expect(promoted).toHaveLength(1);
    expect((promoted[0]!.payload as { data: unknown }).data).toMatchObject({
      customerId: id,
      tier: 'vip',
      purchasedQuantity: 100,
      threshold: 100,
    });
  });

  it('keeps a customer at 99 units normal', async () => {
    const id = `cust-${randomUUID()}`;
    await buy(id, 99);
    expect(await purchased(id, 99)).toMatchObject({ id, tier: 'normal', purchasedQuantity: 99 });
  });

  it('counts an order.placed delivered 3 times only once', async () => {
    const id = `cust-${randomUUID()}`;
    const orderId = randomUUID();
    const body = JSON.stringify({
      id: randomUUID(),
      type: 'order.placed',
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      data: { orderId, sku, quantity: 7, customerId: id, remaining: 50, createdAt: new Date().toISOString() },
    });
    const queueUrl = system.messaging.queues.get('customer-purchases')!.url;
    for (let i = 0; i < 3; i++)
      await system.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

    await purchased(id, 7);
    await waitForQueueDrained(system, 'customer-purchases');
    expect((await customer(id)).body).toMatchObject({ purchasedQuantity: 7, tier: 'normal' });
    const inbox = await system.customers.db
      .selectFrom('processed_orders')
      .selectAll()
      .where('order_id', '=', orderId)
      .execute();
    expect(inbox).toHaveLength(1);
  });

  it('answers 404 customer_not_found in the contract error shape for a customer who never bought', async () => {
    const res = await customer(`nobody-${randomUUID()}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'customer_not_found', message: expect.any(String) } });
    expect((await customer('x'.repeat(500))).status).toBe(404);
    // An id no checkout can store (NUL) is simply unknown, not a 500.
    expect((await customer('a\u0000b')).status).toBe(404);
  });
});
