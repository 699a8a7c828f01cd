import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productBody, startTestSystem, type TestSystem, uniqueSku, waitFor } from '../helpers/system.ts';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({
    QUEUE_VISIBILITY_TIMEOUT_S: '1',
    QUEUE_MAX_RECEIVE_COUNT: '2',
    FACTORY_TIMEOUT_MS: '500',
  });
});
afterAll(async () => system?.destroy());

const dlq = async (queue: string) => (await system.api(`/ops/dlq/${queue}`, { admin: true })).body;
const depthOf = async (queue: string) =>
  (
    (await system.api('/ops/queues', { admin: true })).body.queues as {
      name: string;
      deadLetter: { messages: number };
    }[]
  ).find((q) => q.name === queue)!;

describe('ops endpoints', () => {
  it.each([
    ['GET', '/ops/queues'],
    ['GET', '/ops/dlq/factory-orders'],
    ['POST', '/ops/dlq/factory-orders/redrive'],
    ['DELETE', '/ops/dlq/factory-orders'],
    ['GET', '/ops/notifications'],
  ])('%s %s answers 401 without the token and with a wrong one', async (method, path) => {
    const none = await system.api(path, { method });
    const wrong = await system.api(path, { method, headers: { authorization: 'Bearer wrong-token' } });
    const basic = await system.api(path, { method, headers: { authorization: 'Basic dGVzdDp0ZXN0' } });
    for (const res of [none, wrong, basic]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it('lists every queue with its depth and its dead-letter queue', async () => {
    const res = await system.api('/ops/queues', { admin: true });
    expect(res.status).toBe(200);
    const names = res.body.queues.map((q: { name: string }) => q.name);
    expect(names).toEqual(expect.arrayContaining(['factory-orders', 'stock-arrivals']));
    for (const queue of res.body.queues) {
      expect(queue).toMatchObject({
        messages: expect.any(Number),
        inFlight: expect.any(Number),
        deadLetter: { name: `${queue.name}-dlq`, messages: expect.any(Number) },
      });
    }
  });

  it('answers 404 queue_not_found for a name that is not a queue', async () => {
    const res = await system.api('/ops/dlq/no-such-queue', { admin: true });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('queue_not_found');
  });

  it('a poison message lands in the DLQ after max receives, the rest keeps flowing, and purge empties it', async () => {
    const queueUrl = system.messaging.queues.get('stock-arrivals')!.url;
    await system.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"poison": true' }));
    // Meanwhile a genuine flow through the same consumer still completes.
    const sku = uniqueSku('POISON');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 1, reorderPoint: 0 }),
      admin: true,
    });
    await system.api('/checkout', { json: { sku, quantity: 1, customerId: 'p' } });
    await waitFor('restock beside the poison', async () => (await system.api(`/products/${sku}`)).body.stock === 30);

    const listed = await waitFor('the poison in stock-arrivals-dlq', async () => {
      const body = await dlq('stock-arrivals');
      return body.messages.length === 1 ? body : undefined;
    });
    expect(listed.queue).toBe('stock-arrivals');
    expect(listed.messages[0]).toMatchObject({
      body: '{"poison": true',
      receiveCount: expect.any(Number),
      id: expect.any(String),
    });
    expect(listed.messages[0].receiveCount).toBeGreaterThanOrEqual(2);
    // Listing does not consume it: it is there again a moment later.
    await waitFor('the poison listed again', async () => (await dlq('stock-arrivals')).messages.length === 1);
    await waitFor('the DLQ depth', async () => (await depthOf('stock-arrivals')).deadLetter.messages === 1);

    const purged = await system.api('/ops/dlq/stock-arrivals', { method: 'DELETE', admin: true });
    expect(purged.status).toBe(200);
    expect((await dlq('stock-arrivals')).messages).toHaveLength(0);
  });

  it('redrive after the cause is fixed: the order reaches the factory and the replenishment completes', async () => {
    system.simulator!.faults = { ...system.simulator!.faults, down: true };
    const sku = uniqueSku('REDRIVE');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 1, reorderPoint: 0 }),
      admin: true,
    });
    await system.api('/checkout', { json: { sku, quantity: 1, customerId: 'r' } });
    await waitFor(
      'the factory order in its DLQ',
      async () => (await dlq('factory-orders')).messages.some((m: { body: string }) => m.body.includes(sku)),
      20_000,
    );
    expect((await system.api(`/products/${sku}`)).body.replenishment.status).toBe('requested');

    system.simulator!.faults = { ...system.simulator!.faults, down: false };
    const redriven = await system.api('/ops/dlq/factory-orders/redrive', { method: 'POST', admin: true });
    expect(redriven.status).toBe(200);
    expect(redriven.body.moved).toBeGreaterThanOrEqual(1);
    await waitFor('the restock after redrive', async () => {
      const product = (await system.api(`/products/${sku}`)).body;
      return product.replenishment === null && product.stock === 30;
    });
    expect((await dlq('factory-orders')).messages.some((m: { body: string }) => m.body.includes(sku))).toBe(false);
  });

  it('serves Prometheus metrics: checkouts by result, stock per sku, queue and DLQ depth', async () => {
    await system.api('/checkout', { json: { sku: 'CP-502101', quantity: 1, customerId: 'm' } });
    await system.api('/checkout', { json: { sku: 'CP-502101', quantity: 'x', customerId: 'm' } });
    const res = await fetch(`${system.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/donut_checkouts_total\{result="placed"\} [1-9]/);
    expect(text).toMatch(/donut_checkouts_total\{result="rejected"\} [1-9]/);
    expect(text).toMatch(/donut_stock\{sku="CP-502101"\} 99/);
    expect(text).toMatch(/donut_queue_messages\{queue="factory-orders"\} \d+/);
    expect(text).toMatch(/donut_dlq_messages\{queue="stock-arrivals"\} \d+/);
    expect(text).toContain('donut_replenishment_duration_seconds_bucket');
    expect(text).toContain('donut_consumer_records_total');
  });

  it('health names each component', async () => {
    const res = await system.api('/health');
    expect(res.status).toBe(200);
    expect(res.body.components.inventoryDatabase.ok).toBe(true);
    expect(res.body.components.queues.ok).toBe(true);
    expect(res.body.advisory.factory.ok).toBe(true);
  });
});
