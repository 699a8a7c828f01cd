import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { StockArrival } from '../../../src/contract/events.ts';
import { productBody, type TestSystem, waitFor } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  consumerRecords,
  mailsFor,
  queueDepthsOf,
  runOnSystem,
  type ScenarioResult,
  sum,
  waitForQueuesDrained,
} from '../harness.ts';

export interface DuplicatesSize {
  /** Products sold to their reorder point, one replenishment each. */
  readonly replenishments: number;
  /** Extra copies of every event and every stock arrival delivered again (as an outbox relay or a queue may). */
  readonly redeliveries: number;
}

export const duplicatesSizes = {
  test: { replenishments: 2, redeliveries: 2 },
  report: { replenishments: 15, redeliveries: 3 },
} satisfies Record<string, DuplicatesSize>;

const STOCK = 5;
const BOUGHT = 3;
const REORDER = 40;
const FACTORY_LATENCY_MS = 2500;

/**
 * Everything arrives more than once: the factory calls back 3 times, the factory-orders handler is
 * slower than the queue's visibility timeout (so the queue hands its message to a second poller while
 * the first still works), and every event and stock arrival is delivered again on top. Each
 * replenishment must still raise stock once and send one pause and one resume mail; each order
 * must count once for its customer.
 */
export async function duplicatesScenario(size: DuplicatesSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runOnSystem(
    'Duplicates (callbacks ×3, redelivery)',
    context,
    {
      QUEUE_VISIBILITY_TIMEOUT_S: '1',
      // Redeliveries here are successes, not failures; keep them clear of the DLQ.
      QUEUE_MAX_RECEIVE_COUNT: '10',
      FACTORY_TIMEOUT_MS: String(FACTORY_LATENCY_MS * 3),
      FACTORY_STAGE_MS: '50',
    },
    (system, checks, describe) => run(system, size, checks, describe, context),
  );
}

async function run(
  system: TestSystem,
  size: DuplicatesSize,
  checks: Checks,
  describe: (load: string, faults: string) => void,
  context: ChaosContext,
) {
  const simulator = system.simulator!;
  simulator.faults = { ...simulator.faults, duplicateCallbacks: 2, extraLatencyMs: FACTORY_LATENCY_MS };
  const run = Date.now().toString(36);
  const skus = Array.from({ length: size.replenishments }, (_, i) => `DUP-${run}-${i}`);
  const customerOf = (sku: string) => `dup-customer-${sku}`;
  for (const sku of skus) {
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: STOCK, reorderPoint: STOCK - BOUGHT, reorderQuantity: REORDER }),
      admin: true,
    });
  }
  // One replenishment at a time, so a poller is free to take the redelivered factory order while the
  // first handler still waits for the slow factory.
  let placed = 0;
  for (const sku of skus) {
    const sale = await system.api('/checkout', { json: { sku, quantity: BOUGHT, customerId: customerOf(sku) } });
    if (sale.status === 201) placed++;
    await waitFor(
      `the factory order for ${sku} to be redelivered`,
      async () => [...simulator.jobs.values()].filter((j) => j.body.MessageAttributeProductId === sku).length >= 2,
      FACTORY_LATENCY_MS * 3,
    ).catch(() => undefined);
  }
  checks.equal('every sale placed', placed, skus.length, 'placed');

  const restocked = await waitFor(
    'every replenishment to complete',
    async () => {
      const rows = await system.inventory.db
        .selectFrom('replenishments')
        .selectAll()
        .where('sku', 'in', skus)
        .execute();
      return rows.length === skus.length && rows.every((r) => r.status === 'completed') ? rows : undefined;
    },
    60_000 + size.replenishments * FACTORY_LATENCY_MS,
  );
  // Let the slow factory answers and the duplicate callbacks settle before redelivering on top.
  await waitFor(
    'the factory to send every callback',
    async () => [...simulator.jobs.values()].every((job) => job.callbacks.length === 3),
    30_000,
  );
  context.log?.(`duplicates: ${restocked.length} replenishments completed; redelivering every event`);

  // Redeliver every event of the run through the topic and every stock arrival through its queue.
  const events = await system.inventory.db.selectFrom('outbox').select(['type', 'payload']).execute();
  const ours = events.filter((e) => {
    const data = (e.payload as { data: { sku?: string } }).data;
    return data.sku !== undefined && skus.includes(data.sku);
  });
  const stockArrivals = system.messaging.queues.get('stock-arrivals')!.url;
  for (let copy = 0; copy < size.redeliveries; copy++) {
    for (const event of ours) {
      await system.clients.sns.send(
        new PublishCommand({
          TopicArn: system.messaging.topicArn,
          Message: JSON.stringify(event.payload),
          MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
        }),
      );
    }
    for (const r of restocked) {
      const arrival: StockArrival = {
        replenishmentId: r.id,
        sku: r.sku,
        quantity: r.quantity,
        factoryOrderId: r.factory_order_id,
        receivedAt: new Date().toISOString(),
        correlationId: r.correlation_id,
      };
      await system.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: stockArrivals, MessageBody: JSON.stringify(arrival) }),
      );
    }
  }
  const depths = await waitForQueuesDrained(system, 60_000, 2500);

  const jobs = [...simulator.jobs.values()].filter((j) => skus.includes(j.body.MessageAttributeProductId));
  const callbacks = jobs.flatMap((j) => j.callbacks);
  const accepted = callbacks.filter((c) => c.status === 202).length;
  const factoryRecords = await consumerRecords(system, 'factory-orders');
  describe(
    `${size.replenishments} replenishments (one sale each to the reorder point), ${size.replenishments} customers`,
    `factory calls back 3× per order; factory order handler ${FACTORY_LATENCY_MS} ms > 1 s visibility timeout ` +
      `(${jobs.length} factory orders for ${size.replenishments} replenishments, ${callbacks.length} callbacks); ` +
      `every event (${ours.length}) and stock arrival published ${size.redeliveries} more times`,
  );
  const redelivered = skus.filter((sku) => jobs.filter((j) => j.body.MessageAttributeProductId === sku).length >= 2);
  checks.check(
    'the queue really redelivered to a second handler (slow handler > visibility timeout)',
    redelivered.length === skus.length,
    `${redelivered.length}/${skus.length} factory orders handed to a second handler and placed again; ` +
      `${jobs.length} factory orders in all; ${factoryRecords.succeeded} factory-orders records handled`,
  );
  checks.check(
    'callbacks: duplicates before the close are accepted and ignored, after it refused (202/409 only)',
    callbacks.every((c) => c.status === 202 || c.status === 409),
    `${accepted} answered 202, ${callbacks.filter((c) => c.status === 409).length} answered 409, ${callbacks.filter((c) => c.status !== 202 && c.status !== 409).length} other`,
  );

  const products = await system.inventory.db
    .selectFrom('products')
    .select(['sku', 'stock'])
    .where('sku', 'in', skus)
    .execute();
  const rows = await system.inventory.db.selectFrom('replenishments').selectAll().where('sku', 'in', skus).execute();
  const completedEvents = ours.filter((e) => e.type === 'replenishment.completed').length;
  checks.check(
    'stock raised once per replenishment',
    products.every((p) => p.stock === STOCK - BOUGHT + REORDER) &&
      rows.length === skus.length &&
      completedEvents === skus.length,
    `${products.filter((p) => p.stock === STOCK - BOUGHT + REORDER).length}/${skus.length} products at ${STOCK - BOUGHT} + ${REORDER}; ` +
      `${rows.length} replenishments, ${completedEvents} replenishment.completed events`,
  );
  const mails = await Promise.all(rows.map((r) => mailsFor(system, r.id)));
  checks.check(
    'one pause and one resume mail per replenishment',
    mails.every((m) => m.pause === 1 && m.resume === 1),
    `${sum(mails.map((m) => m.pause))} pause and ${sum(mails.map((m) => m.resume))} resume mails for ${rows.length} replenishments`,
  );
  const customers = await Promise.all(skus.map((sku) => system.api(`/customers/${customerOf(sku)}`)));
  const counted = await system.customers.db
    .selectFrom('processed_orders')
    .select('order_id')
    .where('customer_id', 'like', 'dup-customer-%')
    .execute();
  checks.check(
    'each order counted once for its customer',
    customers.every((c) => c.status === 200 && c.body.purchasedQuantity === BOUGHT) && counted.length === skus.length,
    `${customers.filter((c) => c.body?.purchasedQuantity === BOUGHT).length}/${skus.length} customers at ${BOUGHT}; ${counted.length} orders in the inbox`,
  );
  checks.check(
    'nothing dead-lettered',
    Object.values(depths).every((d) => d.dlq === 0),
    Object.entries(await queueDepthsOf(system))
      .map(([name, d]) => `${name} dlq ${d.dlq}`)
      .join(', '),
  );
}
