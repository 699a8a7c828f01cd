import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AdsMail } from './ads-mail.ts';
import type { NotificationKind, NotificationsTables } from './tables.ts';

/** The outcome of asking to send one mail. */
export type Claim =
  /** This delivery owns the send until `claimedUntil`; it must then mark it sent or release it. */
  | { readonly outcome: 'claimed'; readonly id: string; readonly attempt: number }
  /** SES already accepted this mail: nothing to do. */
  | { readonly outcome: 'sent' }
  /** Another delivery is sending it right now. */
  | { readonly outcome: 'busy'; readonly claimedUntil: Date };

export interface ClaimInput {
  readonly mail: AdsMail;
  readonly to: string;
  readonly correlationId: string;
  /** How long the claim keeps other deliveries away: longer than one send can take. */
  readonly leaseMs: number;
  readonly now?: Date;
}

/**
 * Takes ownership of sending one (replenishment, kind) mail. The first delivery inserts a `sending`
 * row (the unique constraint makes the insert a no-op for every later one); a later delivery takes
 * over a `sending` row only when its claim lapsed (the owner crashed or gave up), by a conditional
 * update that exactly one contender wins. Each step is a single statement, so no transaction is
 * held open across the network call to SES.
 */
export async function claimNotification(db: Kysely<NotificationsTables>, input: ClaimInput): Promise<Claim> {
  const now = input.now ?? new Date();
  const claimedUntil = new Date(now.getTime() + input.leaseMs);
  const { mail } = input;
  const inserted = await db
    .insertInto('notifications')
    .values({
      id: randomUUID(),
      replenishment_id: mail.replenishmentId,
      kind: mail.kind,
      status: 'sending',
      to_address: input.to,
      subject: mail.subject,
      sku: mail.sku,
      correlation_id: input.correlationId,
      attempts: 1,
      claimed_until: claimedUntil,
    })
    .onConflict((oc) => oc.columns(['replenishment_id', 'kind']).doNothing())
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  if (inserted) return { outcome: 'claimed', id: inserted.id, attempt: inserted.attempts };

  const taken = await db
    .updateTable('notifications')
    .set((eb) => ({
      claimed_until: claimedUntil,
      attempts: eb('attempts', '+', 1),
      to_address: input.to,
      subject: mail.subject,
    }))
    .where('replenishment_id', '=', mail.replenishmentId)
    .where('kind', '=', mail.kind)
    .where('status', '=', 'sending')
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  if (taken) return { outcome: 'claimed', id: taken.id, attempt: taken.attempts };

  const current = await db
    .selectFrom('notifications')
    .select(['status', 'claimed_until'])
    .where('replenishment_id', '=', mail.replenishmentId)
    .where('kind', '=', mail.kind)
    .executeTakeFirstOrThrow();
  if (current.status === 'sent') return { outcome: 'sent' };
  return { outcome: 'busy', claimedUntil: new Date(current.claimed_until ?? now) };
}

/** Records that SES accepted the mail; from now on every redelivery is a no-op. */
export async function markNotificationSent(
  db: Kysely<NotificationsTables>,
  id: string,
  messageId: string | undefined,
): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ status: 'sent', sent_at: new Date(), message_id: messageId ?? null, claimed_until: null })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .execute();
}

/** Gives up a claim after a failed send, so the retry need not wait for the lease to lapse. */
export async function releaseNotification(db: Kysely<NotificationsTables>, id: string): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ claimed_until: null })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .execute();
}

/** One entry of `GET /ops/notifications` (CONTRACT.md). */
export interface SentNotification {
  readonly id: string;
  readonly kind: NotificationKind;
  readonly to: string;
  readonly subject: string;
  readonly sku: string;
  readonly replenishmentId: string;
  readonly sentAt: string;
}

/** Every mail SES accepted, oldest first; mails still being sent are not listed. */
export async function listNotifications(
  db: Kysely<NotificationsTables>,
): Promise<{ notifications: SentNotification[] }> {
  const rows = await db
    .selectFrom('notifications')
    .select(['id', 'kind', 'to_address', 'subject', 'sku', 'replenishment_id', 'sent_at'])
    .where('status', '=', 'sent')
    .orderBy('sent_at')
    .orderBy('id')
    .execute();
  return {
    notifications: rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      to: row.to_address,
      subject: row.subject,
      sku: row.sku,
      replenishmentId: row.replenishment_id,
      sentAt: new Date(row.sent_at!).toISOString(),
    })),
  };
}
