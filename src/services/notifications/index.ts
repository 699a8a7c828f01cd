import type { ServiceOf } from '../../platform/service.ts';
import { createNotificationsApp, type NotificationsHttpDeps } from './http.ts';
import { type AdsMailDeps, sendAdsMailWhenReplenishmentChanges } from './send-ads-mail.consumer.ts';

export { notificationsMigrations } from './migrations.ts';
export { listNotifications, type SentNotification } from './notifications.repository.ts';

export type NotificationsDeps = NotificationsHttpDeps & AdsMailDeps;

/** The notifications service: the pause/resume-ads mail consumer and the list of mails sent. */
export function createNotificationsService(deps: NotificationsDeps): ServiceOf<'notifications'> {
  return {
    http: createNotificationsApp(deps),
    consumers: { sendAdsMail: sendAdsMailWhenReplenishmentChanges(deps) },
  };
}
