import { type Kysely, type Migration, sql } from 'kysely';

export const indexUnpublishedOutboxByType: Migration = {
  async up(db: Kysely<any>) {
    // The relay's priority lane reads unpublished rows of a few rare types behind a large backlog.
    await db.schema
      .createIndex('outbox_unpublished_by_type')
      .on('outbox')
      .columns(['type', 'seq'])
      .where(sql<boolean>`published_at is null`)
      .execute();
  },
};
