import type { ServiceOf } from '../../platform/service.ts';
import { createDashboardApp, type DashboardDeps, type DashboardFeed } from './http.ts';

export { createDashboardReadModel, type DashboardSources } from './read-model.ts';
export type { DashboardDeps, DashboardFeed };

/** The dashboard service: the live page, the architecture diagram and the API docs. It reads; it never writes. */
export function createDashboardService(deps: DashboardDeps): ServiceOf<'dashboard'> {
  return { http: createDashboardApp(deps) };
}
