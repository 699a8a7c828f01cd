import { type Kysely, type Migration, sql } from 'kysely';

export const createReplenishments: Migration = {
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
};
