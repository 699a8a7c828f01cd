import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SQSRecord } from 'aws-lambda';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { EventEnvelope, parseEvent } from '../../contract/events.ts';
import type { NotificationsTables } from '../../databases/notifications/tables.ts';
import { type AdsMail, pauseAdsMail, resumeAdsMail } from './ads-mail.ts';
import { MailSendError, NotificationInFlightError } from './errors.ts';
import { claimNotification, markNotificationSent, releaseNotification } from './notifications.repository.ts';

export interface AdsMailDeps {
  readonly db: Kysely<NotificationsTables>;
  readonly ses: SESv2Client;
  readonly logger: Logger;
  /** The advertising manager (AD_MANAGER_EMAIL) and the sender (MAIL_FROM). */
  readonly mail: { readonly to: string; readonly from: string };
  /** Longest one SES call may take before it is abandoned; default 5 s. */
  readonly sendTimeoutMs?: number;
}

/** How long SES may take to accept one mail. */
export const DEFAULT_SEND_TIMEOUT_MS = 5000;

/**
 * How long a claim keeps other deliveries of the same mail away: the send, plus a margin for marking it
 * sent. The ad-notifications queue's visibility timeout must be longer (see the topology).
 */
export function mailLeaseMs(sendTimeoutMs: number): number {
  return sendTimeoutMs + 2000;
}

/**
 * Reacts to `replenishment.requested` with a "pause ads" mail and to `replenishment.completed` with a
 * "resume ads" mail, each sent once per replenishment however often the event is delivered.
 *
 * Order of steps, and why: (1) claim the (replenishment, kind) row as `sending` with a lease
 * (insert ON CONFLICT DO NOTHING, or take over a lapsed claim); (2) send through SES; (3) mark it
 * `sent`. A redelivery that finds `sent` does nothing. One that finds a live claim fails the record, so
 * a duplicate delivered concurrently waits for the owner instead of mailing twice, and on its next
 * receive finds `sent`. One that finds a lapsed claim — the owner crashed between claim and mark, or
 * its send failed — sends again. So the guarantee is at-least-once with a window of one send: a mail is
 * never lost to a crash (SES offers no way to ask "did you get it?"), and it is duplicated only when a
 * process dies after SES accepted the mail and before the row was marked. Sending first and recording
 * afterwards would have the same window; recording `sent` before sending would trade it for a mail
 * lost on every such crash, which is worse for ads that stay paused forever.
 *
 * The lease outlasts the send timeout, so a live owner always finishes (or releases) before anyone
 * may take over. The claim is one short transaction: none stays open across the call to SES.
 *
 * A pause mail never follows its resume mail (ads paused after the goods arrived would stay paused):
 * a pause delivered once the notifications database holds the replenishment's resume mail — e.g. it
 * waited out an SES outage in the dead-letter queue and was redriven after the restock — is dropped
 * with a log line and recorded as `dropped`, and its record succeeds, so it leaves the queue. A resume
 * arriving while its pause is being sent fails the record and comes back once that send ended. The
 * service decides from its own records alone; it never reads the inventory database.
 */
export function sendAdsMailWhenReplenishmentChanges(deps: AdsMailDeps) {
  const sendTimeoutMs = deps.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const leaseMs = mailLeaseMs(sendTimeoutMs);
  return async (record: SQSRecord): Promise<void> => {
    const { mail, correlationId } = renderMail(record.body);
    const log = deps.logger.child({ correlationId, replenishmentId: mail.replenishmentId, kind: mail.kind });
    const claim = await claimNotification(deps.db, { mail, to: deps.mail.to, correlationId, leaseMs });
    if (claim.outcome === 'sent') {
      log.info('ads mail already sent; skipping redelivery');
      return;
    }
    if (claim.outcome === 'dropped') {
      log.warn(
        { sku: mail.sku },
        'pause ads mail dropped: the replenishment closed and its resume ads mail came first',
      );
      return;
    }
    if (claim.outcome === 'busy') {
      throw new NotificationInFlightError(
        `${mail.kind} for replenishment ${mail.replenishmentId} is being sent by another delivery (claimed until ${claim.claimedUntil.toISOString()})`,
      );
    }
    if (claim.outcome === 'after_pause') {
      throw new NotificationInFlightError(
        `resume_ads for replenishment ${mail.replenishmentId} waits for its pause_ads mail, being sent right now (claimed until ${claim.claimedUntil.toISOString()})`,
      );
    }
    if (claim.attempt > 1) log.warn({ attempt: claim.attempt }, 'an earlier send did not finish; sending again');

    let messageId: string | undefined;
    try {
      const answer = await deps.ses.send(
        new SendEmailCommand({
          FromEmailAddress: deps.mail.from,
          Destination: { ToAddresses: [deps.mail.to] },
          Content: {
            Simple: {
              Subject: { Data: mail.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: mail.text, Charset: 'UTF-8' } },
            },
          },
        }),
        { abortSignal: AbortSignal.timeout(sendTimeoutMs) },
      );
      messageId = answer.MessageId;
    } catch (error) {
      await releaseNotification(deps.db, claim.id).catch((releaseError: unknown) => {
        // The lease lapses on its own; the retry merely waits for it.
        log.warn({ err: releaseError }, 'could not release the mail claim');
      });
      throw new MailSendError(`SES did not take the ${mail.kind} mail: ${(error as Error).message}`, { cause: error });
    }
    await markNotificationSent(deps.db, claim.id, messageId);
    log.info({ messageId, sku: mail.sku, to: deps.mail.to }, 'ads mail sent');
  };
}

function renderMail(body: string): { mail: AdsMail; correlationId: string } {
  const { type } = EventEnvelope.parse(JSON.parse(body));
  if (type === 'replenishment.requested') {
    const event = parseEvent('replenishment.requested', body);
    return { mail: pauseAdsMail(event.data), correlationId: event.correlationId };
  }
  if (type === 'replenishment.completed') {
    const event = parseEvent('replenishment.completed', body);
    return { mail: resumeAdsMail(event.data), correlationId: event.correlationId };
  }
  throw new Error(`ad-notifications cannot handle a ${type} event`);
}
