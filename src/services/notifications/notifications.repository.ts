import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { NotificationKind, NotificationsTables } from '../../databases/notifications/tables.ts';
import type { AdsMail } from './ads-mail.ts';

/** The outcome of asking to send one mail. */
export type Claim =
  /** This delivery owns the send until `claimedUntil`; it must then mark it sent or release it. */
  | { readonly outcome: 'claimed'; readonly id: string; readonly attempt: number }
  /** SES already accepted this mail: nothing to do. */
  | { readonly outcome: 'sent' }
  /** Another delivery is sending it right now. */
  | { readonly outcome: 'busy'; readonly claimedUntil: Date }
  /** A resume mail whose pause mail another delivery is sending right now: it must go out second. */
  | { readonly outcome: 'after_pause'; readonly claimedUntil: Date }
  /** A pause mail no longer owed: the replenishment's resume mail is sent or being sent. Recorded as `dropped`. */
  | { readonly outcome: 'dropped' };

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
 * update that exactly one contender wins.
 *
 * The pause mail never goes out after its resume mail: a pause finding a resume row (its replenishment
 * closed) is settled as `dropped` instead of claimed, and a resume finding its pause under a live claim
 * waits (`after_pause`) until that send ends. Both checks and the claim run in one short transaction
 * under a lock on the replenishment id, so a pause and a resume of one replenishment claim one after
 * the other, never interleaved; no transaction is held open across the network call to SES.
 */
export async function claimNotification(db: Kysely<NotificationsTables>, input: ClaimInput): Promise<Claim> {
  const now = input.now ?? new Date();
  const { mail } = input;
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${mail.replenishmentId}, 0))`.execute(trx);
    if (mail.kind === 'pause_ads') {
      const resume = await trx
        .selectFrom('notifications')
        .select('id')
        .where('replenishment_id', '=', mail.replenishmentId)
        .where('kind', '=', 'resume_ads')
        .executeTakeFirst();
      if (resume) return dropPause(trx, input);
    } else {
      const pause = await trx
        .selectFrom('notifications')
        .select('claimed_until')
        .where('replenishment_id', '=', mail.replenishmentId)
        .where('kind', '=', 'pause_ads')
        .where('status', '=', 'sending')
        .where('claimed_until', '>', now)
        .executeTakeFirst();
      if (pause) return { outcome: 'after_pause', claimedUntil: new Date(pause.claimed_until!) };
    }
    return claimRow(trx, input, now);
  });
}

async function claimRow(db: Kysely<NotificationsTables>, input: ClaimInput, now: Date): Promise<Claim> {
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
  if (current.status === 'dropped') return { outcome: 'dropped' };
  return { outcome: 'busy', claimedUntil: new Date(current.claimed_until ?? now) };
}

/** Settles the pause row as `dropped` (inserting it when this is its first delivery); a sent one stays sent. */
async function dropPause(db: Kysely<NotificationsTables>, input: ClaimInput): Promise<Claim> {
  const { mail } = input;
  const settled = await db
    .insertInto('notifications')
    .values({
      id: randomUUID(),
      replenishment_id: mail.replenishmentId,
      kind: mail.kind,
      status: 'dropped',
      to_address: input.to,
      subject: mail.subject,
      sku: mail.sku,
      correlation_id: input.correlationId,
      attempts: 0,
      claimed_until: null,
    })
    .onConflict((oc) =>
      oc
        .columns(['replenishment_id', 'kind'])
        .doUpdateSet({ status: 'dropped', claimed_until: null })
        .where('notifications.status', '<>', 'sent'),
    )
    .returning('id')
    .executeTakeFirst();
  return settled ? { outcome: 'dropped' } : { outcome: 'sent' };
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
