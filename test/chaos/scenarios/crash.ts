import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { CustomersTables } from '../../../src/databases/customers/tables.ts';
import { inventoryMigrations } from '../../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../../src/databases/inventory/tables.ts';
import type { NotificationsTables } from '../../../src/databases/notifications/tables.ts';
import { FactorySimulator } from '../../../src/factory-simulator/simulator.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';
import { listMails } from '../../../src/platform/local/mail-sink.ts';
import { customersMigrations } from '../../../src/services/customers/migrations.ts';
import { notificationsMigrations } from '../../../src/services/notifications/migrations.ts';
import { topology } from '../../../src/topology.ts';
import { freePort, type SpawnedSystem, spawnSystem } from '../../helpers/spawned.ts';
import { productBody, waitFor } from '../../helpers/system.ts';
import {
  type ChaosContext,
  copyEmptyPglite,
  runScenario,
  type ScenarioResult,
  seededRandom,
  sleep,
  sum,
  tempDir,
} from '../harness.ts';

export interface CrashSize {
  /** Checkout requests in the flash sale. */
  readonly checkouts: number;
  /** SIGKILLs during the sale, each followed by a restart on the same PORT and DATA_DIR. */
  readonly kills: number;
  /**
   * How many of those (the first ones) wait, once due, for the factory's next order and strike the moment
   * it accepts it: the system dies before it can record the answer.
   */
  readonly killsAtFactoryOrder: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  readonly skus: number;
  readonly seed?: number;
}

export const crashSizes = {
  test: { checkouts: 300, kills: 1, killsAtFactoryOrder: 1, concurrency: 16, skus: 2 },
  report: { checkouts: 10_000, kills: 3, killsAtFactoryOrder: 1, concurrency: 32, skus: 3 },
} satisfies Record<string, CrashSize>;

interface Attempt {
  readonly status: number | 'died';
  readonly orderId?: string;
}

interface SaleRequest {
  readonly index: number;
  readonly sku: string;
  readonly quantity: number;
  readonly customerId: string;
  readonly correlationId: string;
  /** Keyed requests are retried with the same Idempotency-Key until they get an answer. */
  readonly key: string | undefined;
  readonly attempts: Attempt[];
  outcome: 'placed' | 'out_of_stock' | 'died' | 'other';
  orderId?: string;
}

const VIP_THRESHOLD = 100;
const REPLENISHMENT_TIMEOUT_S = 10;
const CUSTOMERS = 1000;
const PRODUCT = { stock: 500, reorderPoint: 250, reorderQuantity: 800 };

async function keepLog(system: SpawnedSystem, generation: number): Promise<void> {
  const dir = process.env.CHAOS_LOG_DIR;
  if (dir) await writeFile(path.join(dir, `crash-${generation}.log`), system.output());
}

/**
 * A flash sale while the whole process is SIGKILLed and restarted. The factory runs outside the
 * system (as the real one does) so it survives the crashes. Half the buyers send an Idempotency-Key
 * and retry after a dropped connection, as a careful client would; the other half give up.
 * Afterwards the databases are opened directly and every promise is checked against them.
 */
export async function crashScenario(size: CrashSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runScenario('Crash (SIGKILL during a flash sale)', async (checks, describe) => {
    const log = context.log ?? (() => {});
    const random = seededRandom(size.seed ?? 7);
    const data = await tempDir('donut-chaos-crash-');
    // Set while a kill waits for the factory's next order; called the moment the factory accepts one.
    let onFactoryOrder: (() => void) | undefined;
    // A legacy factory may ignore Idempotency-Key: only the system's own claim may keep an order single.
    const simulator = new FactorySimulator({
      stageMs: 20,
      faults: { ignoreIdempotencyKey: true },
      log: (message) => {
        if (message === 'factory order received') onFactoryOrder?.();
      },
    });
    const factoryUrl = await simulator.listen(0);
    let current: SpawnedSystem | undefined;
    try {
      const port = await freePort();
      const env = {
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: data.dir,
        FACTORY_URL: factoryUrl,
        // A callback the factory sent while the system was down is lost (the factory never retries): the
        // timeout re-orders it. Short here so the run ends in reasonable time.
        REPLENISHMENT_TIMEOUT_S: String(REPLENISHMENT_TIMEOUT_S),
        SCHEDULE_INTERVAL_S: '1',
        VIP_THRESHOLD: String(VIP_THRESHOLD),
        // CHAOS_LOG_DIR=dir keeps each process's info log there, to follow one order or event through crashes.
        LOG_LEVEL: process.env.CHAOS_LOG_DIR ? 'info' : 'error',
      };
      await Promise.all(
        topology.databases.map((d) => copyEmptyPglite(path.join(data.dir, d.name), context.pgliteTemplate)),
      );
      let started = Date.now();
      current = await spawnSystem(env);
      const restartMs: number[] = [Date.now() - started];

      const skus = Array.from({ length: size.skus }, (_, i) => `CRASH-${String.fromCharCode(65 + i)}`);
      for (const sku of skus) {
        const put = await current.api(`/products/${sku}`, {
          method: 'PUT',
          json: productBody({ ...PRODUCT, factoryId: 'factory-crash' }),
          admin: true,
        });
        if (put.status !== 201) throw new Error(`could not create ${sku}: ${put.status}`);
      }

      const requests: SaleRequest[] = Array.from({ length: size.checkouts }, (_, index) => ({
        index,
        sku: skus[Math.floor(random() * skus.length)]!,
        quantity: 1 + Math.floor(random() * 3),
        // A few big buyers (who become VIP) among many small ones.
        customerId: `crash-customer-${random() < 0.2 ? Math.floor(random() * 5) : 5 + Math.floor(random() * (CUSTOMERS - 5))}`,
        correlationId: `crash-${index}`,
        key: index % 2 === 0 ? `crash-key-${index}` : undefined,
        attempts: [],
        outcome: 'died',
      }));

      // Workers wait at the gate while the system is down, so only requests in flight at the kill die.
      let gate: Promise<void> = Promise.resolve();
      let answered = 0;
      let saleOver = false;
      const minStock = new Map<string, number>(skus.map((s) => [s, Number.POSITIVE_INFINITY]));

      const send = async (request: SaleRequest): Promise<Attempt> => {
        await gate;
        const system = current!;
        try {
          const res = await system.api('/checkout', {
            json: { sku: request.sku, quantity: request.quantity, customerId: request.customerId },
            headers: {
              'x-correlation-id': request.correlationId,
              ...(request.key ? { 'idempotency-key': request.key } : {}),
            },
          });
          if (res.status === 201) {
            minStock.set(request.sku, Math.min(minStock.get(request.sku)!, res.body.remaining));
            return { status: 201, orderId: res.body.order.id };
          }
          if (res.status === 409) minStock.set(request.sku, Math.min(minStock.get(request.sku)!, res.body.available));
          return { status: res.status };
        } catch {
          return { status: 'died' };
        }
      };

      let next = 0;
      const worker = async () => {
        for (;;) {
          const request = requests[next++];
          if (!request) return;
          for (let attempt = 0; attempt < 6; attempt++) {
            const result = await send(request);
            request.attempts.push(result);
            if (result.status !== 'died') break;
            if (!request.key) break;
            // A careful client retries with the same key once the shop answers again.
            await sleep(200);
          }
          const last = request.attempts.at(-1)!;
          if (last.status === 201) {
            request.outcome = 'placed';
            request.orderId = last.orderId!;
          } else if (last.status === 409) request.outcome = 'out_of_stock';
          else if (last.status !== 'died') request.outcome = 'other';
          answered++;
        }
      };

      const killedAt: string[] = [];
      let faults = '';
      let outboxLag = '';
      let killsAtOrder = 0;
      const killer = async () => {
        const span = size.checkouts / (size.kills + 1);
        for (let k = 1; k <= size.kills; k++) {
          const threshold = Math.floor(span * k + (random() - 0.5) * span * 0.5);
          const atOrder = k <= size.killsAtFactoryOrder;
          while (answered < threshold && !saleOver) await sleep(5);
          // A kill waiting for a factory order may strike just after the sale: the order follows its event.
          if (saleOver && !atOrder) return;
          let open!: () => void;
          const close = () => {
            gate = new Promise((resolve) => (open = resolve));
          };
          if (atOrder) {
            // Armed: the factory's acceptance of the next order kills the system before its answer arrives.
            const victim = current!;
            const struck = await new Promise<boolean>((resolve) => {
              onFactoryOrder = () => {
                onFactoryOrder = undefined;
                close();
                victim.child.kill('SIGKILL');
                resolve(true);
              };
              // Bounded: with no order to strike (none opened), the kill is reported missing.
              const giveUp = setTimeout(() => {
                onFactoryOrder = undefined;
                resolve(false);
              }, 60_000);
              void victim.child.once('exit', () => clearTimeout(giveUp));
            });
            if (!struck) return;
            killsAtOrder++;
            log(
              `crash: SIGKILL ${k}/${size.kills} the moment the factory accepted an order, after ${answered} answered`,
            );
          } else {
            close();
            log(`crash: SIGKILL ${k}/${size.kills} after ${answered} answered requests`);
          }
          killedAt.push(new Date().toISOString());
          await current!.kill();
          await keepLog(current!, restartMs.length);
          started = Date.now();
          current = await spawnSystem(env);
          restartMs.push(Date.now() - started);
          open();
        }
      };

      const sampler = async () => {
        while (!saleOver) {
          await sleep(250);
          try {
            await gate;
            const res = await current!.api('/products');
            for (const product of res.body.products as { sku: string; stock: number }[]) {
              if (minStock.has(product.sku))
                minStock.set(product.sku, Math.min(minStock.get(product.sku)!, product.stock));
            }
          } catch {
            // Down for a moment; the next sample will do.
          }
        }
      };

      const saleStarted = Date.now();
      const killing = killer();
      const sampling = sampler();
      await Promise.all(Array.from({ length: size.concurrency }, worker));
      saleOver = true;
      await Promise.all([killing, sampling]);
      const saleMs = Date.now() - saleStarted;
      const kills = restartMs.length - 1;
      log(`crash: sale of ${size.checkouts} took ${saleMs} ms, ${kills} kills`);

      const count = (outcome: SaleRequest['outcome']) => requests.filter((r) => r.outcome === outcome).length;
      const placed = requests.filter((r) => r.outcome === 'placed');
      const died = requests.filter((r) => r.outcome === 'died');
      const retried = requests.filter((r) => r.key && r.attempts.length > 1);
      const load =
        `${size.checkouts.toLocaleString('en-US')} checkouts on ${size.skus} SKUs, ${size.concurrency} in flight, ` +
        `${CUSTOMERS} customers, factory 5×20 ms stages (${count('placed')} placed, ${count('out_of_stock')} out of stock, ` +
        `${(size.checkouts / (saleMs / 1000)).toFixed(0)} req/s)`;
      const restarts = restartMs
        .slice(1)
        .map((ms) => `${(ms / 1000).toFixed(1)} s`)
        .join(', ');
      const cutOff = requests.filter((r) => r.attempts.some((a) => a.status === 'died')).length;
      faults =
        `${kills} × SIGKILL of the whole process + restart on the same DATA_DIR (restarts took ${restarts}), ` +
        `${killsAtOrder} of them the moment the factory accepted an order (it ignores Idempotency-Key); ` +
        `${cutOff} requests cut off, ${retried.length} retried with their Idempotency-Key`;
      describe(load, faults);
      checks.equal('the planned SIGKILLs happened', kills, size.kills);
      checks.equal(
        'the planned SIGKILLs at a factory order happened',
        killsAtOrder,
        Math.min(size.killsAtFactoryOrder, size.kills),
      );
      checks.equal('every request answered 201 or 409 (no 5xx, no other status)', count('other'), 0, 'other answers');
      checks.equal(
        'every keyed request got an answer after retrying with its Idempotency-Key',
        died.filter((r) => r.key).length,
        0,
        'keyed requests left without an answer',
      );

      // Let the system settle: open replenishments complete (a lost callback is re-ordered after the
      // timeout) and every queue drains.
      const system = current;
      await waitFor(
        'every replenishment to close',
        async () => {
          const res = await system.api('/products');
          return (res.body.products as { sku: string; replenishment: unknown }[])
            .filter((p) => skus.includes(p.sku))
            .every((p) => p.replenishment === null);
        },
        120_000,
      ).catch((error: Error) => checks.check('every replenishment closed after the sale', false, error.message));
      let quietSince = 0;
      const queues = await waitFor(
        'queues to drain',
        async () => {
          const res = await system.api('/ops/queues', { admin: true });
          const list = res.body.queues as {
            name: string;
            messages: number;
            inFlight: number;
            deadLetter: { messages: number };
          }[];
          const busy = list.some((q) => q.messages + q.inFlight > 0);
          if (busy) quietSince = 0;
          else quietSince ||= Date.now();
          return !busy && Date.now() - quietSince > 3000 ? list : undefined;
        },
        120_000,
      ).catch((error: Error) => {
        checks.check('queues drained after the sale', false, error.message);
        return [];
      });
      checks.check(
        'no event lost: every queue and every dead-letter queue drained to zero',
        queues.length > 0 && queues.every((q) => q.messages + q.inFlight + q.deadLetter.messages === 0),
        queues.map((q) => `${q.name} ${q.messages}+${q.inFlight} dlq ${q.deadLetter.messages}`).join(', '),
      );
      checks.equal('SIGTERM after the run shuts down cleanly', await system.stop(), 0, 'exit code');
      await keepLog(system, restartMs.length);
      current = undefined;

      // The databases themselves, opened directly.
      const inventory = await openDatabase<InventoryTables>({
        dataDir: path.join(data.dir, 'inventory'),
        migrations: inventoryMigrations,
      });
      const customers = await openDatabase<CustomersTables>({
        dataDir: path.join(data.dir, 'customers'),
        migrations: customersMigrations,
      });
      const notifications = await openDatabase<NotificationsTables>({
        dataDir: path.join(data.dir, 'notifications'),
        migrations: notificationsMigrations,
      });
      try {
        const products = await inventory.db
          .selectFrom('products')
          .select(['sku', 'stock'])
          .where('sku', 'in', skus)
          .execute();
        const orders = await inventory.db
          .selectFrom('orders')
          .select(['id', 'sku', 'quantity', 'customer_id', 'correlation_id'])
          .where('sku', 'in', skus)
          .execute();
        const replenishments = await inventory.db
          .selectFrom('replenishments')
          .selectAll()
          .where('sku', 'in', skus)
          .execute();
        const events = await inventory.db
          .selectFrom('outbox')
          .select([
            'type',
            sql<string>`payload->>'correlationId'`.as('correlation'),
            sql<string>`payload->'data'->>'orderId'`.as('orderId'),
            sql<string>`payload->'data'->>'replenishmentId'`.as('replenishmentId'),
          ])
          .execute();
        const { rows: lagRows } = await sql<{ p50: number; p99: number; max: number }>`select
            percentile_cont(0.5) within group (order by extract(epoch from published_at - created_at)) as p50,
            percentile_cont(0.99) within group (order by extract(epoch from published_at - created_at)) as p99,
            max(extract(epoch from published_at - created_at)) as max
          from outbox where published_at is not null`.execute(inventory.db);
        const lag = lagRows[0]!;
        outboxLag = `outbox → topic lag p50 ${Number(lag.p50).toFixed(2)} s, p99 ${Number(lag.p99).toFixed(1)} s, max ${Number(lag.max).toFixed(1)} s (crashes included)`;
        const unpublished = await inventory.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('published_at', 'is', null)
          .executeTakeFirstOrThrow();
        const customerRows = await customers.db.selectFrom('customers').selectAll().execute();
        const counted = await customers.db
          .selectFrom('processed_orders')
          .select(['order_id', 'customer_id', 'quantity'])
          .execute();
        const customersUnpublished = await customers.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('published_at', 'is', null)
          .executeTakeFirstOrThrow();
        const mailRows = await notifications.db.selectFrom('notifications').selectAll().execute();
        const mails = await listMails(path.join(data.dir, 'mail'));

        const ordersById = new Map(orders.map((o) => [o.id, o]));
        const ordersByCorrelation = new Map<string, typeof orders>();
        for (const order of orders) {
          const list = ordersByCorrelation.get(order.correlation_id) ?? [];
          list.push(order);
          ordersByCorrelation.set(order.correlation_id, list);
        }

        checks.check(
          'stock never went negative',
          products.every((p) => p.stock >= 0) && [...minStock.values()].every((m) => m >= 0),
          `lowest stock seen in answers and samples: ${skus.map((s) => `${s} ${minStock.get(s)}`).join(', ')}; final: ${products.map((p) => `${p.sku} ${p.stock}`).join(', ')}`,
        );
        const missing = placed.filter((r) => {
          const order = ordersById.get(r.orderId!);
          return !order || order.sku !== r.sku || order.quantity !== r.quantity || order.customer_id !== r.customerId;
        });
        checks.equal(
          'every confirmed (201) order is in the database, as confirmed',
          missing.length,
          0,
          `${placed.length} confirmed orders checked; missing or different`,
        );
        const unknownOrders = orders.filter((o) => {
          const request = requests[Number(o.correlation_id.replace('crash-', ''))];
          return !request || request.correlationId !== o.correlation_id || request.outcome === 'out_of_stock';
        });
        checks.equal(
          'no order the shop did not confirm except requests cut off',
          unknownOrders.length,
          0,
          'unexplained orders',
        );
        const keyedTwice = [...ordersByCorrelation.entries()].filter(([, list]) => list.length > 1);
        checks.equal(
          'one request, at most one order (retries with the same key replayed)',
          keyedTwice.length,
          0,
          'requests with two orders',
        );

        const diedHappened = died.filter((r) => (ordersByCorrelation.get(r.correlationId)?.length ?? 0) > 0).length;
        const orderEvents = new Map(events.filter((e) => e.type === 'order.placed').map((e) => [e.orderId, e]));
        const countedById = new Map(counted.map((c) => [c.order_id, c]));
        const half = orders.filter((o) => !orderEvents.has(o.id) || !countedById.has(o.id));
        const orphanEvents = [...orderEvents.keys()].filter((id) => !ordersById.has(id));
        checks.check(
          'a request cut off happened entirely or not at all (order, event, customer count)',
          half.length === 0 && orphanEvents.length === 0,
          `${died.length} requests died unanswered: ${diedHappened} happened, ${died.length - diedHappened} did not; ` +
            `${half.length} orders missing their event or customer count, ${orphanEvents.length} events without an order`,
        );

        const produced = (sku: string) =>
          sum(
            replenishments
              .filter((r) => r.sku === sku && r.status === 'completed')
              .map((r) => r.produced_quantity ?? 0),
          );
        const ledger = skus.map((sku) => {
          const sold = sum(orders.filter((o) => o.sku === sku).map((o) => o.quantity));
          const stock = products.find((p) => p.sku === sku)!.stock;
          return {
            sku,
            sold,
            produced: produced(sku),
            stock,
            balanced: PRODUCT.stock + produced(sku) - sold === stock,
          };
        });
        const confirmedQuantity = sum(placed.map((r) => r.quantity));
        const diedQuantity = sum(
          died.filter((r) => (ordersByCorrelation.get(r.correlationId)?.length ?? 0) > 0).map((r) => r.quantity),
        );
        checks.check(
          'stock consumed = confirmed quantities (+ cut-off requests that happened)',
          ledger.every((l) => l.balanced) && sum(ledger.map((l) => l.sold)) === confirmedQuantity + diedQuantity,
          `sold ${sum(ledger.map((l) => l.sold))} = confirmed ${confirmedQuantity} + cut off ${diedQuantity}; ` +
            ledger
              .map((l) => `${l.sku}: ${PRODUCT.stock} + produced ${l.produced} − sold ${l.sold} = ${l.stock}`)
              .join('; '),
        );

        const expected = new Map<string, number>();
        for (const order of orders)
          expected.set(order.customer_id, (expected.get(order.customer_id) ?? 0) + order.quantity);
        const wrongCustomers = [...expected].filter(([id, quantity]) => {
          const row = customerRows.find((c) => c.id === id);
          return !row || row.purchased_quantity !== quantity || (row.tier === 'vip') !== quantity >= VIP_THRESHOLD;
        });
        checks.check(
          'every order counted once by the customer service',
          wrongCustomers.length === 0 && counted.length === orders.length,
          `${counted.length} orders counted for ${orders.length} placed; ${expected.size} customers, ${customerRows.filter((c) => c.tier === 'vip').length} VIP; ${wrongCustomers.length} with a wrong total or tier`,
        );

        const completed = replenishments.filter((r) => r.status === 'completed');
        const completedEvents = events.filter((e) => e.type === 'replenishment.completed');
        const perReplenishment = new Map<string, number>();
        for (const job of simulator.jobs.values()) {
          const id = new URL(job.body.CallbackUrl).pathname.split('/').at(-1)!;
          perReplenishment.set(id, (perReplenishment.get(id) ?? 0) + 1);
        }
        const neverOrdered = replenishments.filter((r) => !perReplenishment.has(r.id));
        if (neverOrdered.length > 0) {
          log(`crash: never ordered: ${JSON.stringify(neverOrdered)}; kills at ${JSON.stringify(killedAt)}`);
        }
        const orderedTwice = [...perReplenishment.values()].filter((n) => n > 1).length;
        checks.equal(
          'one production job per replenishment, a kill between the factory accepting and the system recording it included',
          orderedTwice,
          0,
          `${simulator.jobs.size} factory orders for ${perReplenishment.size} replenishments; replenishments ordered more than once`,
        );
        checks.check(
          'no replenishment duplicated: each raised stock once and closed once',
          completedEvents.length === completed.length &&
            new Set(completedEvents.map((e) => e.replenishmentId)).size === completed.length &&
            completed.every((r) => r.produced_quantity === r.quantity) &&
            replenishments.every((r) => r.status === 'completed' || r.status === 'timed_out'),
          `${replenishments.length} replenishments: ${completed.length} completed, ${replenishments.filter((r) => r.status === 'timed_out').length} timed out and re-ordered; ` +
            `${completedEvents.length} replenishment.completed events; ${simulator.jobs.size} factory orders`,
        );
        const mailRow = (id: string, kind: string) => {
          const rows = mailRows.filter((m) => m.replenishment_id === id && m.kind === kind);
          return rows.length === 1 ? rows[0]! : undefined;
        };
        // A pause whose replenishment's resume went out first (its event waited out a restart in the
        // outbox) is settled as `dropped` by design: ads paused after the goods arrived would stay paused.
        const pauseSettled = (id: string) => {
          const pause = mailRow(id, 'pause_ads');
          if (pause?.status === 'sent') return true;
          return pause?.status === 'dropped' && mailRow(id, 'resume_ads')?.status === 'sent';
        };
        const pausesMissing = replenishments.filter((r) => !pauseSettled(r.id));
        const resumesMissing = completed.filter((r) => mailRow(r.id, 'resume_ads')?.status !== 'sent');
        const mailsMissing = pausesMissing.length + resumesMissing.length;
        const pausesDropped = mailRows.filter((m) => m.kind === 'pause_ads' && m.status === 'dropped').length;
        if (mailsMissing > 0) {
          const rowsOf = (id: string) => mailRows.filter((m) => m.replenishment_id === id);
          log(
            `crash: mails missing: ${JSON.stringify([...pausesMissing, ...resumesMissing].map((r) => ({ id: r.id, status: r.status, mails: rowsOf(r.id).map((m) => `${m.kind}:${m.status}`) })))}`,
          );
        }
        const mailCount = (kind: string) => mails.filter((m) => m.subject.toLowerCase().includes(kind)).length;
        checks.check(
          'no event lost: every replenishment reached the factory (or was re-ordered on timeout) and the ad manager',
          // A replenishment whose event came later than REPLENISHMENT_TIMEOUT_S was superseded by a new order:
          // its event still arrived (the pause mail proves it), it was just no longer wanted.
          neverOrdered.every((r) => r.status === 'timed_out') && mailsMissing === 0,
          `${neverOrdered.length} replenishments never ordered (${neverOrdered.filter((r) => r.status === 'timed_out').length} of them re-ordered after the ${REPLENISHMENT_TIMEOUT_S} s timeout); ` +
            `${mailsMissing} pause/resume mails missing, ${pausesDropped} pause mails dropped because the resume went out first; ` +
            `${mails.length} mails in the sink (${mailCount('pause')} pause, ${mailCount('resume')} resume; at least once by design)`,
        );
        describe(`${load}; ${outboxLag}`, faults);
        checks.equal(
          'no event lost: both outboxes fully published',
          { inventory: Number(unpublished.n), customers: Number(customersUnpublished.n) },
          { inventory: 0, customers: 0 },
          'unpublished rows',
        );
      } finally {
        await Promise.all([inventory.close(), customers.close(), notifications.close()]);
      }
    } finally {
      if (current) await current.kill().catch(() => {});
      await simulator.close();
      await data.remove();
    }
  });
}
