import type { SQSRecord } from 'aws-lambda';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { EventEnvelope, parseEvent } from '../../contract/events.ts';
import type { CustomersTables } from '../../databases/customers/tables.ts';
import { GroupCommit } from '../../platform/group-commit.ts';
import type { OutboxSignal } from '../../platform/service.ts';
import {
  type PurchaseInput,
  type PurchaseOutcome,
  recordCancellation,
  recordPurchase,
  recordPurchases,
} from './customers.repository.ts';

export interface RecordPurchaseDeps {
  readonly db: Kysely<CustomersTables>;
  readonly logger: Logger;
  /** Wakes the customers database's outbox relay after a promotion commits. */
  readonly outboxSignal: OutboxSignal;
  /** VIP_THRESHOLD: cumulative quantity at which a customer becomes VIP. */
  readonly vipThreshold: number;
}

/**
 * Reacts to `order.cancelled` by taking the order's quantity off its customer once (see
 * recordCancellation), and to `order.placed` by adding the order's quantity to its customer, once per order id however
 * often the event is delivered (inbox row and count in one transaction), and promoting to VIP at the
 * threshold. A bad message or a database failure throws, so the record is retried and then dead-lettered.
 */
export function recordPurchaseWhenOrderPlaced(deps: RecordPurchaseDeps) {
  // The records of a batch (handled concurrently) and of concurrent batches share one database call.
  const group = new GroupCommit<PurchaseInput, PurchaseOutcome>({
    maxBatch: 50,
    runBatch: (inputs) => recordPurchases(deps.db, inputs, deps.vipThreshold),
    runOne: (input) => recordPurchase(deps.db, input, deps.vipThreshold),
  });
  return async (record: SQSRecord): Promise<void> => {
    if (EventEnvelope.parse(JSON.parse(record.body)).type === 'order.cancelled') {
      const cancelled = parseEvent('order.cancelled', record.body);
      const { orderId, customerId, quantity } = cancelled.data;
      const changed = await recordCancellation(deps.db, { orderId, customerId, quantity });
      deps.logger
        .child({ correlationId: cancelled.correlationId, orderId, customerId })
        .info(changed ? 'order cancelled; purchases lowered if counted' : 'cancellation already recorded; skipping');
      return;
    }
    const event = parseEvent('order.placed', record.body);
    const { orderId, customerId, quantity } = event.data;
    const log = deps.logger.child({ correlationId: event.correlationId, orderId, customerId });
    const outcome = await group.submit({ orderId, customerId, quantity, correlationId: event.correlationId });
    if (!outcome.counted) {
      log.info('order already counted; skipping redelivery');
      return;
    }
    if (outcome.promoted) {
      deps.outboxSignal();
      log.info({ purchasedQuantity: outcome.customer.purchasedQuantity }, 'customer promoted to vip');
    }
  };
}
