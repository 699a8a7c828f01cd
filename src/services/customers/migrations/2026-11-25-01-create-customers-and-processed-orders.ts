import { type Kysely, type Migration, sql } from 'kysely';

export const createCustomersAndProcessedOrders: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('customers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tier', 'text', (c) => c.notNull().defaultTo('normal').check(sql`tier in ('normal', 'vip')`))
      .addColumn('purchased_quantity', 'integer', (c) => c.notNull().defaultTo(0).check(sql`purchased_quantity >= 0`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable('processed_orders')
      .addColumn('order_id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
      .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
};
