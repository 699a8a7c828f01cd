import { type Kysely, type Migration, sql } from 'kysely';

export const notificationsDropped: Migration = {
  async up(db: Kysely<any>) {
    // A pause mail redelivered after its replenishment's resume is settled as `dropped`, never sent.
    await db.schema.alterTable('notifications').dropConstraint('notifications_status_check').execute();
    await db.schema
      .alterTable('notifications')
      .addCheckConstraint('notifications_status_check', sql`status in ('sending', 'sent', 'dropped')`)
      .execute();
  },
};
