import { type Kysely, type Migration, sql } from 'kysely';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
export const notificationsMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-notifications': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('replenishment_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('pause_ads', 'resume_ads')`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('sending', 'sent')`))
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('correlation_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('claimed_until', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('sent_at', 'timestamptz')
        // One pause and one resume per replenishment is a database fact, whatever the queue redelivers.
        .addUniqueConstraint('notifications_one_per_replenishment_and_kind', ['replenishment_id', 'kind'])
        .execute();
      await db.schema
        .createIndex('notifications_sent_at')
        .on('notifications')
        .column('sent_at')
        .where(sql<boolean>`status = 'sent'`)
        .execute();
    },
  },
  '2026-12-05-01-notifications-dropped': {
    async up(db: Kysely<any>) {
      // A pause mail redelivered after its replenishment's resume is settled as `dropped`, never sent.
      await db.schema.alterTable('notifications').dropConstraint('notifications_status_check').execute();
      await db.schema
        .alterTable('notifications')
        .addCheckConstraint('notifications_status_check', sql`status in ('sending', 'sent', 'dropped')`)
        .execute();
    },
  },
};
