import { type Kysely, type Migration, sql } from 'kysely';

export const createOrdersAndIdempotencyKeys: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('orders')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
      .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('orders_sku_created_at').on('orders').columns(['sku', 'created_at']).execute();
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer', (c) => c.notNull())
      .addColumn('response', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
};
