import { type Kysely, type Migration, sql } from 'kysely';

export const createPromotionDeliveries: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('promotion_deliveries')
      .addColumn('customer_id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'uuid', (c) => c.notNull())
      .addColumn('delivered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
};
