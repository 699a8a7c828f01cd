import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The same shape as the inventory outbox, so the shared OutboxRelay publishes from it unchanged.
 */
export const createOutbox: Migration = {
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
};
