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
const FACTORY_TIMEOUT_MS = 1000;
/** The factory answers only after the system stopped waiting: whether it took the order is unknown. */
const FACTORY_LATENCY_MS = 2500;

/**
 * Everything arrives more than once: the factory calls back 3 times; it answers orders only after the
 * system's timeout (so nobody knows whether it took one) and ignores Idempotency-Key, as a legacy
 * factory may; copies of each replenishment.requested arrive while its order is in flight; and every
 * event and stock arrival is delivered again afterwards. Each replenishment must still be one production
 * job, raise stock once and send one pause and one resume mail; each order must count once for its customer.
 */
export async function duplicatesScenario(size: DuplicatesSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runOnSystem(
    'Duplicates (callbacks ×3, redelivery, slow factory)',
    context,
    {
      QUEUE_VISIBILITY_TIMEOUT_S: '2',
      // Redeliveries here are successes, not failures; keep them clear of the DLQ.
      QUEUE_MAX_RECEIVE_COUNT: '10',
      FACTORY_TIMEOUT_MS: String(FACTORY_TIMEOUT_MS),
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
  simulator.faults = {
    ...simulator.faults,
    duplicateCallbacks: 2,
    extraLatencyMs: FACTORY_LATENCY_MS,
    ignoreIdempotencyKey: true,
  };
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
  const publish = (event: { type: string; payload: unknown }) =>
    system.clients.sns.send(
      new PublishCommand({
        TopicArn: system.messaging.topicArn,
        Message: JSON.stringify(event.payload),
        MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
      }),
    );
  // Each sale opens a replenishment; copies of its event follow at once, while the factory is still
  // deciding on the first.
  let placed = 0;
  let copiesInFlight = 0;
  for (const sku of skus) {
    const sale = await system.api('/checkout', { json: { sku, quantity: BOUGHT, customerId: customerOf(sku) } });
    if (sale.status === 201) placed++;
    const requested = await waitFor(`the replenishment.requested of ${sku}`, async () => {
      const rows = await system.inventory.db
        .selectFrom('outbox')
        .select(['type', 'payload'])
        .where('type', '=', 'replenishment.requested')
        .execute();
      return rows.find((r) => (r.payload as { data: { sku: string } }).data.sku === sku);
    });
    await Promise.all(Array.from({ length: size.redeliveries }, () => publish(requested)));
    copiesInFlight += size.redeliveries;
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
  // Let the duplicate callbacks settle before redelivering on top.
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
  const jobOf = (replenishmentId: string) =>
    [...simulator.jobs.values()].find((j) => new URL(j.body.CallbackUrl).pathname.endsWith(`/${replenishmentId}`));
  for (let copy = 0; copy < size.redeliveries; copy++) {
    for (const event of ours) await publish(event);
    for (const r of restocked) {
      const arrival: StockArrival = {
        replenishmentId: r.id,
        sku: r.sku,
        quantity: r.quantity,
        factoryOrderId: r.factory_order_id,
        receivedAt: new Date().toISOString(),
        correlationId: r.correlation_id,
        // Genuine: the signature the factory was handed.
        signature: new URL(jobOf(r.id)?.body.CallbackUrl ?? 'http://x/').searchParams.get('signature') ?? '',
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
    `factory answers orders after ${FACTORY_LATENCY_MS} ms > ${FACTORY_TIMEOUT_MS} ms timeout and ignores ` +
      `Idempotency-Key; calls back 3× per order; ${copiesInFlight} copies of replenishment.requested while ` +
      `ordering; every event (${ours.length}) and stock arrival published ${size.redeliveries} more times`,
  );
  const perReplenishment = restocked.map((r) => jobs.filter((j) => j.body.CallbackUrl.includes(r.id)).length);
  const handled = factoryRecords.succeeded + factoryRecords.failed;
  checks.check(
    'one production job per replenishment, though the factory answered after the timeout and the event came many times',
    perReplenishment.every((n) => n === 1) && handled >= skus.length * (1 + 2 * size.redeliveries),
    `${jobs.length} factory orders for ${skus.length} replenishments (${perReplenishment.join(', ')}); ` +
      `${handled} factory-orders records handled (${factoryRecords.failed} retried while an order was in flight)`,
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
