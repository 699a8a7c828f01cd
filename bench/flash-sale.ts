import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createProduct, waitForDrain } from './lib/admin-api.ts';
import { type BenchEngine, openRunDatabases, pgliteEngine } from './lib/engine.ts';
import { type LoadResult, load } from './lib/load.ts';
import { replenishmentFigures } from './lib/replenishments.ts';
import { downstreamInvariants, eventLagMs } from './lib/sale-checks.ts';
import { startSystemProcess } from './lib/system-process.ts';
import { measureUsage, type SaleUsage } from './lib/usage.ts';

export interface FlashSaleOptions {
  readonly checkouts: number;
  readonly connections: number;
  /** Connections reading GET /products meanwhile. */
  readonly readConnections: number;
  readonly skus: number;
  /** Per sku: starting stock, reorder point and reorder quantity (stock runs out and is replenished). */
  readonly stock: number;
  readonly reorderPoint: number;
  readonly reorderQuantity: number;
  readonly customers: number;
  readonly factoryStageMs: number;
  /** Bound on waiting for queues to drain after the load. */
  readonly drainTimeoutS: number;
  /** Checkouts of a product of its own, by customers of their own, before the sale (see {@link warmUp}). */
  readonly warmupCheckouts: number;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

/** `cpu`, `saleRssMb`, `peakRssMb` (SaleUsage) cover the sale and the queues draining after it. */
export interface FlashSaleResult extends SaleUsage {
  options: FlashSaleOptions;
  /** The warm-up run: what a freshly started system does while it still compiles its hot paths. */
  warmup: LoadResult;
  checkout: LoadResult;
  reads: LoadResult;
  confirmed: number;
  confirmedPerSecond: number;
  eventLagMs: { p50: number; p99: number; max: number };
  stockOutToFactoryOrderMs: { p50: number; max: number; count: number };
  /** Replenishment requested → its stock added (factory order, production, callback, restock): the refill. */
  refillMs: { p50: number; max: number };
  replenishments: number;
  invariants: Invariant[];
}

export const smallFlashSale: FlashSaleOptions = {
  checkouts: 300,
  connections: 16,
  readConnections: 2,
  skus: 1,
  stock: 100,
  reorderPoint: 10,
  reorderQuantity: 100,
  customers: 30,
  factoryStageMs: 20,
  drainTimeoutS: 60,
  warmupCheckouts: 100,
};

/**
 * The flash sale: one product (or several), a crowd of checkouts of 1 with unique Idempotency-Keys,
 * concurrent GET /products, stock running out and being replenished by a fast factory during the run.
 * Afterwards, with the system stopped, its databases are opened and the invariants checked.
 */
export async function runFlashSale(
  options: FlashSaleOptions,
  engine: BenchEngine = pgliteEngine,
): Promise<FlashSaleResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-bench-'));
  const databases = await engine.databases(dataDir);
  const system = await startSystemProcess({
    ...databases,
    DATA_DIR: dataDir,
    FACTORY_STAGE_MS: String(options.factoryStageMs),
    QUEUE_VISIBILITY_TIMEOUT_S: '5',
    // A factory call must fit in that visibility timeout (checked at start); the simulator answers at once.
    FACTORY_TIMEOUT_MS: '3000',
  });
  try {
    const skus = Array.from({ length: options.skus }, (_, i) => `FLASH-${i}`);
    for (const sku of skus) {
      await createProduct(system.url, sku, {
        name: `Flash ${sku}`,
        price: 2.5,
        stock: options.stock,
        reorderPoint: options.reorderPoint,
        reorderQuantity: options.reorderQuantity,
        factoryId: 'factory-1',
      });
    }
    const warmup = await warmUp(system.url, options.warmupCheckouts);
    await waitForDrain(system.url, options.drainTimeoutS);

    const usage = await measureUsage(system);
    let n = 0;
    const readsDone = new AbortController();
    const readsRun = load({
      url: system.url,
      connections: options.readConnections,
      durationS: 600,
      signal: readsDone.signal,
      request: { method: 'GET', path: '/products' },
    });
    const checkout = await load({
      url: system.url,
      connections: options.connections,
      amount: options.checkouts,
      request: {
        method: 'POST',
        path: '/checkout',
        headers: { 'content-type': 'application/json' },
        perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
        body: () => {
          n += 1;
          return JSON.stringify({
            sku: skus[n % skus.length],
            quantity: 1,
            customerId: `customer-${n % options.customers}`,
          });
        },
      },
    });
    readsDone.abort();
    const reads = await readsRun;
    await waitForDrain(system.url, options.drainTimeoutS);
    const confirmed = checkout.statuses['201'] ?? 0;
    const used = await usage.stop(confirmed);
    await system.stop();
    const checked = await checkInvariants(dataDir, databases, options, checkout);
    return {
      options,
      warmup,
      checkout,
      reads,
      confirmed,
      confirmedPerSecond: confirmed / checkout.seconds,
      ...used,
      ...checked,
    };
  } finally {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Stock no run sells out, and no reorder point. */
export const NEVER_RUNS_OUT = {
  price: 1,
  stock: 100_000_000,
  reorderPoint: 0,
  reorderQuantity: 1,
  factoryId: 'factory-1',
};

const WARMUP_SKU = 'WARMUP';
export const WARMUP_CUSTOMERS = 'warmup-';

/**
 * Before anything is measured, the shop has been open for a while: a freshly started process spends its
 * first few thousand checkouts compiling its hot paths (V8 optimises the JavaScript and tiers
 * PostgreSQL's WebAssembly up to optimised code), which costs throughput while it lasts (what it costs:
 * docs/performance.md). The ceilings are measured warm too. The warm-up sells a product of its own to customers of
 * their own, so the sale's invariants count only the sale; it must answer 201 to every checkout.
 */
export async function warmUp(url: string, checkouts: number): Promise<LoadResult> {
  await createProduct(url, WARMUP_SKU, { name: 'Warm-up', ...NEVER_RUNS_OUT });
  let n = 0;
  const result = await load({
    url,
    connections: 64,
    amount: checkouts,
    request: {
      method: 'POST',
      path: '/checkout',
      headers: { 'content-type': 'application/json' },
      perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
      body: () => JSON.stringify({ sku: WARMUP_SKU, quantity: 1, customerId: `${WARMUP_CUSTOMERS}${n++ % 500}` }),
    },
  });
  if ((result.statuses['201'] ?? 0) !== checkouts || result.errors > 0) {
    throw new Error(`the warm-up did not confirm every checkout: ${JSON.stringify(result.statuses)}`);
  }
  return result;
}

async function checkInvariants(
  dataDir: string,
  databases: Record<string, string>,
  options: FlashSaleOptions,
  checkout: LoadResult,
) {
  const { inventory, customers, close } = await openRunDatabases(dataDir, databases);
  try {
    const orders = await inventory.db
      .selectFrom('orders')
      .select(['id', 'sku', 'quantity', 'created_at'])
      .where('sku', 'like', 'FLASH-%')
      .execute();
    const products = await inventory.db
      .selectFrom('products')
      .select(['sku', 'stock'])
      .where('sku', 'like', 'FLASH-%')
      .execute();
    const replenishments = await inventory.db
      .selectFrom('replenishments')
      .selectAll()
      .where('sku', 'like', 'FLASH-%')
      .orderBy('sku')
      .orderBy('requested_at')
      .execute();
    const unpublished = await inventory.db
      .selectFrom('outbox')
      .select('id')
      .where('published_at', 'is', null)
      .execute();
    const processed = await customers.db
      .selectFrom('processed_orders')
      .select(['order_id', 'quantity', 'processed_at'])
      .where('customer_id', 'not like', `${WARMUP_CUSTOMERS}%`)
      .execute();
    const customerRows = await customers.db
      .selectFrom('customers')
      .select(['purchased_quantity'])
      .where('id', 'not like', `${WARMUP_CUSTOMERS}%`)
      .execute();

    const confirmed = checkout.statuses['201'] ?? 0;
    const orderedQuantity = orders.reduce((sum, o) => sum + o.quantity, 0);
    const delivered = replenishments
      .filter((r) => r.status === 'completed')
      .reduce((sum, r) => sum + (r.produced_quantity ?? 0), 0);
    const finalStock = products.reduce((sum, p) => sum + p.stock, 0);
    const consumed = options.stock * options.skus + delivered - finalStock;
    const customerTotal = customerRows.reduce((sum, c) => sum + c.purchased_quantity, 0);

    // Two replenishments of one sku must never be open at once.
    const { overlaps, stillOpen, ...figures } = replenishmentFigures(replenishments);

    const invariants: Invariant[] = [
      {
        name: 'every confirmed (201) checkout is an order row',
        ok: confirmed === orders.length,
        detail: `${confirmed} confirmed, ${orders.length} orders`,
      },
      {
        name: 'confirmed orders = stock consumed',
        ok: orderedQuantity === consumed,
        detail: `ordered ${orderedQuantity}, consumed ${consumed} (start ${options.stock * options.skus} + delivered ${delivered} − final ${finalStock})`,
      },
      { name: 'stock never negative', ok: products.every((p) => p.stock >= 0), detail: `final stock ${finalStock}` },
      {
        name: 'exactly one replenishment per stock-out',
        ok: overlaps === 0 && stillOpen <= options.skus,
        detail: `${replenishments.length} replenishments, ${overlaps} overlapping, ${stillOpen} still open`,
      },
      ...downstreamInvariants({ orders, processed, customerTotal, unpublished: unpublished.length, checkout }),
    ];

    return {
      invariants,
      replenishments: replenishments.length,
      eventLagMs: eventLagMs(orders, processed),
      stockOutToFactoryOrderMs: figures.stockOutToFactoryOrderMs,
      refillMs: figures.refillMs,
    };
  } finally {
    await close();
  }
}

/** Short fixed-duration checkout runs on one system: the scaling curve. */
export async function runScaling(
  connectionsList: readonly number[],
  skuCounts: readonly number[],
  seconds: number,
  warmupCheckouts: number,
  engine: BenchEngine = pgliteEngine,
) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-bench-scale-'));
  const system = await startSystemProcess({
    ...(await engine.databases(dataDir)),
    DATA_DIR: dataDir,
    FACTORY_STAGE_MS: '20',
  });
  try {
    const maxSkus = Math.max(...skuCounts);
    for (let i = 0; i < maxSkus; i++)
      await createProduct(system.url, `SCALE-${i}`, { name: 'scale', ...NEVER_RUNS_OUT });
    await warmUp(system.url, warmupCheckouts);
    await waitForDrain(system.url, 60);
    const run = async (connections: number, skus: number) => {
      let n = 0;
      const result = await load({
        url: system.url,
        connections,
        durationS: seconds,
        request: {
          method: 'POST',
          path: '/checkout',
          headers: { 'content-type': 'application/json' },
          body: () =>
            JSON.stringify({ sku: `SCALE-${n++ % skus}`, quantity: 1, customerId: `c-${randomUUID().slice(0, 4)}` }),
        },
      });
      return { connections, skus, rps: result.rps, p99Ms: result.latencyMs.p99 };
    };
    const byConnections = [];
    for (const connections of connectionsList) byConnections.push(await run(connections, 1));
    const bySkus = [];
    for (const skus of skuCounts) bySkus.push(await run(64, skus));
    return { byConnections, bySkus };
  } finally {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
