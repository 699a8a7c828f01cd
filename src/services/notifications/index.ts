import type { Service } from '../../platform/service.ts';
import { createNotificationsApp, type NotificationsHttpDeps } from './http.ts';
import { type AdsMailDeps, sendAdsMailWhenReplenishmentChanges } from './send-ads-mail.consumer.ts';

export { notificationsMigrations } from './migrations.ts';
export { listNotifications, type SentNotification } from './notifications.repository.ts';
export type { NotificationsTables } from './tables.ts';

export type NotificationsDeps = NotificationsHttpDeps & AdsMailDeps;

/** The notifications service: the pause/resume-ads mail consumer and the list of mails sent. */
export function createNotificationsService(deps: NotificationsDeps): Service {
  return {
    http: createNotificationsApp(deps),
    consumers: { sendAdsMail: sendAdsMailWhenReplenishmentChanges(deps) },
  };
}
