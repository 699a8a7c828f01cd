// Read schema.sql beside this file for the current schema; `npm run schema` writes it from these steps.
import type { Migration } from 'kysely';
import { createCustomersAndProcessedOrders } from './migrations/2026-11-25-01-create-customers-and-processed-orders.ts';
import { createOutbox } from './migrations/2026-11-25-02-create-outbox.ts';
import { createPromotionDeliveries } from './migrations/2026-11-25-03-create-promotion-deliveries.ts';
import { createRecordPurchaseFunction } from './migrations/2026-11-25-04-create-record-purchase-function.ts';
import { createRecordPurchasesFunction } from './migrations/2026-11-25-05-create-record-purchases-function.ts';
import { createCountPurchasesFunction } from './migrations/2026-11-25-06-create-count-purchases-function.ts';
import { processedOrdersKnowCancellations } from './migrations/2026-12-05-07-processed-orders-know-cancellations.ts';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
// A new one is a new file in migrations/, registered by one line at the end of this list.
export const customersMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-customers-and-processed-orders': createCustomersAndProcessedOrders,
  '2026-11-25-02-create-outbox': createOutbox,
  '2026-11-25-03-create-promotion-deliveries': createPromotionDeliveries,
  '2026-11-25-04-create-record-purchase-function': createRecordPurchaseFunction,
  '2026-11-25-05-create-record-purchases-function': createRecordPurchasesFunction,
  '2026-11-25-06-create-count-purchases-function': createCountPurchasesFunction,
  '2026-12-05-07-processed-orders-know-cancellations': processedOrdersKnowCancellations,
};
