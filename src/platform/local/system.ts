import path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { inventoryMigrations } from '../../databases/inventory/migrations.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { FactorySimulator } from '../../factory-simulator/simulator.ts';
import { type CustomersTables, customersMigrations } from '../../services/customers/index.ts';
import { type NotificationsTables, notificationsMigrations } from '../../services/notifications/index.ts';
import { type QueueRef, queueDepths } from '../../services/ops/queues.ts';
import { topology as defaultTopology, type ServiceName, type Topology } from '../../topology.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { SystemMetrics } from '../metrics.ts';
import { eventLanes, OutboxRelay } from '../outbox.ts';
import type { QueueSender, Service } from '../service.ts';
import { buildServices } from '../services.ts';
import { createSqsBatchHandler } from '../sqs-batch.ts';
import { checkFactoryQueueVisibility, type LocalConfig } from './config.ts';
import { createGateway } from './gateway.ts';
import { closeIdleSockets, IDLE_SOCKET_TIMEOUT_MS } from './idle-sockets.ts';
import { createSesClient, type MailSink, startMailSink } from './mail-sink.ts';
import { type ProvisionedMessaging, provisionMessaging } from './provision.ts';
import { type AwsClients, createAwsClients, type QueueEmulator, startQueueEmulator } from './queue-emulator.ts';
import { QueuePoller } from './queue-poller.ts';

export interface RunningSystem {
  /** Base URL of the gateway. */
  readonly url: string;
  readonly port: number;
  readonly factoryUrl: string;
  /** The built-in factory simulator, when FACTORY_URL is not set. */
  readonly simulator: FactorySimulator | undefined;
  readonly sqsEndpoint: string;
  readonly clients: AwsClients;
  readonly messaging: ProvisionedMessaging;
  readonly inventory: Database<InventoryTables>;
  readonly relay: OutboxRelay;
  readonly customers: Database<CustomersTables>;
  readonly notifications: Database<NotificationsTables>;
  /** Publishes the customers database's own outbox (`customer.promoted`). */
  readonly customersRelay: OutboxRelay;
  /** The embedded SES v2 sink; every mail sent lands under DATA_DIR/mail. */
  readonly mail: MailSink;
  readonly metrics: SystemMetrics;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly topology?: Topology;
}

/**
 * Starts the whole system in this process: the gateway port first (answering 503 until ready), the
 * SNS/SQS emulator, the inventory, customers and notifications databases, the SES mail sink, the factory
 * simulator, the services, one poller group per queue and one outbox relay per database with an outbox. `stop()` takes them down in reverse order.
 */
export async function startSystem(
  config: LocalConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningSystem> {
  const topology = options.topology ?? defaultTopology;
  checkFactoryQueueVisibility(config, topology);
  const stack: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stack.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.warn({ err: error }, 'error while stopping');
      }
    }
    stack.length = 0;
  };

  try {
    let ready: Hono | null = null;
    const { server, port } = await listen(config, (request, env) =>
      ready
        ? ready.fetch(request, env)
        : Response.json({ error: { code: 'starting', message: 'the system is starting' } }, { status: 503 }),
    );
    stack.push(() => closeServer(server));
    const url = `http://127.0.0.1:${port}`;
    const publicUrl = config.publicUrl ?? `http://localhost:${port}`;

    const emulator: QueueEmulator = await startQueueEmulator({
      port: config.sqsPort,
      dataDir: path.join(config.dataDir, 'queues'),
    });
    stack.push(() => emulator.stop());
    const clients = createAwsClients(emulator.endpoint);
    stack.push(async () => {
      clients.sqs.destroy();
      clients.sns.destroy();
    });
    const messaging = await provisionMessaging(clients, topology, {
      visibilityTimeoutS: config.queueVisibilityTimeoutS,
      maxReceiveCount: config.queueMaxReceiveCount,
    });

    // Each service owning data gets its own database, as it would on AWS. Opened side by side: creating
    // an embedded one (initdb) takes seconds. Only queue consumers use customers and notifications, so
    // they run on the queue emulator's thread, which yields the cores to checkout when both are busy.
    const background = emulator.databases;
    const opened = await Promise.allSettled([
      openDatabase<InventoryTables>({
        url: config.databaseUrl,
        dataDir: path.join(config.dataDir, 'inventory'),
        migrations: inventoryMigrations,
      }),
      openDatabase<CustomersTables>({
        url: config.customersDatabaseUrl,
        dataDir: path.join(config.dataDir, 'customers'),
        migrations: customersMigrations,
        thread: background,
      }),
      openDatabase<NotificationsTables>({
        url: config.notificationsDatabaseUrl,
        dataDir: path.join(config.dataDir, 'notifications'),
        migrations: notificationsMigrations,
        thread: background,
      }),
    ]);
    for (const result of opened) {
      if (result.status === 'fulfilled') stack.push(() => result.value.close());
    }
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [inventory, customers, notifications] = opened.map(
      (result) => (result as PromiseFulfilledResult<unknown>).value,
    ) as [Database<InventoryTables>, Database<CustomersTables>, Database<NotificationsTables>];

    const mail = await startMailSink({ port: config.mailPort, dir: path.join(config.dataDir, 'mail') });
    stack.push(() => mail.stop());
    const ses = createSesClient(mail.endpoint);
    stack.push(async () => ses.destroy());

    let simulator: FactorySimulator | undefined;
    let factoryUrl = config.factory.url;
    if (!factoryUrl) {
      simulator = new FactorySimulator({
        stageMs: config.factory.simulatorStageMs,
        log: (message, fields) => logger.info({ component: 'factory-simulator', ...fields }, message),
      });
      factoryUrl = await simulator.listen(config.factory.simulatorPort, '127.0.0.1');
      const started = simulator;
      stack.push(() => started.close());
    }

    const queueRefs: QueueRef[] = [...messaging.queues.values()].map((q) => ({
      name: q.declaration.name,
      url: q.url,
      deadLetter: { name: q.deadLetter.name, url: q.deadLetter.url },
    }));
    const metrics = new SystemMetrics({
      stock: () => inventory.db.selectFrom('products').select(['sku', 'stock']).execute(),
      queues: () => queueDepths(clients.sqs, queueRefs),
    });
    const relay = new OutboxRelay({
      db: inventory.db as unknown as Kysely<any>,
      sns: clients.sns,
      topicArn: messaging.topicArn,
      logger,
      onPublished: (type, body) => metrics.eventPublished(type, body),
      ...eventLanes(topology.events),
    });
    const customersRelay = new OutboxRelay({
      db: customers.db as unknown as Kysely<any>,
      sns: clients.sns,
      topicArn: messaging.topicArn,
      logger: logger.child({ outbox: 'customers' }),
      onPublished: (type, body) => metrics.eventPublished(type, body),
    });
    const sendToQueue: QueueSender = async (queueName, body) => {
      const queue = messaging.queues.get(queueName);
      if (!queue) throw new Error(`no queue named ${queueName} in the topology`);
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    };

    const services = buildServices({
      topology,
      config,
      logger,
      inventory: inventory.db,
      inventoryEngine: inventory.engine,
      relay,
      customers: customers.db,
      customersRelay,
      notifications: notifications.db,
      ses,
      mail,
      sendToQueue,
      factoryUrl,
      publicUrl,
      clients,
      queueRefs,
      metrics,
    });
    const pollers = startPollers(topology, services, messaging, clients, logger, metrics);
    stack.push(() => Promise.all(pollers.map((p) => p.stop())).then(() => undefined));
    const stopSchedules = startSchedules(topology, services, config.scheduleIntervalS, logger);
    stack.push(stopSchedules);
    relay.start();
    stack.push(() => relay.stop());
    customersRelay.start();
    stack.push(() => customersRelay.stop());

    ready = createGateway({ topology, services, adminToken: config.adminToken, logger, metrics });
    return {
      url,
      port,
      factoryUrl,
      simulator,
      sqsEndpoint: emulator.endpoint,
      clients,
      messaging,
      inventory,
      relay,
      customers,
      notifications,
      customersRelay,
      mail,
      metrics,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function startPollers(
  topology: Topology,
  services: Record<ServiceName, Service>,
  messaging: ProvisionedMessaging,
  clients: AwsClients,
  logger: Logger,
  metrics: SystemMetrics,
): QueuePoller[] {
  return topology.queues.map((declaration) => {
    const recordHandler = services[declaration.consumer.service].consumers?.[declaration.consumer.handler];
    if (!recordHandler) {
      throw new Error(
        `queue ${declaration.name}: ${declaration.consumer.service} has no consumer ${declaration.consumer.handler}`,
      );
    }
    const queue = messaging.queues.get(declaration.name)!;
    // The queue is named once, here: the poller's lines and the failed records' add no field of their own.
    const queueLogger = logger.child({ queue: declaration.name });
    const poller = new QueuePoller({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler: createSqsBatchHandler(recordHandler, queueLogger),
      batchSize: declaration.batchSize,
      concurrency: declaration.concurrency,
      logger: queueLogger,
      onBatch: (succeeded, failed) => metrics.consumerBatch(declaration.name, succeeded, failed),
    });
    poller.start();
    return poller;
  });
}

/** Runs each scheduled job on a timer, one run at a time; returns a stop function that awaits a running one. */
function startSchedules(
  topology: Topology,
  services: Record<ServiceName, Service>,
  intervalOverrideS: number | undefined,
  logger: Logger,
): () => Promise<void> {
  const running = new Set<Promise<unknown>>();
  const timers = topology.schedules.map((schedule) => {
    const job = services[schedule.job.service].jobs?.[schedule.job.handler];
    if (!job) throw new Error(`schedule ${schedule.name}: ${schedule.job.service} has no job ${schedule.job.handler}`);
    let busy = false;
    const timer = setInterval(
      () => {
        if (busy) return;
        busy = true;
        const run = job()
          .catch((error: unknown) => logger.error({ err: error, schedule: schedule.name }, 'scheduled job failed'))
          .finally(() => {
            busy = false;
            running.delete(run);
          });
        running.add(run);
      },
      (intervalOverrideS ?? schedule.everyS) * 1000,
    );
    timer.unref();
    return timer;
  });
  return async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.allSettled([...running]);
  };
}

function listen(
  config: LocalConfig,
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: config.port, hostname: config.host }, (info) =>
      resolve({ server, port: info.port }),
    );
    // A dashboard stream writes once per interval: never idle for two.
    closeIdleSockets(server, Math.max(IDLE_SOCKET_TIMEOUT_MS, 2 * config.dashboardIntervalMs));
    server.once('error', reject);
  });
}

async function closeServer(server: ServerType): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server) server.closeIdleConnections();
    setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, 2000).unref();
  });
}
