import { type Kysely, sql } from 'kysely';

/**
 * The outbox table and its index of unpublished rows, as the first migration of every database with
 * an outbox creates them, so the shared OutboxRelay publishes from each unchanged. Frozen like a
 * migration: existing databases ran exactly these statements, so they never change; a later change
 * to an outbox is a migration of its database.
 */
export async function createOutboxTable(db: Kysely<any>): Promise<void> {
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
}
