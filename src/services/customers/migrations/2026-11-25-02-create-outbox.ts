import type { Kysely, Migration } from 'kysely';
import { createOutboxTable } from '../../../platform/outbox-table.ts';

export const createOutbox: Migration = {
  async up(db: Kysely<any>) {
    await createOutboxTable(db);
  },
};
