import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { productBody, type TestSystem, waitFor } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  mailsFor,
  queueDepthsOf,
  runOnSystem,
  type ScenarioResult,
  sum,
  waitForQueuesDrained,
} from '../harness.ts';

export interface PoisonSize {
  /** Poison messages sent to each queue. */
  readonly perQueue: number;
  /** Genuine sales flowing beside them, each ending in a replenishment. */
  readonly sales: number;
}

export const poisonSizes = {
  test: { perQueue: 6, sales: 3 },
  report: { perQueue: 40, sales: 20 },
} satisfies Record<string, PoisonSize>;

const MAX_RECEIVES = 2;

const envelope = (type: string, data: unknown) =>
  JSON.stringify({ id: randomUUID(), type, occurredAt: new Date().toISOString(), correlationId: 'poison', data });

/** Messages no consumer can handle: not JSON, the wrong shape, the wrong event, impossible data. */
function poisonFor(queue: string, n: number): string {
  const generic = [
    'not json at all',
    '{"poison": true',
    'null',
    '[]',
    '{}',
    `{"payload": "${'x'.repeat(30_000)}"}`,
    // Odd but legal characters (the emulator, unlike SQS, refuses those beyond the BMP).
    '\u00e9\u4e2d\u200b\ufeff\t not an event',
    envelope('order.cancelled', { orderId: randomUUID() }),
  ];
  // A well-formed envelope for the queue's own event type whose data breaks its schema or refers to nothing.
  const specific: Record<string, string[]> = {
    'factory-orders': [
      envelope('replenishment.requested', { replenishmentId: randomUUID(), sku: 'X', quantity: -1 }),
      envelope('replenishment.requested', {
        replenishmentId: randomUUID(),
        sku: 'NO-SUCH',
        quantity: 5,
        factoryId: 'f',
        stock: 0,
        requestedAt: new Date().toISOString(),
      }),
    ],
    'stock-arrivals': [JSON.stringify({ replenishmentId: randomUUID(), sku: 'X', quantity: 'lots' })],
    'ad-notifications': [envelope('order.placed', { orderId: randomUUID() })],
    'customer-purchases': [envelope('order.placed', { orderId: randomUUID(), customerId: 'c', quantity: 0 })],
    'marketing-promotions': [envelope('customer.promoted', { customerId: 'c', tier: 'gold' })],
  };
  const kinds = [...(specific[queue] ?? []), ...generic];
  return kinds[n % kinds.length]!;
}

/**
 * Poison on every queue while genuine work flows through the same consumers: each poison message
 * ends in its queue's DLQ after the maximum receives, exactly as sent, and everything else completes.
 */
export async function poisonScenario(size: PoisonSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runOnSystem(
    'Poison messages on every queue',
    context,
    {
      QUEUE_VISIBILITY_TIMEOUT_S: '1',
      QUEUE_MAX_RECEIVE_COUNT: String(MAX_RECEIVES),
      FACTORY_STAGE_MS: '20',
      VIP_THRESHOLD: '10',
    },
    (system, checks, describe) => run(system, size, checks, describe, context),
  );
}

async function run(
  system: TestSystem,
  size: PoisonSize,
  checks: Checks,
  describe: (load: string, faults: string) => void,
  context: ChaosContext,
) {
  const queues = [...system.messaging.queues.keys()];
  const sent = new Map<string, string[]>();
  const sendPoison = async () => {
    for (const queue of queues) {
      const bodies = Array.from({ length: size.perQueue }, (_, n) => poisonFor(queue, n));
      sent.set(queue, bodies);
      for (let i = 0; i < bodies.length; i += 10) {
        const { Failed = [] } = await system.clients.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: system.messaging.queues.get(queue)!.url,
            Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
          }),
        );
        if (Failed.length > 0) throw new Error(`the queue refused poison for ${queue}: ${Failed[0]!.Message}`);
      }
    }
  };

  const tag = Date.now().toString(36);
  const skus = Array.from({ length: size.sales }, (_, i) => `POI-${tag}-${i}`);
  for (const sku of skus) {
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 12, reorderPoint: 0, reorderQuantity: 30 }),
      admin: true,
    });
  }
  // Poison first and genuine sales right behind it, so both go through the consumers together.
  await sendPoison();
  const sales = await Promise.all(
    skus.map((sku) => system.api('/checkout', { json: { sku, quantity: 12, customerId: `poison-buyer-${sku}` } })),
  );
  context.log?.(`poison: ${queues.length * size.perQueue} poison messages sent beside ${sales.length} sales`);

  const expectedDlq = size.perQueue;
  await waitFor(
    'every poison message in its DLQ',
    async () => Object.values(await queueDepthsOf(system)).every((d) => d.dlq >= expectedDlq),
    60_000,
  ).catch(() => undefined);
  const depths = await waitForQueuesDrained(system, 60_000, 1500);
  describe(
    `${sales.length} genuine sales, each emptying its shelf (one replenishment, one VIP customer each)`,
    `${size.perQueue} poison messages on each of ${queues.length} queues (${queues.length * size.perQueue} in all): not JSON, ` +
      'wrong shape, wrong event type, data breaking the schema, a 30 KB body, an order for nothing',
  );

  const wrongDlq: string[] = [];
  let listedExact = 0;
  for (const queue of queues) {
    const listed = await system.api(`/ops/dlq/${queue}`, { admin: true });
    const bodies = (listed.body.messages as { body: string; receiveCount: number }[]) ?? [];
    const expected = [...sent.get(queue)!].sort();
    const got = bodies.map((m) => m.body).sort();
    const same =
      JSON.stringify(expected) === JSON.stringify(got) && bodies.every((m) => m.receiveCount >= MAX_RECEIVES);
    if (same) listedExact++;
    else wrongDlq.push(`${queue}: ${got.length} listed, ${expected.length} expected`);
  }
  checks.check(
    `every poison message ends in its own DLQ, as sent, after ${MAX_RECEIVES} receives`,
    wrongDlq.length === 0,
    `${listedExact}/${queues.length} DLQs hold exactly their ${size.perQueue} poison messages${wrongDlq.length ? `; ${wrongDlq.join('; ')}` : ''}`,
  );
  checks.check(
    'work queues drained: the poison blocked nothing',
    Object.values(depths).every((d) => d.messages === 0),
    Object.entries(depths)
      .map(([name, d]) => `${name} ${d.messages}`)
      .join(', '),
  );

  const placed = sales.filter((s) => s.status === 201).length;
  const replenishments = await system.inventory.db
    .selectFrom('replenishments')
    .selectAll()
    .where('sku', 'in', skus)
    .execute();
  const products = await system.inventory.db
    .selectFrom('products')
    .select(['stock'])
    .where('sku', 'in', skus)
    .execute();
  checks.check(
    'the genuine flow completed beside the poison: restocked once each',
    placed === skus.length &&
      replenishments.length === skus.length &&
      replenishments.every((r) => r.status === 'completed') &&
      products.every((p) => p.stock === 30),
    `${placed} sales placed; ${replenishments.filter((r) => r.status === 'completed').length}/${skus.length} replenishments completed; ` +
      `${products.filter((p) => p.stock === 30).length} shelves back at 30`,
  );
  const mails = await Promise.all(replenishments.map((r) => mailsFor(system, r.id)));
  checks.check(
    'every pause and resume mail sent once',
    mails.every((m) => m.pause === 1 && m.resume === 1),
    `${sum(mails.map((m) => m.pause))} pause, ${sum(mails.map((m) => m.resume))} resume for ${replenishments.length} replenishments`,
  );
  const customers = await Promise.all(skus.map((sku) => system.api(`/customers/poison-buyer-${sku}`)));
  const strangers = await system.customers.db
    .selectFrom('customers')
    .select('id')
    .where('id', 'not like', 'poison-buyer-%')
    .execute();
  checks.check(
    'every genuine order counted once (VIP at 10), no poison counted',
    customers.every((c) => c.status === 200 && c.body.purchasedQuantity === 12 && c.body.tier === 'vip') &&
      strangers.length === 0,
    `${customers.filter((c) => c.body?.purchasedQuantity === 12).length}/${skus.length} customers at 12 and VIP; ${strangers.length} customers from poison`,
  );
}
