import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Kysely, Migration } from 'kysely';
import type { Logger } from 'pino';
import { buildOpenApiDocument } from '../contract/openapi.ts';
import { inventoryMigrations } from '../databases/inventory/migrations.ts';
import type { InventoryTables } from '../databases/inventory/tables.ts';
import { renderSvg } from '../diagram/architecture.ts';
import { type CustomersTables, createCustomersService, customersMigrations } from '../services/customers/index.ts';
import { createDashboardService } from '../services/dashboard/index.ts';
import {
  createNotificationsService,
  type NotificationsTables,
  notificationsMigrations,
} from '../services/notifications/index.ts';
import { createOpsService } from '../services/ops/index.ts';
import { type QueueRef, queueDepths } from '../services/ops/queues.ts';
import { createSalesService } from '../services/sales/index.ts';
import { DEFAULT_PLANNING_SETTINGS } from '../services/sales/planning/settings.ts';
import { createWarehouseService } from '../services/warehouse/index.ts';
import type { ServiceName, Topology } from '../topology.ts';
import type { DatabaseEngine } from './db/database.ts';
import { createDashboardReadModel } from './local/dashboard-read-model.ts';
import type { SystemMetrics } from './metrics.ts';
import type { OutboxSignal, QueueSender, Service } from './service.ts';

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
  /** Replenishment planning (docs/planning.md); DEFAULT_PLANNING_SETTINGS where not set. */
  readonly planningDefaultLeadTimeS?: number | undefined;
  readonly planningDemandHalfLifeS?: number | undefined;
  readonly planningCoverS?: number | undefined;
}

/**
 * Everything a service may be built from, whatever it runs on. Locally the fields are the embedded
 * components; on AWS (platform/aws/lambda/runtime.ts) a database or secret a function was not granted
 * is a getter that throws, so building only the function's own service never touches it.
 */
export interface ServiceWiring {
  readonly topology: Topology;
  readonly config: ServiceSettings;
  readonly logger: Logger;
  readonly inventory: Kysely<InventoryTables>;
  readonly inventoryEngine: DatabaseEngine;
  readonly relay: { readonly signal: OutboxSignal };
  readonly customers: Kysely<CustomersTables>;
  readonly customersRelay: { readonly signal: OutboxSignal };
  readonly notifications: Kysely<NotificationsTables>;
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

// Group commit pays off on embedded PGlite's single connection; a PostgreSQL server runs checkouts in parallel.
const CHECKOUT_BATCH_SIZE = 64;

const ping = async (db: Kysely<any>): Promise<void> => {
  await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
};

/**
 * One builder per service in the topology. A Lambda builds only its own service (and so needs only
 * that service's databases and secrets); the embedded system builds them all with `buildServices`.
 */
export const serviceFactories: { readonly [S in ServiceName]: (w: ServiceWiring) => Service } = {
  sales: (w) =>
    createSalesService({
      db: w.inventory,
      outboxSignal: w.relay.signal,
      logger: w.logger.child({ svc: 'sales' }),
      checkoutBatchSize: w.inventoryEngine === 'pglite' ? CHECKOUT_BATCH_SIZE : undefined,
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
      db: w.inventory,
      logger: w.logger.child({ svc: 'warehouse' }),
      outboxSignal: w.relay.signal,
      secret: w.config.callbackSecret,
      sendToQueue: w.sendToQueue,
      stockArrivalsQueue: 'stock-arrivals',
      factory: { url: w.factoryUrl, timeoutMs: w.config.factory.timeoutMs, requester: 'donut-states' },
      callbacks: { publicUrl: w.publicUrl, secret: w.config.callbackSecret },
      replenishmentTimeoutS: w.config.replenishmentTimeoutS,
    }),
  notifications: (w) =>
    createNotificationsService({
      db: w.notifications,
      ses: w.ses,
      logger: w.logger.child({ svc: 'notifications' }),
      mail: { to: w.config.adManagerEmail, from: w.config.mailFrom },
    }),
  customers: (w) =>
    createCustomersService({
      db: w.customers,
      logger: w.logger.child({ svc: 'customers' }),
      outboxSignal: w.customersRelay.signal,
      vipThreshold: w.config.vipThreshold,
      marketingWebhookUrl: w.config.marketingWebhookUrl,
    }),
  dashboard: (w) =>
    createDashboardService({
      logger: w.logger.child({ svc: 'dashboard' }),
      snapshot: createDashboardReadModel({
        inventory: w.inventory,
        customers: w.customers,
        notifications: w.notifications,
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
    }),
  ops: (w) => {
    const firstQueue = w.queueRefs[0];
    return createOpsService({
      logger: w.logger.child({ svc: 'ops' }),
      sqs: w.clients.sqs,
      queues: w.queueRefs,
      renderMetrics: () => w.metrics.render(),
      checks: {
        inventoryDatabase: () => ping(w.inventory),
        customersDatabase: () => ping(w.customers),
        notificationsDatabase: () => ping(w.notifications),
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

/** Every service at once, as the embedded system runs them. */
export function buildServices(w: ServiceWiring): Record<ServiceName, Service> {
  const entries = (Object.keys(serviceFactories) as ServiceName[]).map((name) => [name, serviceFactories[name](w)]);
  return Object.fromEntries(entries) as Record<ServiceName, Service>;
}

/**
 * The schema of each database in the topology, by its name there. Read by the AWS migration function
 * (one per database); the embedded system opens the same migrations in system.ts.
 */
export const databaseSchemas: Readonly<Record<string, Record<string, Migration>>> = {
  inventory: inventoryMigrations,
  customers: customersMigrations,
  notifications: notificationsMigrations,
};
