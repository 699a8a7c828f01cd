// Read schema.sql beside this file for the current schema; `npm run schema` writes it from these steps.
import type { Migration } from 'kysely';
import { createProducts } from './migrations/2026-11-25-01-create-products.ts';
import { createOrdersAndIdempotencyKeys } from './migrations/2026-11-25-02-create-orders-and-idempotency-keys.ts';
import { createReplenishments } from './migrations/2026-11-25-03-create-replenishments.ts';
import { createOutbox } from './migrations/2026-11-25-04-create-outbox.ts';
import { createPlaceOrderFunction } from './migrations/2026-11-25-05-create-place-order-function.ts';
import { indexOrdersByTime } from './migrations/2026-11-25-06-index-orders-by-time.ts';
import { indexUnpublishedOutboxByType } from './migrations/2026-11-25-07-index-unpublished-outbox-by-type.ts';
import { createProductsWithOpenReplenishmentFunction } from './migrations/2026-11-26-08-create-products-with-open-replenishment-function.ts';
import { placeOrdersInOneFunction } from './migrations/2026-11-26-09-place-orders-in-one-function.ts';
import { placeOrdersOpensReplenishments } from './migrations/2026-11-26-10-place-orders-opens-replenishments.ts';
import { placeOrdersDecrementsEachSkuOnce } from './migrations/2026-11-27-11-place-orders-decrements-each-sku-once.ts';
import { replenishmentOrderClaims } from './migrations/2026-12-05-12-replenishment-order-claims.ts';
import { checkoutKeysPerCustomer } from './migrations/2026-12-05-13-checkout-keys-per-customer.ts';
import { cartsAndCancellations } from './migrations/2026-12-05-14-carts-and-cancellations.ts';
import { demandAndLeadTime } from './migrations/2026-12-05-15-demand-and-lead-time.ts';
import { checkoutReadsEffectiveReorderPoint } from './migrations/2026-12-06-16-checkout-reads-effective-reorder-point.ts';
import { refusedDemandAndOrderUpTo } from './migrations/2026-12-06-17-refused-demand-and-order-up-to.ts';
import { fastDemandEstimate } from './migrations/2026-12-06-18-fast-demand-estimate.ts';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
// A new one is a new file in migrations/, registered by one line at the end of this list.
export const inventoryMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-products': createProducts,
  '2026-11-25-02-create-orders-and-idempotency-keys': createOrdersAndIdempotencyKeys,
  '2026-11-25-03-create-replenishments': createReplenishments,
  '2026-11-25-04-create-outbox': createOutbox,
  '2026-11-25-05-create-place-order-function': createPlaceOrderFunction,
  '2026-11-25-06-index-orders-by-time': indexOrdersByTime,
  '2026-11-25-07-index-unpublished-outbox-by-type': indexUnpublishedOutboxByType,
  '2026-11-26-08-create-products-with-open-replenishment-function': createProductsWithOpenReplenishmentFunction,
  '2026-11-26-09-place-orders-in-one-function': placeOrdersInOneFunction,
  '2026-11-26-10-place-orders-opens-replenishments': placeOrdersOpensReplenishments,
  '2026-11-27-11-place-orders-decrements-each-sku-once': placeOrdersDecrementsEachSkuOnce,
  '2026-12-05-12-replenishment-order-claims': replenishmentOrderClaims,
  '2026-12-05-13-checkout-keys-per-customer': checkoutKeysPerCustomer,
  '2026-12-05-14-carts-and-cancellations': cartsAndCancellations,
  '2026-12-05-15-demand-and-lead-time': demandAndLeadTime,
  '2026-12-06-16-checkout-reads-effective-reorder-point': checkoutReadsEffectiveReorderPoint,
  '2026-12-06-17-refused-demand-and-order-up-to': refusedDemandAndOrderUpTo,
  '2026-12-06-18-fast-demand-estimate': fastDemandEstimate,
};
