import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { CustomersTables } from '../../../src/databases/customers/tables.ts';
import { inventoryMigrations } from '../../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../../src/databases/inventory/tables.ts';
import { FactorySimulator } from '../../../src/factory-simulator/simulator.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';
import { customersMigrations } from '../../../src/services/customers/migrations.ts';
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

export interface CartSaleSize {
  /** Cart checkouts in the sale. */
  readonly carts: number;
  /** SIGKILLs during the sale, each followed by a restart on the same PORT and DATA_DIR. */
  readonly kills: number;
  /** Requests in flight at once (checkouts and cancellations). */
  readonly concurrency: number;
  readonly skus: number;
  /** Per sku: starting stock, reorder point and reorder quantity. */
  readonly stock: number;
  readonly reorderPoint: number;
  readonly reorderQuantity: number;
  /** After a placed order, the chance its buyer's connection then cancels an order (it or an earlier one). */
  readonly cancelRate: number;
  /** How long the queues must stay empty before the run is called settled. */
  readonly quietMs: number;
  readonly seed?: number;
}

export const cartSaleSizes = {
  test: {
    carts: 200,
    kills: 1,
    concurrency: 64,
    skus: 20,
    stock: 30,
    reorderPoint: 10,
    reorderQuantity: 30,
    cancelRate: 0.2,
    quietMs: 1000,
  },
  report: {
    carts: 6000,
    kills: 3,
    concurrency: 64,
    skus: 20,
    stock: 300,
    reorderPoint: 100,
    reorderQuantity: 400,
    cancelRate: 0.1,
    quietMs: 3000,
  },
} satisfies Record<string, CartSaleSize>;

interface Line {
  readonly sku: string;
  readonly quantity: number;
}

interface CartRequest {
  readonly index: number;
  readonly items: readonly Line[];
  readonly customerId: string;
  readonly correlationId: string;
  /** Keyed requests are retried with the same Idempotency-Key until they get an answer. */
  readonly key: string | undefined;
  readonly attempts: (number | 'died')[];
  outcome: 'placed' | 'out_of_stock' | 'died' | 'other';
  orderId?: string;
}

interface Cancellation {
  readonly orderId: string;
  /** Every answer, one per request sent (a cancel may be sent twice at once, and retried after a kill). */
  readonly answers: (number | 'died')[];
}

const CUSTOMERS = 200;
const MAX_LINES = 5;

/**
 * A flash sale of carts (1–5 lines over many skus, all or nothing) while the whole process is SIGKILLed
 * and restarted, and buyers cancel orders at random (some twice at once) through POST /orders/{id}/cancel.
 * The factory runs outside the system, as the real one does. Afterwards the databases are opened
 * directly: per sku, stock = start + delivered − sold + returned, read from the order lines.
 */
export async function cartSaleScenario(size: CartSaleSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runScenario('Cart flash sale (SIGKILLs and cancellations)', async (checks, describe) => {
    const log = context.log ?? (() => {});
    const random = seededRandom(size.seed ?? 22);
    const data = await tempDir('donut-chaos-carts-');
    const simulator = new FactorySimulator({ stageMs: 20 });
    const factoryUrl = await simulator.listen(0);
    let current: SpawnedSystem | undefined;
    try {
      const port = await freePort();
      const env = {
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: data.dir,
        FACTORY_URL: factoryUrl,
        // A callback the factory sent while the system was down is lost: the timeout re-orders it.
        REPLENISHMENT_TIMEOUT_S: '10',
        SCHEDULE_INTERVAL_S: '1',
        LOG_LEVEL: 'error',
      };
      await Promise.all(
        topology.databases.map((d) => copyEmptyPglite(path.join(data.dir, d.name), context.pgliteTemplate)),
      );
      current = await spawnSystem(env);
      const restartMs: number[] = [];

      const skus = Array.from({ length: size.skus }, (_, i) => `CARTS-${String(i).padStart(2, '0')}`);
      for (const sku of skus) {
        const put = await current.api(`/products/${sku}`, {
          method: 'PUT',
          json: productBody({
            stock: size.stock,
            reorderPoint: size.reorderPoint,
            reorderQuantity: size.reorderQuantity,
            factoryId: 'factory-carts',
          }),
          admin: true,
        });
        if (put.status !== 201) throw new Error(`could not create ${sku}: ${put.status}`);
      }

      const requests: CartRequest[] = Array.from({ length: size.carts }, (_, index) => {
        const pool = [...skus];
        const lines = 1 + Math.floor(random() * Math.min(MAX_LINES, pool.length));
        const items = Array.from({ length: lines }, () => ({
          sku: pool.splice(Math.floor(random() * pool.length), 1)[0]!,
          quantity: 1 + Math.floor(random() * 3),
        }));
        return {
          index,
          items,
          customerId: `carts-customer-${Math.floor(random() * CUSTOMERS)}`,
          correlationId: `carts-${index}`,
          key: index % 2 === 0 ? `carts-key-${index}` : undefined,
          attempts: [],
          outcome: 'died',
        };
      });

      // Workers wait at the gate while the system is down, so only requests in flight at the kill die.
      let gate: Promise<void> = Promise.resolve();
      let answered = 0;
      let saleOver = false;
      const minStock = new Map<string, number>(skus.map((s) => [s, Number.POSITIVE_INFINITY]));
      const seen = (sku: string, stock: number) => {
        if (minStock.has(sku)) minStock.set(sku, Math.min(minStock.get(sku)!, stock));
      };
      const placedIds: string[] = [];
      const cancellations = new Map<string, Cancellation>();

      /** One request to whichever system is up; 'died' when the connection dropped. */
      const call = async (pathname: string, init: Parameters<SpawnedSystem['api']>[1]) => {
        await gate;
        try {
          return await current!.api(pathname, init);
        } catch {
          return 'died' as const;
        }
      };

      const checkout = async (request: CartRequest) => {
        for (let attempt = 0; attempt < 6; attempt++) {
          const res = await call('/checkout', {
            json: { items: request.items, customerId: request.customerId },
            headers: {
              'x-correlation-id': request.correlationId,
              ...(request.key ? { 'idempotency-key': request.key } : {}),
            },
          });
          request.attempts.push(res === 'died' ? res : res.status);
          if (res === 'died') {
            if (!request.key) break;
            // A careful client retries with the same key once the shop answers again.
            await sleep(200);
            continue;
          }
          if (res.status === 201) {
            request.outcome = 'placed';
            request.orderId = res.body.order.id;
            for (const [sku, stock] of Object.entries(res.body.remaining as Record<string, number>)) seen(sku, stock);
          } else if (res.status === 409) {
            request.outcome = 'out_of_stock';
            for (const s of res.body.shortages as { sku: string; available: number }[]) seen(s.sku, s.available);
          } else request.outcome = 'other';
          return;
        }
      };

      // A cancel is safe to repeat: it is retried after a dropped connection until it is answered.
      const cancelOnce = async (cancellation: Cancellation) => {
        for (let attempt = 0; attempt < 6; attempt++) {
          const res = await call(`/orders/${cancellation.orderId}/cancel`, { method: 'POST', admin: true });
          cancellation.answers.push(res === 'died' ? res : res.status);
          if (res !== 'died') return;
          await sleep(200);
        }
      };

      const cancelSomething = async (justPlaced: string) => {
        // Half of the time the order just placed, else any earlier one (it may be cancelled already).
        const orderId = random() < 0.5 ? justPlaced : placedIds[Math.floor(random() * placedIds.length)]!;
        const cancellation = cancellations.get(orderId) ?? { orderId, answers: [] };
        cancellations.set(orderId, cancellation);
        const twice = random() < 0.3;
        await Promise.all([cancelOnce(cancellation), ...(twice ? [cancelOnce(cancellation)] : [])]);
      };

      let next = 0;
      const worker = async () => {
        for (;;) {
          const request = requests[next++];
          if (!request) return;
          await checkout(request);
          answered++;
          if (request.outcome === 'placed') {
            placedIds.push(request.orderId!);
            if (random() < size.cancelRate) await cancelSomething(request.orderId!);
          }
        }
      };

      const killer = async () => {
        const span = size.carts / (size.kills + 1);
        for (let k = 1; k <= size.kills; k++) {
          const threshold = Math.floor(span * k + (random() - 0.5) * span * 0.5);
          while (answered < threshold && !saleOver) await sleep(5);
          if (saleOver) return;
          let open!: () => void;
          gate = new Promise((resolve) => (open = resolve));
          log(`carts: SIGKILL ${k}/${size.kills} after ${answered} answered carts`);
          await current!.kill();
          const started = Date.now();
          current = await spawnSystem(env);
          restartMs.push(Date.now() - started);
          open();
        }
      };

      const sampler = async () => {
        while (!saleOver) {
          await sleep(250);
          const res = await call('/products', {});
          if (res === 'died' || res.status !== 200) continue;
          for (const product of res.body.products as { sku: string; stock: number }[]) seen(product.sku, product.stock);
        }
      };

      const saleStarted = Date.now();
      const killing = killer();
      const sampling = sampler();
      await Promise.all(Array.from({ length: size.concurrency }, worker));
      saleOver = true;
      await Promise.all([killing, sampling]);
      const saleMs = Date.now() - saleStarted;
      log(`carts: sale of ${size.carts} carts took ${saleMs} ms, ${restartMs.length} kills`);

      const count = (outcome: CartRequest['outcome']) => requests.filter((r) => r.outcome === outcome).length;
      const placed = requests.filter((r) => r.outcome === 'placed');
      const died = requests.filter((r) => r.outcome === 'died');
      const cancelList = [...cancellations.values()];
      const cancelAnswers = cancelList.flatMap((c) => c.answers);
      const load =
        `${size.carts.toLocaleString('en-US')} carts of 1–${MAX_LINES} lines over ${size.skus} SKUs, ` +
        `${size.concurrency} in flight, ${CUSTOMERS} customers (${count('placed')} placed, ${count('out_of_stock')} refused whole); ` +
        `${cancelList.length} orders cancelled at random (${cancelAnswers.length} cancel requests, some twice at once)`;
      const faults =
        `${restartMs.length} × SIGKILL of the whole process + restart on the same DATA_DIR (restarts took ${restartMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}); ` +
        `${requests.filter((r) => r.attempts.includes('died')).length} carts and ${cancelAnswers.filter((a) => a === 'died').length} cancels cut off`;
      describe(load, faults);
      checks.equal('the planned SIGKILLs happened', restartMs.length, size.kills);
      checks.equal('every cart answered 201 or 409 (no 5xx, no other status)', count('other'), 0, 'other answers');
      checks.equal(
        'every keyed cart and every cancel got an answer after retrying',
        {
          carts: died.filter((r) => r.key).length,
          cancels: cancelList.filter((c) => !c.answers.some((a) => a !== 'died')).length,
        },
        { carts: 0, cancels: 0 },
        'left without an answer',
      );
      checks.check(
        'every cancel answered 200',
        cancelAnswers.every((a) => a === 200 || a === 'died'),
        `${cancelAnswers.filter((a) => a === 200).length} × 200, others: ${JSON.stringify(cancelAnswers.filter((a) => a !== 200 && a !== 'died'))}`,
      );

      // Settle: every queue and every DLQ empty, nothing in flight, for a while on end.
      const system = current;
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
          return !busy && Date.now() - quietSince > size.quietMs ? list : undefined;
        },
        120_000,
      ).catch((error: Error) => {
        checks.check('queues drained after the sale', false, error.message);
        return [];
      });
      for (const q of queues.filter((q) => q.deadLetter.messages > 0)) {
        const parked = await system.api(`/ops/dlq/${q.name}`, { admin: true });
        log(`carts: ${q.name} DLQ holds ${JSON.stringify(parked.body).slice(0, 4000)}`);
      }
      checks.check(
        'every queue and every dead-letter queue drained to zero',
        queues.length > 0 && queues.every((q) => q.messages + q.inFlight + q.deadLetter.messages === 0),
        queues.map((q) => `${q.name} ${q.messages}+${q.inFlight} dlq ${q.deadLetter.messages}`).join(', '),
      );
      checks.equal('SIGTERM after the run shuts down cleanly', await system.stop(), 0, 'exit code');
      current = undefined;

      const inventory = await openDatabase<InventoryTables>({
        dataDir: path.join(data.dir, 'inventory'),
        migrations: inventoryMigrations,
      });
      const customers = await openDatabase<CustomersTables>({
        dataDir: path.join(data.dir, 'customers'),
        migrations: customersMigrations,
      });
      try {
        const products = await inventory.db
          .selectFrom('products')
          .select(['sku', 'stock'])
          .where('sku', 'in', skus)
          .execute();
        const orders = await inventory.db
          .selectFrom('orders')
          .select(['id', 'quantity', 'customer_id', 'correlation_id', 'status'])
          .where('correlation_id', 'like', 'carts-%')
          .execute();
        // What was sold and returned, from the order lines, never from the stock columns.
        const lines = await inventory.db
          .selectFrom('order_items')
          .select(['order_id', 'sku', 'quantity'])
          .where('sku', 'in', skus)
          .execute();
        const delivered = await inventory.db
          .selectFrom('replenishments')
          .select(['sku', (eb) => eb.fn.sum<number>('produced_quantity').as('quantity')])
          .where('sku', 'in', skus)
          .where('status', '=', 'completed')
          .groupBy('sku')
          .execute();
        const events = await inventory.db
          .selectFrom('outbox')
          .select(['type', sql<string>`payload->'data'->>'orderId'`.as('orderId')])
          .where('type', 'in', ['order.placed', 'order.cancelled'])
          .execute();
        const unpublished = async (db: Kysely<InventoryTables> | Kysely<CustomersTables>) => {
          const { rows } = await sql<{
            n: number;
          }>`select count(*)::int as n from outbox where published_at is null`.execute(db);
          return rows[0]!.n;
        };
        const outboxes = { inventory: await unpublished(inventory.db), customers: await unpublished(customers.db) };
        const customerRows = await customers.db.selectFrom('customers').select(['id', 'purchased_quantity']).execute();
        const inbox = await customers.db
          .selectFrom('processed_orders')
          .select(['order_id', 'placed', 'cancelled_at'])
          .execute();

        const ordersById = new Map(orders.map((o) => [o.id, o]));
        const linesOf = new Map<string, Line[]>();
        for (const line of lines) linesOf.set(line.order_id, [...(linesOf.get(line.order_id) ?? []), line]);
        const cancelled = orders.filter((o) => o.status === 'cancelled');

        const sameLines = (a: readonly Line[], b: readonly Line[]) =>
          JSON.stringify([...a].map((l) => [l.sku, l.quantity]).sort()) ===
          JSON.stringify([...b].map((l) => [l.sku, l.quantity]).sort());
        const notAsConfirmed = placed.filter((r) => {
          const order = ordersById.get(r.orderId!);
          return !order || order.customer_id !== r.customerId || !sameLines(linesOf.get(order.id) ?? [], r.items);
        });
        checks.equal(
          'every 201 is an order, with the lines and customer it confirmed',
          notAsConfirmed.length,
          0,
          `${placed.length} confirmed orders checked; missing or different`,
        );
        const perRequest = new Map<string, number>();
        for (const o of orders) perRequest.set(o.correlation_id, (perRequest.get(o.correlation_id) ?? 0) + 1);
        const unexplained = orders.filter((o) => {
          const request = requests[Number(o.correlation_id.replace('carts-', ''))];
          return !request || request.outcome === 'out_of_stock' || !sameLines(linesOf.get(o.id) ?? [], request.items);
        });
        checks.check(
          'no order but confirmed or cut-off carts, each whole, at most one per cart',
          unexplained.length === 0 && [...perRequest.values()].every((n) => n === 1),
          `${orders.length} orders for ${placed.length} confirmed and ${died.length} cut off; ${unexplained.length} unexplained, ` +
            `${[...perRequest.values()].filter((n) => n > 1).length} carts with two orders`,
        );

        const answered200 = cancelList.filter((c) => c.answers.includes(200)).map((c) => c.orderId);
        const asked = new Set(cancellations.keys());
        checks.check(
          'every order answered cancelled is cancelled; no order cancelled that nobody cancelled',
          answered200.every((id) => ordersById.get(id)?.status === 'cancelled') &&
            cancelled.every((o) => asked.has(o.id)),
          `${answered200.length} answered cancelled, ${cancelled.length} cancelled in the database`,
        );

        const deliveredBySku = new Map(delivered.map((d) => [d.sku, Number(d.quantity)]));
        const ledger = skus.map((sku) => {
          const ofSku = lines.filter((l) => l.sku === sku);
          const sold = sum(ofSku.map((l) => l.quantity));
          const returned = sum(
            ofSku.filter((l) => ordersById.get(l.order_id)?.status === 'cancelled').map((l) => l.quantity),
          );
          const stock = products.find((p) => p.sku === sku)!.stock;
          const inn = deliveredBySku.get(sku) ?? 0;
          return { sku, sold, returned, delivered: inn, stock, ok: size.stock + inn - sold + returned === stock };
        });
        checks.check(
          'per sku: stock = start + delivered − sold + returned (from the order lines)',
          ledger.every((l) => l.ok),
          ledger
            .filter((l, i) => !l.ok || i < 3)
            .map((l) => `${l.sku}: ${size.stock} + ${l.delivered} − ${l.sold} + ${l.returned} = ${l.stock}`)
            .join('; ') +
            `; in all sold ${sum(ledger.map((l) => l.sold))}, returned ${sum(ledger.map((l) => l.returned))}, delivered ${sum(ledger.map((l) => l.delivered))}`,
        );
        checks.check(
          'stock never negative',
          products.every((p) => p.stock >= 0) && [...minStock.values()].every((m) => m >= 0),
          `lowest stock seen in answers and samples: ${Math.min(...minStock.values())}; lowest final: ${Math.min(...products.map((p) => p.stock))}`,
        );

        const expected = new Map<string, number>();
        for (const o of orders) {
          const kept = o.status === 'cancelled' ? 0 : o.quantity;
          expected.set(o.customer_id, (expected.get(o.customer_id) ?? 0) + kept);
        }
        const wrong = [...expected].filter(
          ([id, quantity]) => (customerRows.find((c) => c.id === id)?.purchased_quantity ?? 0) !== quantity,
        );
        const inboxById = new Map(inbox.map((i) => [i.order_id, i]));
        const miscounted = orders.filter((o) => {
          const row = inboxById.get(o.id);
          return !row || (o.status === 'cancelled') !== (row.cancelled_at !== null);
        });
        checks.check(
          "customers' totals = sold − cancelled quantities, each order and each cancellation counted once",
          wrong.length === 0 && miscounted.length === 0,
          `${expected.size} customers, ${wrong.length} with a wrong total; ${orders.length} orders, ${inbox.length} in the customers' inbox, ${miscounted.length} missing or with the wrong cancellation`,
        );

        const eventsOf = (type: string) => {
          const perOrder = new Map<string, number>();
          for (const e of events.filter((x) => x.type === type))
            perOrder.set(e.orderId, (perOrder.get(e.orderId) ?? 0) + 1);
          return perOrder;
        };
        const placedEvents = eventsOf('order.placed');
        const cancelledEvents = eventsOf('order.cancelled');
        checks.check(
          'one order.placed per order and one order.cancelled per cancelled order, however often it was cancelled',
          orders.every((o) => placedEvents.get(o.id) === 1) &&
            cancelled.every((o) => cancelledEvents.get(o.id) === 1) &&
            cancelledEvents.size === cancelled.length,
          `${sum(placedEvents.values())} order.placed for ${orders.length} orders; ${sum(cancelledEvents.values())} order.cancelled for ${cancelled.length} cancelled`,
        );
        checks.equal('no event left in an outbox', outboxes, { inventory: 0, customers: 0 }, 'unpublished rows');
      } finally {
        await Promise.all([inventory.close(), customers.close()]);
      }
    } finally {
      if (current) await current.kill().catch(() => {});
      await simulator.close();
      await data.remove();
    }
  });
}
