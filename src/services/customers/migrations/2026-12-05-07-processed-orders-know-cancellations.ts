import { type Kysely, type Migration, sql } from 'kysely';

/**
 * An order in the inbox is placed (counted toward its customer) or not, and cancelled or not. A
 * cancellation seen first leaves a row that was never counted: the `order.placed` that arrives later
 * finds its id taken and counts nothing, so the two net to zero in either order.
 */
export const processedOrdersKnowCancellations: Migration = {
  async up(db: Kysely<any>) {
    // Every row so far was written by a counted order.
    await sql`alter table processed_orders add column placed boolean not null default true`.execute(db);
    await sql`alter table processed_orders add column cancelled_at timestamptz`.execute(db);
  },
};
