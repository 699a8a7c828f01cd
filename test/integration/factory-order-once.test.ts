import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { FactoryFaults } from '../../src/factory-simulator/simulator.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createSqsBatchHandler } from '../../src/platform/sqs-batch.ts';
import { placeFactoryOrderWhenReplenishmentRequested } from '../../src/services/warehouse/place-factory-order.consumer.ts';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
  waitForQueueDrained,
} from '../helpers/system.ts';

const FACTORY_TIMEOUT_MS = 400;
const CALLBACK_SECRET = 'factory-order-once-callback-secret';
/** Five stages of this take longer than the queue's retries (visibility 1 s, 3 receives). */
const SLOW_STAGE_MS = 800;

/**
 * One replenishment is one production job at the factory, however slow the factory, however it fails
 * after accepting, however often the event is delivered. Against the real simulator over HTTP, with its
 * Idempotency-Key support on and off (a legacy factory may ignore the key).
 */
describeOnEachEngine('one factory order per replenishment on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem(
      {
        FACTORY_TIMEOUT_MS: String(FACTORY_TIMEOUT_MS),
        QUEUE_VISIBILITY_TIMEOUT_S: '1',
        QUEUE_MAX_RECEIVE_COUNT: '3',
        FACTORY_STAGE_MS: '20',
        CALLBACK_SECRET,
      },
      engine,
    );
  });
  afterAll(async () => system?.destroy());
  afterEach(() => {
    system.simulator!.faults = { ...system.simulator!.faults, ...NO_FAULTS };
    system.simulator!.stageMs = 20;
  });

  const NO_FAULTS: Partial<FactoryFaults> = {
    extraLatencyMs: 0,
    dropAfterAccept: false,
    ignoreIdempotencyKey: false,
  };
  const setFaults = (faults: Partial<FactoryFaults>) => {
    system.simulator!.faults = { ...system.simulator!.faults, ...faults };
  };
  const jobsFor = (sku: string) =>
    [...system.simulator!.jobs.values()].filter((j) => j.body.MessageAttributeProductId === sku);

  /** Sells a fresh product down to its reorder point: one replenishment of 30 opens. */
  async function stockOut(): Promise<string> {
    const sku = uniqueSku('ONCE');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 2, reorderPoint: 0, reorderQuantity: 30 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 2, customerId: 'once' } })).status).toBe(201);
    return sku;
  }

  /**
   * Waits until the replenishment completed and every retry the queue could make has been made, then
   * checks: one production job, stock raised once, one replenishment, nothing dead-lettered for it.
   * Returns the statuses GET /products/{sku} showed on the way.
   */
  async function expectOrderedOnce(sku: string, settleMs: number): Promise<Set<string>> {
    const shown = new Set<string>();
    const [replenishment] = await waitFor(
      'the replenishment to complete',
      async () => {
        const status = (await system.api(`/products/${sku}`)).body.replenishment?.status;
        if (status) shown.add(status);
        const rows = await system.inventory.db
          .selectFrom('replenishments')
          .selectAll()
          .where('sku', '=', sku)
          .execute();
        return rows.length === 1 && rows[0]!.status === 'completed' ? rows : undefined;
      },
      30_000,
    );
    await waitForQueueDrained(system, 'factory-orders');
    // A retry placed after the last receive reaches the factory only after its latency.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    expect(jobsFor(sku)).toHaveLength(1);
    expect((await system.api(`/products/${sku}`)).body).toMatchObject({ stock: 30, replenishment: null });
    const rows = await system.inventory.db.selectFrom('replenishments').selectAll().where('sku', '=', sku).execute();
    expect(rows).toHaveLength(1);
    const events = await system.inventory.db
      .selectFrom('outbox')
      .select(['payload'])
      .where('type', '=', 'replenishment.completed')
      .execute();
    const completed = events.filter(
      (e) => (e.payload as { data: { replenishmentId: string } }).data.replenishmentId === replenishment!.id,
    );
    expect(completed).toHaveLength(1);
    const dlq = system.messaging.queues.get('factory-orders')!.deadLetter.url;
    const { Messages = [] } = await system.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    expect(Messages.filter((m) => m.Body?.includes(replenishment!.id))).toEqual([]);
    return shown;
  }

  it.each([
    ['honours', false],
    ['ignores', true],
  ])('a factory answering after twice the timeout (it %s the Idempotency-Key) gets one order', async (_, ignore) => {
    setFaults({ extraLatencyMs: FACTORY_TIMEOUT_MS * 2, ignoreIdempotencyKey: ignore });
    // The goods come well after the queue would have retried, so only the claim can stop a second order.
    system.simulator!.stageMs = SLOW_STAGE_MS;
    const sku = await stockOut();
    // The dashboard says so too.
    await waitFor('the dashboard to show the order unconfirmed', async () => {
      const snapshot = (await system.api('/dashboard/snapshot')).body;
      const product = snapshot.products.find((p: { sku: string }) => p.sku === sku);
      return product?.replenishment?.status === 'unconfirmed';
    });
    const shown = await expectOrderedOnce(sku, FACTORY_TIMEOUT_MS * 3);
    // While nobody could know whether the factory accepted, the product said so.
    expect(shown).toContain('unconfirmed');
  });

  it.each([
    ['honours', false],
    ['ignores', true],
  ])('a factory that accepts, then drops the connection (it %s the key) gets one order', async (_, ignore) => {
    setFaults({ dropAfterAccept: true, ignoreIdempotencyKey: ignore });
    system.simulator!.stageMs = SLOW_STAGE_MS;
    const sku = await stockOut();
    expect(await expectOrderedOnce(sku, 1000)).toContain('unconfirmed');
  });

  it('sends Idempotency-Key: <replenishment id> with the order', async () => {
    const sku = await stockOut();
    const [job] = await waitFor('the order at the factory', async () =>
      jobsFor(sku).length === 1 ? jobsFor(sku) : undefined,
    );
    const { id } = await system.inventory.db
      .selectFrom('replenishments')
      .select('id')
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
    expect(job!.idempotencyKey).toBe(id);
  });

  /** The replenishment.requested event the checkout wrote for `sku`. */
  const requestedEvent = (sku: string) =>
    waitFor('the replenishment.requested event', async () => {
      const rows = await system.inventory.db
        .selectFrom('outbox')
        .select(['payload'])
        .where('type', '=', 'replenishment.requested')
        .execute();
      return rows.find((r) => (r.payload as { data: { sku: string } }).data.sku === sku)?.payload;
    });

  /** The factory-orders consumer, fed by hand: copies of an event delivered beside the system's own. */
  const copyHandler = () =>
    createSqsBatchHandler(
      placeFactoryOrderWhenReplenishmentRequested({
        db: system.inventory.db,
        logger: createLogger('silent'),
        factory: { url: system.factoryUrl, timeoutMs: FACTORY_TIMEOUT_MS, requester: 'donut-states' },
        callbacks: { publicUrl: system.url, secret: CALLBACK_SECRET },
      }),
      createLogger('silent'),
    );
  const copyOf = (event: unknown, n: number): SQSRecord =>
    ({
      messageId: `copy-${n}`,
      receiptHandle: `copy-${n}`,
      body: JSON.stringify(event),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:factory-orders',
      awsRegion: 'us-east-1',
    }) as unknown as SQSRecord;

  it('a copy delivered while the order is unconfirmed sends nothing again', async () => {
    // The factory answers too late and ignores the key: only the replenishment's state can stop a second job.
    setFaults({ extraLatencyMs: FACTORY_TIMEOUT_MS * 2, ignoreIdempotencyKey: true });
    system.simulator!.stageMs = SLOW_STAGE_MS;
    const sku = await stockOut();
    const event = await requestedEvent(sku);
    await waitFor('the order to be unconfirmed', async () => {
      const row = await system.inventory.db
        .selectFrom('replenishments')
        .select('status')
        .where('sku', '=', sku)
        .executeTakeFirstOrThrow();
      return row.status === 'unconfirmed';
    });
    const result = await copyHandler()({ Records: [copyOf(event, 1), copyOf(event, 2)] });
    expect(result.batchItemFailures).toEqual([]);
    await expectOrderedOnce(sku, FACTORY_TIMEOUT_MS * 3);
  });

  it('copies of one replenishment.requested handled at once, in one batch and in two batches, order once', async () => {
    // The factory takes a while (within the timeout), so every copy arrives while the first call is in flight.
    setFaults({ extraLatencyMs: FACTORY_TIMEOUT_MS / 2, ignoreIdempotencyKey: true });
    const sku = await stockOut();
    const event = await requestedEvent(sku);
    const handler = copyHandler();
    const record = (n: number) => copyOf(event, n);
    // Racing the system's own consumer, which receives the original through the queue.
    const batches = await Promise.all([
      handler({ Records: [record(1), record(2), record(3)] }),
      handler({ Records: [record(4), record(5)] }),
    ]);
    // A copy that found the order in flight fails and is retried by its queue; retried now, it finds it placed.
    const failed = batches.flatMap((b) => b.batchItemFailures);
    if (failed.length > 0) {
      await waitFor(
        'the claim to settle',
        async () => {
          const row = await system.inventory.db
            .selectFrom('replenishments')
            .select('status')
            .where('sku', '=', sku)
            .executeTakeFirstOrThrow();
          return row.status !== 'ordering';
        },
        10_000,
      );
      const again = await handler({ Records: failed.map((f) => record(Number(f.itemIdentifier.slice(5)))) });
      expect(again.batchItemFailures).toEqual([]);
    }
    await expectOrderedOnce(sku, FACTORY_TIMEOUT_MS);
  });
});
