import type { SQSRecord } from 'aws-lambda';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { parseEvent } from '../../contract/events.ts';
import type { CustomersTables } from '../../databases/customers/tables.ts';

export interface ForwardPromotionDeps {
  readonly db: Kysely<CustomersTables>;
  readonly logger: Logger;
  /** MARKETING_WEBHOOK_URL; unset means there is no marketing system to tell. */
  readonly marketingWebhookUrl: string | undefined;
  readonly webhookTimeoutMs?: number;
}

/** The marketing system refused or did not answer; the record fails and the queue retries it. */
class MarketingWebhookError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MarketingWebhookError';
  }
}

/**
 * Reacts to `customer.promoted` by POSTing it to the external marketing system. A failing webhook throws,
 * so the message is retried and ends in the DLQ, never dropped. Once the webhook answered 2xx, a delivery
 * row (primary key: the customer, who is promoted only once) makes every redelivery a no-op. A crash
 * between the answer and that row means one more POST, carrying the same `Idempotency-Key` (the event
 * id) so the receiver can tell.
 */
export function forwardPromotionWhenCustomerPromoted(deps: ForwardPromotionDeps) {
  return async (record: SQSRecord): Promise<void> => {
    const event = parseEvent('customer.promoted', record.body);
    const log = deps.logger.child({ correlationId: event.correlationId, customerId: event.data.customerId });
    if (!deps.marketingWebhookUrl) {
      log.debug('no MARKETING_WEBHOOK_URL; promotion not forwarded');
      return;
    }
    const delivered = await deps.db
      .selectFrom('promotion_deliveries')
      .select('customer_id')
      .where('customer_id', '=', event.data.customerId)
      .executeTakeFirst();
    if (delivered) {
      log.info('promotion already delivered to marketing; skipping redelivery');
      return;
    }
    let response: Response;
    try {
      response = await fetch(deps.marketingWebhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': event.id },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(deps.webhookTimeoutMs ?? 3000),
      });
    } catch (error) {
      throw new MarketingWebhookError(`marketing webhook unreachable: ${(error as Error).message}`, { cause: error });
    }
    await response.body?.cancel();
    if (!response.ok) throw new MarketingWebhookError(`marketing webhook answered ${response.status}`);
    await deps.db
      .insertInto('promotion_deliveries')
      .values({ customer_id: event.data.customerId, event_id: event.id })
      .onConflict((oc) => oc.column('customer_id').doNothing())
      .execute();
    log.info('promotion delivered to marketing');
  };
}
