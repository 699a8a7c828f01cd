import { type Kysely, type Migration, sql } from 'kysely';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
export const inventoryMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-products': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('products')
        .addColumn('sku', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('price', sql`numeric(12,2)`, (c) => c.notNull().check(sql`price >= 0`))
        .addColumn('stock', 'integer', (c) => c.notNull().check(sql`stock >= 0`))
        .addColumn('reorder_point', 'integer', (c) => c.notNull().check(sql`reorder_point >= 0`))
        .addColumn('reorder_quantity', 'integer', (c) => c.notNull().check(sql`reorder_quantity > 0`))
        .addColumn('factory_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db
        .insertInto('products')
        .values({
          sku: 'CP-502101',
          name: 'Chocolate Plain Donut',
          price: '2.50',
          stock: 100,
          reorder_point: 10,
          reorder_quantity: 100,
          factory_id: 'factory-1',
        })
        .execute();
    },
  },
  '2026-11-25-02-create-orders-and-idempotency-keys': {
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
  },
  '2026-11-25-03-create-replenishments': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('replenishments')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
        .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
        .addColumn('factory_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('requested', 'ordered', 'completed', 'timed_out')`),
        )
        .addColumn('factory_order_id', 'text')
        .addColumn('produced_quantity', 'integer')
        .addColumn('correlation_id', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('ordered_at', 'timestamptz')
        .addColumn('completed_at', 'timestamptz')
        .execute();
      // "At most one open replenishment per product" is a database fact, not a hope.
      await db.schema
        .createIndex('replenishments_one_open_per_sku')
        .on('replenishments')
        .column('sku')
        .unique()
        .where(sql<boolean>`status in ('requested', 'ordered')`)
        .execute();
    },
  },
  '2026-11-25-04-create-outbox': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('outbox')
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('id', 'uuid', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('published_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('outbox_unpublished')
        .on('outbox')
        .column('seq')
        .where(sql<boolean>`published_at is null`)
        .execute();
    },
  },
};
