import { productBody, type TestSystem, waitFor } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  consumerRecords,
  mailsFor,
  queueDepthsOf,
  runOnSystem,
  type ScenarioResult,
  seededRandom,
  sleep,
  sum,
  waitForQueuesDrained,
} from '../harness.ts';

export interface OutageSize {
  readonly products: number;
  /** Checkouts in each half of the run: the first with the factory down, the second with it back. */
  readonly checkoutsPerHalf: number;
  readonly seed?: number;
}

export const outageSizes = {
  test: { products: 3, checkoutsPerHalf: 40 },
  report: { products: 20, checkoutsPerHalf: 600 },
} satisfies Record<string, OutageSize>;

const MAX_RECEIVES = 3;
const PRODUCT = { stock: 12, reorderPoint: 4, reorderQuantity: 20 };

const FACTORY_TIMEOUT_MS = 500;
/** Past the timeout: the system stops waiting before the factory takes the order. */
const SLOW_ANSWER_MS = FACTORY_TIMEOUT_MS * 3;

/**
 * The factory is down for the first half of the run. Factory orders fail, are retried, and park in
 * the DLQ with their replenishments still open; sales go on meanwhile. Once the factory is back, an
 * operator redrives the DLQ through the ops API. The second half brings the faults where nobody can
 * know whether the factory took an order: it answers only after the timeout, then it takes orders and
 * drops the connection without answering; all the while it ignores Idempotency-Key, as a legacy one
 * may. Every replenishment completes exactly once, each one production job at the factory.
 */
export async function outageScenario(size: OutageSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runOnSystem(
    'Factory outage (down for half the run)',
    context,
    {
      QUEUE_VISIBILITY_TIMEOUT_S: '1',
      QUEUE_MAX_RECEIVE_COUNT: String(MAX_RECEIVES),
      FACTORY_TIMEOUT_MS: String(FACTORY_TIMEOUT_MS),
      FACTORY_STAGE_MS: '30',
    },
    (system, checks, describe) => run(system, size, checks, describe, context),
  );
}

async function run(
  system: TestSystem,
  size: OutageSize,
  checks: Checks,
  describe: (load: string, faults: string) => void,
  context: ChaosContext,
) {
  const log = context.log ?? (() => {});
  const random = seededRandom(size.seed ?? 11);
  const simulator = system.simulator!;
  const tag = Date.now().toString(36);
  const sold = Array.from({ length: size.products }, (_, i) => `OUT-${tag}-${i}`);
  // One product per fault where nobody can know whether the factory took the order.
  const unsure = { slow: `OUT-${tag}-slow`, drop: `OUT-${tag}-drop` };
  const skus = [...sold, unsure.slow, unsure.drop];
  for (const sku of skus) {
    await system.api(`/products/${sku}`, { method: 'PUT', json: productBody(PRODUCT), admin: true });
  }
  const placed = new Map<string, number>(skus.map((s) => [s, 0]));
  const statuses: number[] = [];
  const buyHalf = async (n: number) => {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const sku = sold[Math.floor(random() * sold.length)]!;
      const quantity = 1 + Math.floor(random() * 3);
      const res = await system.api('/checkout', { json: { sku, quantity, customerId: `outage-${i % 10}` } });
      statuses.push(res.status);
      if (res.status === 201) {
        ok++;
        placed.set(sku, placed.get(sku)! + quantity);
      }
      // Spread the half over time, so retries and sales overlap.
      await sleep(10);
    }
    return ok;
  };

  // First half: the factory is down.
  simulator.faults = { ...simulator.faults, down: true };
  const downStarted = Date.now();
  const soldWhileDown = await buyHalf(size.checkoutsPerHalf);
  // Every order opened while down ends in the DLQ after its retries; none may be dropped. (A moment
  // first, so the last sale's event has left the outbox.)
  await sleep(1500);
  await waitFor(
    'every factory order of the outage to park in the DLQ',
    async () => (await queueDepthsOf(system))['factory-orders']!.messages === 0,
    30_000 + size.products * 1000,
  );
  const depthsDown = await queueDepthsOf(system);
  const parked = depthsDown['factory-orders']!.dlq;
  const openWhileDown = await system.inventory.db
    .selectFrom('replenishments')
    .select(['id', 'status'])
    .where('sku', 'in', skus)
    .execute();
  const failures = (await consumerRecords(system, 'factory-orders')).failed;
  const downMs = Date.now() - downStarted;
  log(
    `outage: ${openWhileDown.length} replenishments opened while down, ${parked} parked, ${failures} failed attempts`,
  );
  checks.check(
    'sales go on while the factory is down',
    soldWhileDown > 0 && statuses.every((s) => s === 201 || s === 409),
    `${soldWhileDown} of ${size.checkoutsPerHalf} checkouts placed during the outage, the rest 409 out_of_stock; no other status`,
  );
  checks.check(
    'orders retried, then parked in the DLQ with their replenishment still open: nothing lost',
    openWhileDown.length > 0 &&
      parked === openWhileDown.length &&
      openWhileDown.every((r) => r.status === 'requested') &&
      failures >= parked * MAX_RECEIVES &&
      simulator.jobs.size === 0,
    `${openWhileDown.length} replenishments opened while down, all still requested; ${parked} factory orders in the DLQ ` +
      `after ${failures} failed attempts (${MAX_RECEIVES} each); ${simulator.jobs.size} reached the factory`,
  );

  // The factory is back: an operator redrives through the ops API; sales go on.
  simulator.faults = { ...simulator.faults, down: false, ignoreIdempotencyKey: true };
  const listed = await system.api('/ops/dlq/factory-orders', { admin: true });
  const redrive = await system.api('/ops/dlq/factory-orders/redrive', { method: 'POST', admin: true });
  checks.check(
    'the ops API lists and redrives the parked orders',
    listed.status === 200 &&
      listed.body.messages.length === parked &&
      listed.body.messages.every((m: { receiveCount: number }) => m.receiveCount >= MAX_RECEIVES) &&
      redrive.status === 200 &&
      redrive.body.moved === parked,
    `GET listed ${listed.body.messages?.length}, each received ≥ ${MAX_RECEIVES} times; redrive moved ${redrive.body.moved}`,
  );
  const soldAfter = await buyHalf(size.checkoutsPerHalf);
  // Then the factory answers only after the timeout, then it accepts and drops the connection: one
  // replenishment each, opened by a sale to the reorder point.
  const unsureOrders = async (sku: string, faults: Partial<typeof simulator.faults>) => {
    simulator.faults = { ...simulator.faults, ...faults };
    const quantity = PRODUCT.stock - PRODUCT.reorderPoint;
    const res = await system.api('/checkout', { json: { sku, quantity, customerId: 'outage-unsure' } });
    statuses.push(res.status);
    if (res.status === 201) placed.set(sku, placed.get(sku)! + quantity);
    await waitFor(`the factory to take the order for ${sku}`, async () =>
      [...simulator.jobs.values()].some((j) => j.body.MessageAttributeProductId === sku),
    );
  };
  await unsureOrders(unsure.slow, { extraLatencyMs: SLOW_ANSWER_MS });
  await unsureOrders(unsure.drop, { extraLatencyMs: 0, dropAfterAccept: true });
  simulator.faults = { ...simulator.faults, extraLatencyMs: 0, dropAfterAccept: false };

  const all = await waitFor(
    'every replenishment to complete',
    async () => {
      const rows = await system.inventory.db
        .selectFrom('replenishments')
        .selectAll()
        .where('sku', 'in', skus)
        .execute();
      return rows.every((r) => r.status === 'completed') ? rows : undefined;
    },
    60_000,
  ).catch(async () => system.inventory.db.selectFrom('replenishments').selectAll().where('sku', 'in', skus).execute());
  const depths = await waitForQueuesDrained(system, 60_000, 1500);
  describe(
    `${size.checkoutsPerHalf * 2} checkouts over ${size.products} products, half during the outage ` +
      `(${soldWhileDown + soldAfter} placed)`,
    `factory answers 503 for ${(downMs / 1000).toFixed(0)} s (first half): ${failures} failed factory calls, ` +
      `${parked} orders dead-lettered, then redriven through POST /ops/dlq/factory-orders/redrive; then, ignoring ` +
      `Idempotency-Key, answers an order after ${SLOW_ANSWER_MS} ms > ${FACTORY_TIMEOUT_MS} ms timeout and ` +
      `accepts another but drops the connection`,
  );
  const jobsPerReplenishment = new Map<string, number>();
  for (const job of simulator.jobs.values()) {
    const id = new URL(job.body.CallbackUrl).pathname.split('/').at(-1)!;
    jobsPerReplenishment.set(id, (jobsPerReplenishment.get(id) ?? 0) + 1);
  }
  const unanswered = all.filter((r) => r.factory_order_id === null).length;
  checks.check(
    'every replenishment completes after recovery, each one production job at the factory (answered or not)',
    all.every((r) => r.status === 'completed') &&
      all.every((r) => jobsPerReplenishment.get(r.id) === 1) &&
      unanswered >= 2,
    `${all.filter((r) => r.status === 'completed').length}/${all.length} completed; ` +
      `${simulator.jobs.size} factory orders for ${all.length} replenishments, ${unanswered} of them never answered`,
  );
  const products = await system.inventory.db
    .selectFrom('products')
    .select(['sku', 'stock'])
    .where('sku', 'in', skus)
    .execute();
  const balanced = products.filter((p) => {
    const produced = sum(
      all.filter((r) => r.sku === p.sku && r.status === 'completed').map((r) => r.produced_quantity ?? 0),
    );
    return PRODUCT.stock + produced - placed.get(p.sku)! === p.stock;
  });
  checks.equal(
    'stock = initial + produced − confirmed sales, per product',
    balanced.length,
    products.length,
    'products balanced',
  );
  const mails = await Promise.all(all.map((r) => mailsFor(system, r.id)));
  checks.check(
    'one pause and one resume mail per replenishment, outage or not',
    mails.every((m) => m.pause === 1 && m.resume === 1),
    `${sum(mails.map((m) => m.pause))} pause, ${sum(mails.map((m) => m.resume))} resume for ${all.length} replenishments`,
  );
  checks.check(
    'all queues and DLQs drained after the redrive',
    Object.values(depths).every((d) => d.messages === 0 && d.dlq === 0),
    Object.entries(depths)
      .map(([name, d]) => `${name} ${d.messages}/dlq ${d.dlq}`)
      .join(', '),
  );
}
