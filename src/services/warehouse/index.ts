import type { Service } from '../../platform/service.ts';
import { createCallbackIntakeApp, type CallbackIntakeDeps } from './http.ts';
import { placeFactoryOrderWhenReplenishmentRequested, type FactoryOrderDeps } from './place-factory-order.consumer.ts';
import { restockWhenStockArrives, type RestockDeps } from './restock.consumer.ts';

export type WarehouseDeps = CallbackIntakeDeps & FactoryOrderDeps & RestockDeps;

/** The warehouse service: the factory order consumer, the signed callback intake and the restock consumer. */
export function createWarehouseService(deps: WarehouseDeps): Service {
  return {
    http: createCallbackIntakeApp(deps),
    consumers: {
      placeFactoryOrder: placeFactoryOrderWhenReplenishmentRequested(deps),
      restock: restockWhenStockArrives(deps),
    },
  };
}
