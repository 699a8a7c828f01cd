import type { ServiceOf } from '../../platform/service.ts';
import { type CallbackIntakeDeps, createCallbackIntakeApp } from './http.ts';
import { type FactoryOrderDeps, placeFactoryOrderWhenReplenishmentRequested } from './place-factory-order.consumer.ts';
import { type ReorderDeps, reorderWhenReplenishmentTimesOut } from './reorder-timed-out.job.ts';
import { type RestockDeps, restockWhenStockArrives } from './restock.consumer.ts';

export type WarehouseDeps = CallbackIntakeDeps & FactoryOrderDeps & RestockDeps & ReorderDeps;

/**
 * The warehouse service: the factory order consumer, the signed callback intake, the restock consumer
 * and the job that re-orders replenishments the factory never delivered.
 */
export function createWarehouseService(deps: WarehouseDeps): ServiceOf<'warehouse'> {
  return {
    http: createCallbackIntakeApp(deps),
    consumers: {
      placeFactoryOrder: placeFactoryOrderWhenReplenishmentRequested(deps),
      restock: restockWhenStockArrives(deps),
    },
    jobs: {
      reorderTimedOut: reorderWhenReplenishmentTimesOut(deps),
    },
  };
}
