import type { Service } from '../../platform/service.ts';
import { createDashboardApp, type DashboardDeps } from './http.ts';

export type { DashboardDeps };

/** The dashboard service: the live page, the architecture diagram and the API docs. It reads; it never writes. */
export function createDashboardService(deps: DashboardDeps): Service {
  return { http: createDashboardApp(deps) };
}
