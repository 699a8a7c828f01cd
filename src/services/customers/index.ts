import type { ServiceOf } from '../../platform/service.ts';
import { type ForwardPromotionDeps, forwardPromotionWhenCustomerPromoted } from './forward-promotion.consumer.ts';
import { type CustomersHttpDeps, createCustomersApp } from './http.ts';
import { type RecordPurchaseDeps, recordPurchaseWhenOrderPlaced } from './record-purchase.consumer.ts';

export { customersMigrations } from './migrations.ts';

export type CustomersDeps = CustomersHttpDeps & RecordPurchaseDeps & ForwardPromotionDeps;

/**
 * The customers service: its own database, the purchase consumer with the VIP rule, GET /customers/{id},
 * and the consumer that tells the marketing system about each promotion.
 */
export function createCustomersService(deps: CustomersDeps): ServiceOf<'customers'> {
  return {
    http: createCustomersApp(deps),
    consumers: {
      recordPurchase: recordPurchaseWhenOrderPlaced(deps),
      forwardPromotion: forwardPromotionWhenCustomerPromoted(deps),
    },
  };
}
