import type { Engine, TestSystem } from '../../helpers/system.ts';
import { productBody } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  inParallel,
  runScenario,
  type ScenarioResult,
  seededRandom,
  startChaosSystem,
  sum,
} from '../harness.ts';

export interface OversellSize {
  readonly skus: number;
  readonly stock: number;
  /** Concurrent checkouts per sku; their quantities add up to several times the stock. */
  readonly requestsPerSku: number;
  readonly concurrency: number;
  readonly seed?: number;
}

export const oversellSizes = {
  test: { skus: 4, stock: 40, requestsPerSku: 60, concurrency: 64 },
  report: { skus: 8, stock: 200, requestsPerSku: 400, concurrency: 128 },
} satisfies Record<string, OversellSize>;

/**
 * The seed's select-then-update oversold under concurrency. Many more units are asked for than exist,
 * all at once, across several products: stock never goes below zero, each sale sees its own decrement,
 * and what was sold is exactly what left the shelves.
 */
export async function oversellScenario(
  size: OversellSize,
  engines: readonly Engine[],
  context: ChaosContext = {},
): Promise<ScenarioResult> {
  return runScenario('Oversell (regression)', async (checks, describe) => {
    let asked = 0;
    for (const engine of engines) {
      // The factory never delivers here: no restock may blur the count.
      const system = await startChaosSystem(context, { FACTORY_STAGE_MS: '600000' }, engine);
      try {
        asked = await run(system, engine, size, checks);
      } finally {
        await system.destroy();
      }
    }
    describe(
      `${size.skus} SKUs × ${size.requestsPerSku} checkouts of 1–5 units (${size.concurrency} in flight) against ${size.stock} each, ` +
        `on ${engines.join(' and ')}`,
      `concurrency: about ${(asked / (size.skus * size.stock)).toFixed(1)}× the stock asked for at once`,
    );
  });
}

async function run(system: TestSystem, engine: Engine, size: OversellSize, checks: Checks): Promise<number> {
  const random = seededRandom(size.seed ?? 3);
  const tag = Date.now().toString(36);
  const skus = Array.from({ length: size.skus }, (_, i) => `OVER-${tag}-${i}`);
  for (const sku of skus) {
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: size.stock, reorderPoint: 0 }),
      admin: true,
    });
  }
  const requests = skus.flatMap((sku) =>
    Array.from({ length: size.requestsPerSku }, (_, i) => ({
      sku,
      quantity: 1 + Math.floor(random() * 5),
      customerId: `over-${i}`,
    })),
  );
  // Interleave the products so every one is contended at the same moment.
  requests.sort(() => random() - 0.5);
  const answers: {
    sku: string;
    quantity: number;
    status: number;
    remaining?: number;
    available?: number;
    orderId?: string;
  }[] = [];
  await inParallel(requests, size.concurrency, async (request) => {
    const res = await system.api('/checkout', { json: request });
    answers.push({
      ...request,
      status: res.status,
      remaining: res.body?.remaining,
      available: res.body?.available,
      orderId: res.body?.order?.id,
    });
  });

  const products = await system.inventory.db
    .selectFrom('products')
    .select(['sku', 'stock'])
    .where('sku', 'in', skus)
    .execute();
  const orders = await system.inventory.db
    .selectFrom('orders')
    .select(['id', 'sku', 'quantity'])
    .where('sku', 'in', skus)
    .execute();
  const other = answers.filter((a) => a.status !== 201 && a.status !== 409);
  const placed = answers.filter((a) => a.status === 201);
  const refused = answers.filter((a) => a.status === 409);
  checks.check(
    `${engine}: every checkout answered 201 or 409 (no 5xx)`,
    other.length === 0,
    `${placed.length} placed, ${refused.length} out of stock, ${other.length} other${other.length ? ` (${[...new Set(other.map((o) => o.status))].join(', ')})` : ''}`,
  );
  checks.check(
    `${engine}: stock never negative`,
    products.every((p) => p.stock >= 0) &&
      placed.every((a) => (a.remaining ?? -1) >= 0) &&
      refused.every((a) => (a.available ?? -1) >= 0),
    `final stock ${products.map((p) => p.stock).join(', ')}; lowest remaining in any 201: ${Math.min(...placed.map((a) => a.remaining ?? -1))}`,
  );
  const perSku = skus.map((sku) => {
    const sold = sum(placed.filter((a) => a.sku === sku).map((a) => a.quantity));
    const stock = products.find((p) => p.sku === sku)!.stock;
    const inDb = sum(orders.filter((o) => o.sku === sku).map((o) => o.quantity));
    const remaining = placed.filter((a) => a.sku === sku).map((a) => a.remaining!);
    return { sku, sold, stock, inDb, distinct: new Set(remaining).size === remaining.length };
  });
  checks.check(
    `${engine}: sum of confirmed = consumed, and every 201 is an order`,
    perSku.every((s) => s.sold === size.stock - s.stock && s.inDb === s.sold) && orders.length === placed.length,
    perSku.map((s) => `${s.sku.split('-').at(-1)}: sold ${s.sold} = ${size.stock} − ${s.stock}`).join('; ') +
      `; ${orders.length} orders in the database for ${placed.length} confirmed`,
  );
  checks.check(
    `${engine}: each sale saw its own decrement; a refusal saw too little stock`,
    perSku.every((s) => s.distinct) && refused.every((a) => (a.available ?? 0) < a.quantity),
    `${perSku.filter((s) => s.distinct).length}/${skus.length} products with all distinct remaining counts; ` +
      `${refused.filter((a) => (a.available ?? 0) < a.quantity).length}/${refused.length} refusals saw less than they asked for`,
  );
  return sum(requests.map((r) => r.quantity));
}
