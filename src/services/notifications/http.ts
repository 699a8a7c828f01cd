import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { NotificationsTables } from '../../databases/notifications/tables.ts';
import { createServiceApp } from '../../platform/http/service-app.ts';
import { listNotifications } from './notifications.repository.ts';

export interface NotificationsHttpDeps {
  readonly db: Kysely<NotificationsTables>;
  readonly logger: Logger;
}

/** `GET /ops/notifications`: the ads mails sent. The gateway checks the admin token before this runs. */
export function createNotificationsApp(deps: NotificationsHttpDeps) {
  const app = createServiceApp(deps.logger);
  app.get('/ops/notifications', async (c) => c.json(await listNotifications(deps.db)));
  return app;
}
