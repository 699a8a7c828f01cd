import type { SQSRecord } from 'aws-lambda';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { parseEvent } from '../../contract/events.ts';
import { FACTORY_MESSAGE_GROUP, FactoryOrderAnswer, type FactoryOrderBody } from '../../contract/factory.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { callbackUrl } from './callback-signature.ts';
import { FactoryUnavailableError } from './errors.ts';

export interface FactoryOrderDeps {
  readonly db: Kysely<InventoryTables>;
  readonly logger: Logger;
  readonly factory: { readonly url: string; readonly timeoutMs: number; readonly requester: string };
  readonly callbacks: { readonly publicUrl: string; readonly secret: string };
}

/**
 * Reacts to `replenishment.requested` by ordering `quantity` from the legacy factory with a signed
 * CallbackUrl. Idempotent: a replenishment already ordered or closed is skipped. A factory that fails or
 * does not answer in time throws, so the message is retried and ends in the DLQ, never dropped.
 */
export function placeFactoryOrderWhenReplenishmentRequested(deps: FactoryOrderDeps) {
  return async (record: SQSRecord): Promise<void> => {
    const event = parseEvent('replenishment.requested', record.body);
    const log = deps.logger.child({ correlationId: event.correlationId, replenishmentId: event.data.replenishmentId });
    const replenishment = await deps.db
      .selectFrom('replenishments')
      .selectAll()
      .where('id', '=', event.data.replenishmentId)
      .executeTakeFirst();
    if (!replenishment) throw new Error(`replenishment ${event.data.replenishmentId} does not exist`);
    if (replenishment.status !== 'requested') {
      log.info({ status: replenishment.status }, 'factory order already placed; skipping redelivery');
      return;
    }

    const body: FactoryOrderBody = {
      MessageGroupId: FACTORY_MESSAGE_GROUP,
      MessageAttributeProductId: replenishment.sku,
      MessageAttributeProductCnt: replenishment.quantity,
      MessageAttributeFactoryId: replenishment.factory_id,
      MessageAttributeRequester: deps.factory.requester,
      CallbackUrl: callbackUrl(deps.callbacks.publicUrl, deps.callbacks.secret, {
        replenishmentId: replenishment.id,
        sku: replenishment.sku,
        quantity: replenishment.quantity,
      }),
      // Older factories read this field for the quantity.
      OrderStockCnt: replenishment.quantity,
    };
    const factoryOrderId = await postFactoryOrder(deps.factory, body);

    await deps.db
      .updateTable('replenishments')
      .set({ status: 'ordered', factory_order_id: factoryOrderId, ordered_at: new Date() })
      .where('id', '=', replenishment.id)
      .where('status', '=', 'requested')
      .execute();
    log.info({ factoryOrderId, sku: replenishment.sku, quantity: replenishment.quantity }, 'factory order placed');
  };
}

async function postFactoryOrder(factory: FactoryOrderDeps['factory'], body: FactoryOrderBody): Promise<string | null> {
  let response: Response;
  try {
    response = await fetch(`${factory.url.replace(/\/+$/, '')}/api/manufactures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(factory.timeoutMs),
    });
  } catch (error) {
    throw new FactoryUnavailableError(`factory unreachable: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new FactoryUnavailableError(`factory answered ${response.status}: ${text.slice(0, 200)}`);
  try {
    return FactoryOrderAnswer.parse(JSON.parse(text)).data.id;
  } catch {
    // The order was accepted (2xx) even if the answer is odd; keep going without its id.
    return null;
  }
}
