import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { StockArrival } from '../../contract/events.ts';
import { FactoryOrderBody } from '../../contract/factory.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { createServiceApp, readJson } from '../../platform/http/service-app.ts';
import type { QueueSender } from '../../platform/service.ts';
import { verifyCallbackSignature } from './callback-signature.ts';
import {
  InvalidSignatureError,
  MissingSignatureError,
  ReplenishmentClosedError,
  ReplenishmentNotFoundError,
} from './errors.ts';

export interface CallbackIntakeDeps {
  readonly db: Kysely<InventoryTables>;
  readonly logger: Logger;
  readonly secret: string;
  readonly sendToQueue: QueueSender;
  readonly stockArrivalsQueue: string;
}

const ReplenishmentId = z.uuid();

/**
 * The factory's callback. Only a callback the system issued passes: the signature covers
 * (id, sku, quantity) as ordered, and the body must match them. It answers 202 at once and leaves the
 * restock to the stock-arrivals consumer, so a slow database never makes the factory wait.
 */
export function createCallbackIntakeApp(deps: CallbackIntakeDeps) {
  const app = createServiceApp(deps.logger);
  app.post('/factory/callbacks/:replenishmentId', async (c) => {
    const signature = c.req.query('signature');
    if (!signature) throw new MissingSignatureError();
    const id = c.req.param('replenishmentId');
    const body = await readJson(c, FactoryOrderBody);
    if (!ReplenishmentId.safeParse(id).success) throw new ReplenishmentNotFoundError();
    const replenishment = await deps.db
      .selectFrom('replenishments')
      .select(['id', 'sku', 'quantity', 'status', 'factory_order_id', 'correlation_id'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!replenishment) throw new ReplenishmentNotFoundError();
    const signed = { replenishmentId: replenishment.id, sku: replenishment.sku, quantity: replenishment.quantity };
    if (!verifyCallbackSignature(deps.secret, signed, signature)) throw new InvalidSignatureError();
    if (
      body.MessageAttributeProductId !== replenishment.sku ||
      body.MessageAttributeProductCnt !== replenishment.quantity ||
      // Older factories read the count from OrderStockCnt: a callback carrying another count there is tampered too.
      (body.OrderStockCnt !== undefined && body.OrderStockCnt !== replenishment.quantity)
    ) {
      throw new InvalidSignatureError('the callback body does not match the signed order');
    }
    if (replenishment.status === 'completed') throw new ReplenishmentClosedError();

    const arrival: StockArrival = {
      replenishmentId: replenishment.id,
      sku: replenishment.sku,
      quantity: replenishment.quantity,
      factoryOrderId: replenishment.factory_order_id,
      receivedAt: new Date().toISOString(),
      correlationId: replenishment.correlation_id,
      // Verified above; the restock consumer checks it again, so the queue alone cannot raise stock.
      signature,
    };
    await deps.sendToQueue(deps.stockArrivalsQueue, JSON.stringify(arrival));
    deps.logger.info(
      { replenishmentId: replenishment.id, correlationId: replenishment.correlation_id },
      'factory callback accepted',
    );
    return c.json({ status: 'accepted', replenishmentId: replenishment.id }, 202);
  });
  return app;
}
