import type { ColumnType } from 'kysely';

/** The notifications service's own database: one row per mail it owes, unique per (replenishment, kind). */
export interface NotificationsTables {
  notifications: NotificationsTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type NotificationKind = 'pause_ads' | 'resume_ads';
/**
 * `sending` while a delivery owns the mail (until `claimed_until`), `sent` once SES accepted it,
 * `dropped` for a pause mail that was no longer owed (its replenishment's resume mail came first).
 */
export type NotificationStatus = 'sending' | 'sent' | 'dropped';

export interface NotificationsTable {
  id: string;
  replenishment_id: string;
  kind: NotificationKind;
  status: NotificationStatus;
  to_address: string;
  subject: string;
  sku: string;
  correlation_id: string;
  /** SES MessageId of the accepted send. */
  message_id: string | null;
  /** Sends tried for this mail; more than one only after a crash or a failed send. */
  attempts: number;
  /** While in the future, another delivery leaves this mail alone; null after a failed send. */
  claimed_until: Timestamp | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}
