import type { ServiceOf } from '../../platform/service.ts';
import { forgetExpiredIdempotencyKeys } from './forget-expired-keys.job.ts';
import { createSalesApp, type SalesDeps } from './http.ts';
import { planReplenishment } from './planning/plan-replenishment.job.ts';
import { DEFAULT_PLANNING_SETTINGS } from './planning/settings.ts';

export type { SalesDeps };

/**
 * The sales service: products and checkout over HTTP, the replenishment plan, the job that forgets
 * expired Idempotency-Keys and the one that plans replenishment from measured demand and lead time.
 */
export function createSalesService(deps: SalesDeps): ServiceOf<'sales'> {
  return {
    http: createSalesApp(deps),
    jobs: {
      forgetExpiredKeys: forgetExpiredIdempotencyKeys({
        db: deps.db,
        logger: deps.logger,
        idempotencyTtlS: deps.idempotencyTtlS,
      }),
      planReplenishment: planReplenishment({
        db: deps.db,
        logger: deps.logger,
        settings: deps.planning ?? DEFAULT_PLANNING_SETTINGS,
      }),
    },
  };
}
