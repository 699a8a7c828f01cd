import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Invariant, NEVER_RUNS_OUT, WARMUP_CUSTOMERS } from './flash-sale.ts';
import { createProduct, waitForDrain } from './lib/admin-api.ts';
import { type BenchEngine, openRunDatabases, pgliteEngine } from './lib/engine.ts';
import { type LoadResult, load } from './lib/load.ts';
import { seededRandom } from './lib/random.ts';
import { replenishmentFigures } from './lib/replenishments.ts';
import { downstreamInvariants, eventLagMs } from './lib/sale-checks.ts';
import { startSystemProcess } from './lib/system-process.ts';
import { measureUsage, type SaleUsage } from './lib/usage.ts';

export interface CartSaleOptions {
  readonly carts: number;
  readonly connections: number;
  readonly skus: number;
  /** Lines per cart, drawn evenly from 1 to this (distinct skus, one unit each). */
  readonly maxLines: number;
  /** Per sku: starting stock, reorder point and reorder quantity (skus run out and are replenished). */
  readonly stock: number;
  readonly reorderPoint: number;
  readonly reorderQuantity: number;
  readonly customers: number;
  readonly factoryStageMs: number;
  /** Bound on waiting for queues to drain after the load. */
  readonly drainTimeoutS: number;
  /** Carts over products of their own, by customers of their own, before the sale. */
  readonly warmupCarts: number;
  /** Seeds the carts, so two runs sell the same carts in the same order. */
  readonly seed: number;
}

/** `cpu`, `saleRssMb`, `peakRssMb` (SaleUsage) cover the sale and the queues draining after it. */
export interface CartSaleResult extends SaleUsage {
  options: CartSaleOptions;
  warmup: LoadResult;
  checkout: LoadResult;
  /** Carts answered 201: orders placed. */
  confirmed: number;
  confirmedPerSecond: number;
  /** Lines of the confirmed carts, per second: units sold (one per line). */
  linesPerSecond: number;
  meanLines: number;
  eventLagMs: { p50: number; p99: number; max: number };
  stockOutToFactoryOrderMs: { p50: number; max: number; count: number };
  refillMs: { p50: number; max: number };
  replenishments: number;
  invariants: Invariant[];
}

export const smallCartSale: CartSaleOptions = {
  carts: 300,
  connections: 16,
  skus: 20,
  maxLines: 5,
  stock: 30,
  reorderPoint: 10,
  reorderQuantity: 30,
  customers: 30,
  factoryStageMs: 20,
  drainTimeoutS: 60,
  warmupCarts: 100,
  seed: 1,
};

const SKU_PREFIX = 'CART-';
const CUSTOMER_PREFIX = 'cart-customer-';
const WARMUP_SKUS = Array.from({ length: 5 }, (_, i) => `WARMUP-CART-${i}`);

/** `count` carts of 1 to `maxLines` distinct skus of `skus`, one unit a line, as request bodies. */
export function makeCarts(
  count: number,
  skus: readonly string[],
  maxLines: number,
  customers: number,
  seed: number,
  customerPrefix = CUSTOMER_PREFIX,
): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, n) => {
    const pool = [...skus];
    const lines = 1 + Math.floor(random() * Math.min(maxLines, pool.length));
    const items = Array.from({ length: lines }, () => {
      const [sku] = pool.splice(Math.floor(random() * pool.length), 1);
      return { sku: sku!, quantity: 1 };
    });
    return JSON.stringify({ items, customerId: `${customerPrefix}${n % customers}` });
  });
}

/**
 * The cart flash sale: many skus, a crowd of carts (all or nothing) with unique Idempotency-Keys, skus
 * running out and being replenished by a fast factory during the run. Afterwards, with the system
 * stopped, its databases are opened and the invariants checked per sku, from the orders' lines.
 */
export async function runCartSale(
  options: CartSaleOptions,
  engine: BenchEngine = pgliteEngine,
): Promise<CartSaleResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-bench-carts-'));
  const databases = await engine.databases(dataDir);
  const system = await startSystemProcess({
    ...databases,
    DATA_DIR: dataDir,
    FACTORY_STAGE_MS: String(options.factoryStageMs),
    QUEUE_VISIBILITY_TIMEOUT_S: '5',
    FACTORY_TIMEOUT_MS: '3000',
  });
  try {
    const skus = Array.from({ length: options.skus }, (_, i) => `${SKU_PREFIX}${String(i).padStart(2, '0')}`);
    for (const sku of skus) {
      await createProduct(system.url, sku, {
        name: `Cart ${sku}`,
        price: 2.5,
        stock: options.stock,
        reorderPoint: options.reorderPoint,
        reorderQuantity: options.reorderQuantity,
        factoryId: 'factory-1',
      });
    }
    const warmup = await warmUpCarts(system.url, options.warmupCarts);
    await waitForDrain(system.url, options.drainTimeoutS);

    const bodies = makeCarts(options.carts, skus, options.maxLines, options.customers, options.seed);
    const usage = await measureUsage(system);
    let n = 0;
    const checkout = await load({
      url: system.url,
      connections: options.connections,
      amount: options.carts,
      request: {
        method: 'POST',
        path: '/checkout',
        headers: { 'content-type': 'application/json' },
        perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
        body: () => bodies[n++ % bodies.length]!,
      },
    });
    await waitForDrain(system.url, options.drainTimeoutS);
    const confirmed = checkout.statuses['201'] ?? 0;
    const used = await usage.stop(confirmed);
    await system.stop();
    const checked = await checkInvariants(dataDir, databases, options, checkout);
    return {
      options,
      warmup,
      checkout,
      confirmed,
      confirmedPerSecond: confirmed / checkout.seconds,
      linesPerSecond: checked.lines / checkout.seconds,
      meanLines: checked.lines / Math.max(1, confirmed),
      ...used,
      ...checked.figures,
    };
  } finally {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The cart path warmed up before anything is measured, as the flash sale's single-sku path is (see
 * warmUp in flash-sale.ts): carts over products of their own that never run out, by customers of their
 * own; every one must be placed.
 */
async function warmUpCarts(url: string, carts: number): Promise<LoadResult> {
  for (const sku of WARMUP_SKUS) await createProduct(url, sku, { name: 'Warm-up', ...NEVER_RUNS_OUT });
  const bodies = makeCarts(carts, WARMUP_SKUS, 5, 500, 0, WARMUP_CUSTOMERS);
  let n = 0;
  const result = await load({
    url,
    connections: 64,
    amount: carts,
    request: {
      method: 'POST',
      path: '/checkout',
      headers: { 'content-type': 'application/json' },
      perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
      body: () => bodies[n++ % bodies.length]!,
    },
  });
  if ((result.statuses['201'] ?? 0) !== carts || result.errors > 0) {
    throw new Error(`the warm-up did not place every cart: ${JSON.stringify(result.statuses)}`);
  }
  return result;
}

async function checkInvariants(
  dataDir: string,
  databases: Record<string, string>,
  options: CartSaleOptions,
  checkout: LoadResult,
) {
  const { inventory, customers, close } = await openRunDatabases(dataDir, databases);
  try {
    const orders = await inventory.db
      .selectFrom('orders')
      .select(['id', 'quantity', 'created_at'])
      .where('customer_id', 'like', `${CUSTOMER_PREFIX}%`)
      .execute();
    // Every line sold, per order and per sku: from the lines, not from the stock columns.
    const lines = await inventory.db
      .selectFrom('order_items')
      .select(['order_id', 'sku', 'quantity'])
      .where('sku', 'like', `${SKU_PREFIX}%`)
      .execute();
    const products = await inventory.db
      .selectFrom('products')
      .select(['sku', 'stock'])
      .where('sku', 'like', `${SKU_PREFIX}%`)
      .execute();
    const replenishments = await inventory.db
      .selectFrom('replenishments')
      .selectAll()
      .where('sku', 'like', `${SKU_PREFIX}%`)
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
      .where('customer_id', 'like', `${CUSTOMER_PREFIX}%`)
      .execute();
    const customerRows = await customers.db
      .selectFrom('customers')
      .select(['purchased_quantity'])
      .where('id', 'like', `${CUSTOMER_PREFIX}%`)
      .execute();

    const confirmed = checkout.statuses['201'] ?? 0;
    const figures = replenishmentFigures(replenishments);
    const soldBySku = new Map<string, number>();
    const linesByOrder = new Map<string, { count: number; quantity: number }>();
    for (const line of lines) {
      soldBySku.set(line.sku, (soldBySku.get(line.sku) ?? 0) + line.quantity);
      const order = linesByOrder.get(line.order_id) ?? { count: 0, quantity: 0 };
      order.count += 1;
      order.quantity += line.quantity;
      linesByOrder.set(line.order_id, order);
    }
    const ledger = products.map((p) => {
      const sold = soldBySku.get(p.sku) ?? 0;
      const delivered = figures.deliveredBySku.get(p.sku) ?? 0;
      return { sku: p.sku, sold, delivered, stock: p.stock, ok: options.stock + delivered - sold === p.stock };
    });
    const unbalanced = ledger.filter((l) => !l.ok);
    const sold = lines.reduce((total, l) => total + l.quantity, 0);
    const badOrders = orders.filter((o) => {
      const of = linesByOrder.get(o.id);
      return !of || of.count < 1 || of.count > options.maxLines || of.quantity !== o.quantity;
    });
    const customerTotal = customerRows.reduce((total, c) => total + c.purchased_quantity, 0);

    const invariants: Invariant[] = [
      {
        name: 'every confirmed (201) cart is an order',
        ok: confirmed === orders.length,
        detail: `${confirmed} confirmed, ${orders.length} orders`,
      },
      {
        name: `all or nothing: every order holds its whole cart (1 to ${options.maxLines} lines, total = its lines)`,
        ok: badOrders.length === 0 && linesByOrder.size === orders.length,
        detail: `${orders.length} orders with ${lines.length} lines; ${badOrders.length} incomplete`,
      },
      {
        name: 'per sku: stock = start + delivered − sold (from the order lines)',
        ok: unbalanced.length === 0 && ledger.length === options.skus,
        detail:
          unbalanced.length === 0
            ? `${ledger.length} skus balanced; sold ${sold}, delivered ${ledger.reduce((t, l) => t + l.delivered, 0)}`
            : unbalanced.map((l) => `${l.sku}: ${options.stock} + ${l.delivered} − ${l.sold} ≠ ${l.stock}`).join('; '),
      },
      {
        name: 'stock never negative',
        ok: products.every((p) => p.stock >= 0),
        detail: `lowest final stock ${Math.min(...products.map((p) => p.stock))}`,
      },
      {
        name: 'exactly one replenishment per stock-out',
        ok: figures.overlaps === 0 && figures.stillOpen <= options.skus,
        detail: `${figures.count} replenishments, ${figures.overlaps} overlapping, ${figures.stillOpen} still open`,
      },
      ...downstreamInvariants({ orders, processed, customerTotal, unpublished: unpublished.length, checkout }),
    ];

    return {
      lines: lines.length,
      figures: {
        invariants,
        replenishments: figures.count,
        eventLagMs: eventLagMs(orders, processed),
        stockOutToFactoryOrderMs: figures.stockOutToFactoryOrderMs,
        refillMs: figures.refillMs,
      },
    };
  } finally {
    await close();
  }
}
