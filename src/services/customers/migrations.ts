import { type Kysely, type Migration, sql } from 'kysely';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
export const customersMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-customers-and-processed-orders': {
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
  },
  // The same shape as the inventory outbox, so the shared OutboxRelay publishes from it unchanged.
  '2026-11-25-02-create-outbox': {
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
  '2026-11-25-03-create-promotion-deliveries': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('promotion_deliveries')
        .addColumn('customer_id', 'text', (c) => c.primaryKey())
        .addColumn('event_id', 'uuid', (c) => c.notNull())
        .addColumn('delivered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
};
