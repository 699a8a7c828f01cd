import { type Kysely, type Migration, sql } from 'kysely';

export const createProducts: Migration = {
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
};
