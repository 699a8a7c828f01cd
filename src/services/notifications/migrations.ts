// Read schema.sql beside this file for the current schema; `npm run schema` writes it from these steps.
import type { Migration } from 'kysely';
import { createNotifications } from './migrations/2026-11-25-01-create-notifications.ts';
import { notificationsDropped } from './migrations/2026-12-05-01-notifications-dropped.ts';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
// A new one is a new file in migrations/, registered by one line at the end of this list.
export const notificationsMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-notifications': createNotifications,
  '2026-12-05-01-notifications-dropped': notificationsDropped,
};
