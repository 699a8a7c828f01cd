import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productBody, startTestSystem, type TestSystem, uniqueSku, waitFor } from '../helpers/system.ts';

describe('factory down', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({
      QUEUE_VISIBILITY_TIMEOUT_S: '1',
      QUEUE_MAX_RECEIVE_COUNT: '3',
      FACTORY_TIMEOUT_MS: '500',
    });
    system.simulator!.faults = { ...system.simulator!.faults, down: true };
  });
  afterAll(async () => system?.destroy());

  it('retries the factory order, then parks it in the DLQ with the replenishment still open: nothing lost', async () => {
    const sku = uniqueSku('DOWN');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 2, reorderPoint: 0 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 2, customerId: 'd' } })).status).toBe(201);
    const replenishmentId = (await system.api(`/products/${sku}`)).body.replenishment.id as string;

    const dlqUrl = system.messaging.queues.get('factory-orders')!.deadLetter.url;
    const parked = await waitFor(
      'the order in factory-orders-dlq',
      async () => {
        const { Messages } = await system.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 0,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        return Messages?.find((m) => m.Body?.includes(replenishmentId));
      },
      30_000,
    );
    const envelope = JSON.parse(parked.Body!);
    expect(envelope).toMatchObject({ type: 'replenishment.requested', data: { replenishmentId, sku } });
    expect(Number(parked.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(3);
    // The factory saw no order, and the replenishment is still open, waiting to be redriven.
    expect([...system.simulator!.jobs.values()].some((j) => j.body.MessageAttributeProductId === sku)).toBe(false);
    const product = (await system.api(`/products/${sku}`)).body;
    expect(product.replenishment).toMatchObject({ id: replenishmentId, status: 'requested' });
  });
});
