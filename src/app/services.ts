import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { buildOpenApiDocument } from '../contract/openapi.ts';
import { renderSvg } from '../diagram/architecture.ts';
import type { DatabaseEngine } from '../platform/db/database.ts';
import type { SystemMetrics } from '../platform/metrics.ts';
import { type QueueRef, queueDepths } from '../platform/queues.ts';
import type { OutboxSignal, QueueSender, ServiceOf } from '../platform/service.ts';
import { createCustomersService } from '../services/customers/index.ts';
import { createDashboardReadModel, createDashboardService, type DashboardFeed } from '../services/dashboard/index.ts';
import { createNotificationsService } from '../services/notifications/index.ts';
import { createOpsService } from '../services/ops/index.ts';
import { createSalesService } from '../services/sales/index.ts';
import { DEFAULT_PLANNING_SETTINGS } from '../services/sales/planning/settings.ts';
import { createWarehouseService } from '../services/warehouse/index.ts';
import type { DatabaseName, ServiceName, Topology } from '../topology.ts';
import type { Databases } from './databases.ts';

/**
 * The settings services read. Named as in LocalConfig, so the local config passes as it is; on AWS
 * the Lambda adapters fill them from environment variables and Secrets Manager.
 */
export interface ServiceSettings {
  readonly callbackSecret: string;
  readonly factory: { readonly timeoutMs: number };
  readonly adManagerEmail: string;
  readonly mailFrom: string;
  readonly vipThreshold: number;
  readonly replenishmentTimeoutS: number;
  readonly idempotencyTtlS: number;
  readonly marketingWebhookUrl: string | undefined;
  /** Live dashboard event streams open at once; 100 when not set. */
  readonly dashboardMaxStreams?: number | undefined;
  /** How often open dashboards get a snapshot; 1 s when not set. */
  readonly dashboardIntervalMs?: number | undefined;
  /** `poll` where HTTP responses are buffered until complete (a stream would never arrive); `stream` when not set. */
  readonly dashboardFeed?: DashboardFeed | undefined;
  /** Replenishment planning (docs/planning.md); DEFAULT_PLANNING_SETTINGS where not set. */
  readonly planningDefaultLeadTimeS?: number | undefined;
  readonly planningDemandHalfLifeS?: number | undefined;
  readonly planningCoverS?: number | undefined;
}

/**
 * Everything a service may be built from, whatever it runs on. Locally the fields are the embedded
 * components; on AWS (app/lambda/runtime.ts) a database or secret a function was not granted
 * is a getter that throws, so building only the function's own service never touches it.
 */
export interface ServiceWiring {
  readonly topology: Topology;
  readonly config: ServiceSettings;
  readonly logger: Logger;
  /** By the topology's database names. */
  readonly databases: Databases;
  /** What runs a database: group commit pays off on embedded PGlite only. */
  engineOf(database: DatabaseName): DatabaseEngine;
  /** Tells the outbox relay of a database that a transaction committed outbox rows there. */
  outboxSignal(database: DatabaseName): OutboxSignal;
  readonly ses: SESv2Client;
  /** The mail transport's health check: the local sink's ping, SES's sending status on AWS. */
  readonly mail: { ping(): Promise<void> };
  readonly sendToQueue: QueueSender;
  readonly factoryUrl: string;
  readonly publicUrl: string;
  readonly clients: { readonly sqs: SQSClient };
  readonly queueRefs: readonly QueueRef[];
  readonly metrics: SystemMetrics;
}

// Group commit on both engines: PGlite has one connection, and on a PostgreSQL server checkouts of one
// sku queue on its row lock anyway, so a batch pays one round trip and one commit for many.
const CHECKOUT_BATCH_SIZE = 64;

const ping = async (db: Kysely<any>): Promise<void> => {
  await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
};

/**
 * One builder per service in the topology. A Lambda builds only its own service (and so needs only
 * that service's databases and secrets); the embedded system builds them all with `buildServices`.
 */
export const serviceFactories: { readonly [S in ServiceName]: (w: ServiceWiring) => ServiceOf<S> } = {
  sales: (w) =>
    createSalesService({
      db: w.databases.inventory,
      outboxSignal: w.outboxSignal('inventory'),
      logger: w.logger.child({ svc: 'sales' }),
      checkoutBatchSize: CHECKOUT_BATCH_SIZE,
      idempotencyTtlS: w.config.idempotencyTtlS,
      planning: {
        ...DEFAULT_PLANNING_SETTINGS,
        defaultLeadTimeS: w.config.planningDefaultLeadTimeS ?? DEFAULT_PLANNING_SETTINGS.defaultLeadTimeS,
        demandHalfLifeS: w.config.planningDemandHalfLifeS ?? DEFAULT_PLANNING_SETTINGS.demandHalfLifeS,
        coverS: w.config.planningCoverS ?? DEFAULT_PLANNING_SETTINGS.coverS,
        // A delivery slower than the replenishment timeout measures the timeout, not the factory.
        maxLeadTimeS: w.config.replenishmentTimeoutS,
      },
    }),
  warehouse: (w) =>
    createWarehouseService({
      db: w.databases.inventory,
      logger: w.logger.child({ svc: 'warehouse' }),
      outboxSignal: w.outboxSignal('inventory'),
      secret: w.config.callbackSecret,
      sendToQueue: w.sendToQueue,
      stockArrivalsQueue: 'stock-arrivals',
      factory: { url: w.factoryUrl, timeoutMs: w.config.factory.timeoutMs, requester: 'donut-states' },
      callbacks: { publicUrl: w.publicUrl, secret: w.config.callbackSecret },
      replenishmentTimeoutS: w.config.replenishmentTimeoutS,
    }),
  notifications: (w) =>
    createNotificationsService({
      db: w.databases.notifications,
      ses: w.ses,
      logger: w.logger.child({ svc: 'notifications' }),
      mail: { to: w.config.adManagerEmail, from: w.config.mailFrom },
    }),
  customers: (w) =>
    createCustomersService({
      db: w.databases.customers,
      logger: w.logger.child({ svc: 'customers' }),
      outboxSignal: w.outboxSignal('customers'),
      vipThreshold: w.config.vipThreshold,
      marketingWebhookUrl: w.config.marketingWebhookUrl,
    }),
  dashboard: (w) =>
    createDashboardService({
      logger: w.logger.child({ svc: 'dashboard' }),
      snapshot: createDashboardReadModel({
        inventory: w.databases.inventory,
        customers: w.databases.customers,
        notifications: w.databases.notifications,
        queues: () => queueDepths(w.clients.sqs, w.queueRefs),
        metrics: w.metrics,
        factoryUrl: w.factoryUrl,
        vipThreshold: w.config.vipThreshold,
      }),
      openApiDocument: buildOpenApiDocument(w.topology),
      architectureSvg: renderSvg(w.topology),
      maxStreams: w.config.dashboardMaxStreams,
      intervalMs: w.config.dashboardIntervalMs,
      feedObserver: w.metrics.dashboardFeed,
      feed: w.config.dashboardFeed,
    }),
  ops: (w) => {
    const firstQueue = w.queueRefs[0];
    return createOpsService({
      logger: w.logger.child({ svc: 'ops' }),
      sqs: w.clients.sqs,
      queues: w.queueRefs,
      renderMetrics: () => w.metrics.render(),
      checks: {
        inventoryDatabase: () => ping(w.databases.inventory),
        customersDatabase: () => ping(w.databases.customers),
        notificationsDatabase: () => ping(w.databases.notifications),
        mail: () => w.mail.ping(),
        queues: async () => {
          if (!firstQueue) return;
          await w.clients.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: firstQueue.url, AttributeNames: ['QueueArn'] }),
          );
        },
      },
      advisoryChecks: {
        factory: async () => {
          // Any HTTP answer means reachable; the factory has no health endpoint of its own.
          const response = await fetch(w.factoryUrl, { signal: AbortSignal.timeout(1500) });
          await response.body?.cancel();
        },
      },
    });
  },
};

/** Every service, by its topology name. */
export type Services = { readonly [S in ServiceName]: ServiceOf<S> };

/** Every service at once, as the embedded system runs them. */
export function buildServices(w: ServiceWiring): Services {
  const entries = (Object.keys(serviceFactories) as ServiceName[]).map((name) => [name, serviceFactories[name](w)]);
  return Object.fromEntries(entries) as Services;
}
