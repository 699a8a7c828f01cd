import { type Kysely, type Migration, sql } from 'kysely';

export const createNotifications: Migration = {
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
};
