import type { DatabaseName } from '../topology.ts';

/**
 * Each database's migration names, in order, as plain strings: the CDK stack puts them on each database's
 * schema resource (a new name makes the next deploy migrate) without loading the migrations' code.
 * src/app/databases.test.ts fails when this list and the real migrations differ.
 */
export const MIGRATION_NAMES: { readonly [D in DatabaseName]: readonly string[] } = {
  inventory: [
    '2026-11-25-01-create-products',
    '2026-11-25-02-create-orders-and-idempotency-keys',
    '2026-11-25-03-create-replenishments',
    '2026-11-25-04-create-outbox',
    '2026-11-25-05-create-place-order-function',
    '2026-11-25-06-index-orders-by-time',
    '2026-11-25-07-index-unpublished-outbox-by-type',
    '2026-11-26-08-create-products-with-open-replenishment-function',
    '2026-11-26-09-place-orders-in-one-function',
    '2026-11-26-10-place-orders-opens-replenishments',
    '2026-11-27-11-place-orders-decrements-each-sku-once',
    '2026-12-05-12-replenishment-order-claims',
    '2026-12-05-13-checkout-keys-per-customer',
    '2026-12-05-14-carts-and-cancellations',
    '2026-12-05-15-demand-and-lead-time',
    '2026-12-06-16-checkout-reads-effective-reorder-point',
    '2026-12-06-17-refused-demand-and-order-up-to',
    '2026-12-06-18-fast-demand-estimate',
  ],
  customers: [
    '2026-11-25-01-create-customers-and-processed-orders',
    '2026-11-25-02-create-outbox',
    '2026-11-25-03-create-promotion-deliveries',
    '2026-11-25-04-create-record-purchase-function',
    '2026-11-25-05-create-record-purchases-function',
    '2026-11-25-06-create-count-purchases-function',
    '2026-12-05-07-processed-orders-know-cancellations',
  ],
  notifications: ['2026-11-25-01-create-notifications', '2026-12-05-01-notifications-dropped'],
};
