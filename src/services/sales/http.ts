import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import { IdempotencyKey, OrderId, ProductInput, parseCheckoutBody, Sku } from '../../contract/http.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { CoalescedRead, CoalescedReads } from '../../platform/coalesced-read.ts';
import { correlationIdFrom, createServiceApp, readJson, readValue } from '../../platform/http/service-app.ts';
import type { OutboxSignal } from '../../platform/service.ts';
import { type CheckoutItem, checkout } from './checkout.ts';
import { createCheckoutBatcher } from './checkout-batcher.ts';
import { OrderNotFoundError, ProductNotFoundError } from './errors.ts';
import { cancelOrder, findOrder } from './orders.repository.ts';
import { planToCsv, toPlanLine } from './planning/replenishment-plan.ts';
import { DEFAULT_PLANNING_SETTINGS, type PlanningSettings } from './planning/settings.ts';
import { findProduct, listProducts, upsertProduct } from './products.repository.ts';

/** CSV when the client asks for text/csv and does not put JSON first. */
function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const csv = types.indexOf('text/csv');
  const json = types.indexOf('application/json');
  return csv !== -1 && (json === -1 || csv < json);
}

export interface SalesDeps {
  readonly db: Kysely<InventoryTables>;
  readonly outboxSignal: OutboxSignal;
  readonly logger: Logger;
  /**
   * Group commit: up to this many concurrent checkouts share one transaction. Worth it on an embedded
   * database with one connection; leave unset on a PostgreSQL server, which runs them in parallel.
   */
  readonly checkoutBatchSize?: number | undefined;
  /** IDEMPOTENCY_TTL_S: how long a placed order is remembered under its customer's Idempotency-Key. */
  readonly idempotencyTtlS: number;
  /** Replenishment planning (docs/planning.md); DEFAULT_PLANNING_SETTINGS when not set. */
  readonly planning?: PlanningSettings | undefined;
}

/** Every order id is a UUID: anything else names no order (404, as an unknown one). */
function orderIdFrom(param: string): string {
  if (!OrderId.safeParse(param).success) throw new OrderNotFoundError(param.slice(0, 64));
  return param;
}

/** Products and checkout. Admin checks happen at the gateway, from the topology. */
export function createSalesApp(deps: SalesDeps) {
  const { db, outboxSignal, logger } = deps;
  const app = createServiceApp(logger);
  const options = { idempotencyTtlS: deps.idempotencyTtlS };
  const planning = deps.planning ?? DEFAULT_PLANNING_SETTINGS;
  const placeOrder =
    deps.checkoutBatchSize && deps.checkoutBatchSize > 1
      ? createCheckoutBatcher(db, deps.checkoutBatchSize, options)
      : (item: CheckoutItem) => checkout(db, item, options);
  // A crowd watching stock during a sale shares queries; each answer is still as fresh as its request.
  const allProducts = new CoalescedRead(() => listProducts(db, planning));
  const oneProduct = new CoalescedReads((sku: string) => findProduct(db, sku, planning));

  app.get('/products', async (c) => c.json({ products: await allProducts.read() }));

  app.get('/products/:sku', async (c) => {
    const sku = readValue('sku', c.req.param('sku'), Sku);
    const product = await oneProduct.read(sku);
    if (!product) throw new ProductNotFoundError(sku);
    return c.json(product);
  });

  app.put('/products/:sku', async (c) => {
    const sku = readValue('sku', c.req.param('sku'), Sku);
    const input = await readJson(c, ProductInput);
    const { created } = await upsertProduct(db, sku, input);
    return c.json(await findProduct(db, sku, planning), created ? 201 : 200);
  });

  // Admin (the gateway checks the token). An ops report, served here because the products it plans
  // live in this service's database.
  app.get('/ops/replenishment-plan', async (c) => {
    const lines = (await listProducts(db, planning)).map(toPlanLine);
    if (prefersCsv(c.req.header('accept'))) {
      return c.body(planToCsv(lines), 200, { 'content-type': 'text/csv; charset=utf-8' });
    }
    return c.json({ generatedAt: new Date().toISOString(), lines });
  });

  app.post('/checkout', async (c) => {
    const keyHeader = c.req.header('idempotency-key');
    const idempotencyKey =
      keyHeader === undefined ? undefined : readValue('Idempotency-Key', keyHeader, IdempotencyKey);
    const request = parseCheckoutBody(await readJson(c, z.unknown()));
    const correlationId = correlationIdFrom(c);
    c.header('X-Correlation-Id', correlationId);
    try {
      const answer = await placeOrder({ request, idempotencyKey, correlationId });
      if (answer.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(answer.body, answer.status as 201);
    } finally {
      // Whatever happened may have committed outbox rows (an order, or a replenishment on a 409).
      outboxSignal();
    }
  });

  app.get('/orders/:id', async (c) => {
    const id = orderIdFrom(c.req.param('id'));
    const order = await findOrder(db, id);
    if (!order) throw new OrderNotFoundError(id);
    return c.json({ order });
  });

  app.post('/orders/:id/cancel', async (c) => {
    const id = orderIdFrom(c.req.param('id'));
    const correlationId = correlationIdFrom(c);
    c.header('X-Correlation-Id', correlationId);
    try {
      return c.json({ order: await cancelOrder(db, id, correlationId) });
    } finally {
      outboxSignal();
    }
  });

  return app;
}
