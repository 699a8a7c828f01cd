import { createServer, type Server } from 'node:http';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productBody, startTestSystem, type TestSystem, uniqueSku, waitFor } from '../helpers/system.ts';

/** A real marketing endpoint on loopback that fails its first `failFirst` calls. */
async function marketingReceiver(failFirst: number) {
  const calls: { status: number; body: any; idempotencyKey: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = calls.length < failFirst ? 500 : 204;
      calls.push({
        status,
        body: JSON.parse(body),
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/vip`;
  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('marketing webhook', () => {
  let system: TestSystem;
  let receiver: Awaited<ReturnType<typeof marketingReceiver>>;

  beforeAll(async () => {
    receiver = await marketingReceiver(2);
    system = await startTestSystem({ MARKETING_WEBHOOK_URL: receiver.url, QUEUE_MAX_RECEIVE_COUNT: '5' });
  });
  afterAll(async () => {
    await system?.destroy();
    await receiver?.close();
  });

  it('retries a failing webhook until it accepts, then never sends the same promotion again', async () => {
    const sku = uniqueSku('MKT');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 1000, reorderPoint: 0 }),
      admin: true,
    });
    const customerId = `vip-${sku}`;
    expect((await system.api('/checkout', { json: { sku, quantity: 100, customerId } })).status).toBe(201);

    const accepted = await waitFor(
      'the accepted webhook call',
      async () => receiver.calls.find((c) => c.status === 204),
      20_000,
    );
    expect(receiver.calls.map((c) => c.status)).toEqual([500, 500, 204]);
    expect(accepted.body).toMatchObject({
      type: 'customer.promoted',
      data: { customerId, tier: 'vip', purchasedQuantity: 100 },
    });
    // Every attempt carried the same key: the event id.
    expect(new Set(receiver.calls.map((c) => c.idempotencyKey))).toEqual(new Set([accepted.body.id]));

    // The same event delivered again, and more purchases by the VIP: nothing more is sent.
    await system.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: system.messaging.queues.get('marketing-promotions')!.url,
        MessageBody: JSON.stringify(accepted.body),
      }),
    );
    expect((await system.api('/checkout', { json: { sku, quantity: 5, customerId } })).status).toBe(201);
    await waitFor(
      'the later purchase counted',
      async () => (await system.api(`/customers/${customerId}`)).body.purchasedQuantity === 105,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.calls).toHaveLength(3);
  });
});
