import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StockArrival } from '../../src/contract/events.ts';
import type { FactoryJob } from '../../src/factory-simulator/simulator.ts';
import { signCallback } from '../../src/services/warehouse/callback-signature.ts';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
  waitForQueueDrained,
} from '../helpers/system.ts';

const CALLBACK_SECRET = 'stock-arrivals-test-callback-secret';

/**
 * The stock-arrivals queue is fed only by the callback intake, which verifies the factory's signature.
 * Its consumer checks that signature again, so a message that did not come through the intake (forged,
 * or tampered on the way) changes nothing and ends in the DLQ; a genuine one applied twice counts once.
 */
describeOnEachEngine('stock-arrivals consumer on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // The factory never finishes by itself here: the tests deliver what they need.
    system = await startTestSystem(
      {
        FACTORY_STAGE_MS: '600000',
        QUEUE_VISIBILITY_TIMEOUT_S: '1',
        QUEUE_MAX_RECEIVE_COUNT: '2',
        CALLBACK_SECRET,
      },
      engine,
    );
  });
  afterAll(async () => system?.destroy());

  const queue = () => system.messaging.queues.get('stock-arrivals')!;
  const send = (body: unknown) =>
    system.clients.sqs.send(new SendMessageCommand({ QueueUrl: queue().url, MessageBody: JSON.stringify(body) }));

  /** Sells a fresh product out and waits for its factory order. */
  async function ordered(): Promise<{ sku: string; id: string; job: FactoryJob }> {
    const sku = uniqueSku('ARR');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 2, reorderPoint: 0, reorderQuantity: 30 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 2, customerId: 'arr' } })).status).toBe(201);
    const job = await waitFor('the factory order', async () =>
      [...system.simulator!.jobs.values()].find((j) => j.body.MessageAttributeProductId === sku),
    );
    const id = new URL(job.body.CallbackUrl).pathname.split('/').at(-1)!;
    return { sku, id, job };
  }

  const arrival = (id: string, sku: string, quantity: number, signature?: string) => ({
    replenishmentId: id,
    sku,
    quantity,
    factoryOrderId: null,
    receivedAt: new Date().toISOString(),
    correlationId: 'forged',
    ...(signature === undefined ? {} : { signature }),
  });

  it('a forged or tampered stock arrival changes nothing and ends in the DLQ', async () => {
    const { sku, id } = await ordered();
    const forged = [
      arrival(id, sku, 30),
      arrival(id, sku, 30, signCallback('not-the-callback-secret-at-all', { replenishmentId: id, sku, quantity: 30 })),
      arrival(id, sku, 1000, signCallback(CALLBACK_SECRET, { replenishmentId: id, sku, quantity: 30 })),
      arrival(id, sku, 30, 'A'.repeat(43)),
    ];
    for (const body of forged) await send(body);

    const parked = await waitFor(
      'every forged arrival in the DLQ',
      async () => {
        const { Messages = [] } = await system.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue().deadLetter.url,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 0,
          }),
        );
        const ours = Messages.filter((m) => m.Body?.includes(id));
        return ours.length === forged.length ? ours : undefined;
      },
      30_000,
    );
    expect(parked).toHaveLength(forged.length);
    const product = (await system.api(`/products/${sku}`)).body;
    expect(product.stock).toBe(0);
    expect(product.replenishment).toMatchObject({ id });
    const row = await system.inventory.db
      .selectFrom('replenishments')
      .select(['status', 'produced_quantity'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'ordered', produced_quantity: null });
  });

  it('the same stock arrival twice raises stock once and writes one replenishment.completed', async () => {
    const { sku, id, job } = await ordered();
    const signature = new URL(job.body.CallbackUrl).searchParams.get('signature')!;
    const genuine: StockArrival & { signature: string } = {
      ...arrival(id, sku, 30),
      correlationId: 'twice',
      signature,
    };
    await send(genuine);
    await waitFor('the first arrival applied', async () => (await system.api(`/products/${sku}`)).body.stock === 30);
    await send(genuine);
    await waitForQueueDrained(system, 'stock-arrivals');
    expect((await system.api(`/products/${sku}`)).body).toMatchObject({ stock: 30, replenishment: null });
    const events = await system.inventory.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'replenishment.completed')
      .execute();
    expect(
      events.filter((e) => (e.payload as { data: { replenishmentId: string } }).data.replenishmentId === id),
    ).toHaveLength(1);
    const { Messages = [] } = await system.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue().deadLetter.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    expect(Messages.filter((m) => m.Body?.includes(id))).toEqual([]);
  });
});
