import type { ServiceOf } from '../../platform/service.ts';
import { forgetExpiredIdempotencyKeys } from './forget-expired-keys.job.ts';
import { createSalesApp, type SalesDeps } from './http.ts';

export type { SalesDeps };

/** The sales service: products and checkout over HTTP, and the job that forgets expired Idempotency-Keys. */
export function createSalesService(deps: SalesDeps): ServiceOf<'sales'> {
  return {
    http: createSalesApp(deps),
    jobs: {
      forgetExpiredKeys: forgetExpiredIdempotencyKeys({
        db: deps.db,
        logger: deps.logger,
        idempotencyTtlS: deps.idempotencyTtlS,
      }),
    },
  };
}
