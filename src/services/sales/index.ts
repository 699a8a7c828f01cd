import type { Service } from '../../platform/service.ts';
import { createSalesApp, type SalesDeps } from './http.ts';

export type { SalesDeps };

/** The sales service: products and checkout over HTTP; it consumes no queue. */
export function createSalesService(deps: SalesDeps): Service {
  return { http: createSalesApp(deps) };
}
