import { Hono, type MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { NotFoundError } from '../../contract/errors.ts';
import type { ServiceName, Topology } from '../../topology.ts';
import type { SystemMetrics } from '../metrics.ts';
import type { Service } from '../service.ts';
import { renderError } from './errors.ts';
import { limitBody, requireAdmin, requireJsonBody } from './guards.ts';

export interface GatewayOptions {
  readonly topology: Topology;
  readonly services: Readonly<Record<ServiceName, Service>>;
  readonly adminToken: string;
  readonly logger: Logger;
  readonly metrics?: SystemMetrics;
}

/**
 * The HTTP gateway, built from the topology's routes as API Gateway would be: each declared route is
 * forwarded to its service's app, admin routes behind the bearer token. Undeclared paths are 404.
 */
export function createGateway(options: GatewayOptions): Hono {
  const { topology, services, adminToken, logger, metrics } = options;
  const app = new Hono();
  app.onError((error, c) => renderError(error, c, logger));
  app.notFound(() => {
    throw new NotFoundError('not_found', 'no such route');
  });
  if (metrics) {
    // Counted here, at the edge, so a rejected request (400, 413, 415) counts as well.
    app.use('/checkout', async (c, next) => {
      await next();
      if (c.req.method === 'POST')
        metrics.checkoutAnswered(c.res.status, c.res.headers.get('idempotent-replayed') === 'true');
    });
  }
  app.use('*', limitBody(), requireJsonBody());

  const admin = requireAdmin(adminToken);
  for (const route of topology.routes) {
    const service = services[route.service];
    const serviceApp = service.http;
    if (!serviceApp) throw new Error(`route ${route.method} ${route.path}: service ${route.service} has no HTTP app`);
    const forward: MiddlewareHandler = async (c) => serviceApp.fetch(c.req.raw, c.env);
    if (route.auth === 'admin') app.on(route.method, route.path, admin, forward);
    else app.on(route.method, route.path, forward);
  }
  return app;
}
