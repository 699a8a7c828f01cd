import type { ServiceOf } from '../../platform/service.ts';
import { createOpsApp, type OpsDeps } from './http.ts';

export type { HealthCheck, OpsDeps } from './http.ts';

export function createOpsService(deps: OpsDeps): ServiceOf<'ops'> {
  return { http: createOpsApp(deps) };
}
