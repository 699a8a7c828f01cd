import path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { FactorySimulator } from '../../factory-simulator/simulator.ts';
import { type Database, openDatabase } from '../../platform/db/database.ts';
import { createGateway } from '../../platform/http/gateway.ts';
import { checkFactoryQueueVisibility, type LocalConfig } from '../../platform/local/config.ts';
import { closeIdleSockets, IDLE_SOCKET_TIMEOUT_MS } from '../../platform/local/idle-sockets.ts';
import { createSesClient, type MailSink, startMailSink } from '../../platform/local/mail-sink.ts';
import { type ProvisionedMessaging, provisionMessaging } from '../../platform/local/provision.ts';
import {
  type AwsClients,
  createAwsClients,
  type QueueEmulator,
  startQueueEmulator,
} from '../../platform/local/queue-emulator.ts';
import { SystemMetrics } from '../../platform/metrics.ts';
import { eventLanes, OutboxRelay } from '../../platform/outbox.ts';
import { type QueueRef, queueDepths } from '../../platform/queues.ts';
import type { QueueSender } from '../../platform/service.ts';
import { type DatabaseName, topology as defaultTopology, type Topology } from '../../topology.ts';
import { type Databases, type DatabaseTables, databaseMigrations } from '../databases.ts';
import { buildServices } from '../services.ts';
import { startPollers, startSchedules } from './handlers.ts';

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
  readonly inventory: Database<DatabaseTables['inventory']>;
  readonly customers: Database<DatabaseTables['customers']>;
  readonly notifications: Database<DatabaseTables['notifications']>;
  /** One outbox relay per database with an outbox (inventory; customers for `customer.promoted`). */
  readonly relays: Readonly<Partial<Record<DatabaseName, OutboxRelay>>>;
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
  // Whatever started is stopped in reverse order; one that fails to stop is logged and the rest still stop.
  const stack = new AsyncDisposableStack();
  const onStop = (stop: () => unknown): void =>
    stack.defer(async () => {
      try {
        await stop();
      } catch (error) {
        logger.warn({ err: error }, 'error while stopping');
      }
    });

  try {
    let ready: Hono | null = null;
    const { server, port } = await listen(config, (request, env) =>
      ready
        ? ready.fetch(request, env)
        : Response.json({ error: { code: 'starting', message: 'the system is starting' } }, { status: 503 }),
    );
    onStop(() => closeServer(server));
    const url = `http://127.0.0.1:${port}`;
    const publicUrl = config.publicUrl ?? `http://localhost:${port}`;

    const emulator: QueueEmulator = await startQueueEmulator({
      port: config.sqsPort,
      dataDir: path.join(config.dataDir, 'queues'),
    });
    onStop(() => emulator.stop());
    const clients = createAwsClients(emulator.endpoint);
    onStop(async () => {
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
    const placement: { readonly [D in DatabaseName]: { url: string | undefined; background: boolean } } = {
      inventory: { url: config.databaseUrl, background: false },
      customers: { url: config.customersDatabaseUrl, background: true },
      notifications: { url: config.notificationsDatabaseUrl, background: true },
    };
    const names = Object.keys(placement) as DatabaseName[];
    const opened = await Promise.allSettled(
      names.map((name) =>
        openDatabase({
          url: placement[name].url,
          dataDir: path.join(config.dataDir, name),
          migrations: databaseMigrations[name],
          ...(placement[name].background ? { thread: background } : {}),
        }),
      ),
    );
    for (const result of opened) {
      if (result.status === 'fulfilled') onStop(() => result.value.close());
    }
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const open = Object.fromEntries(
      names.map((name, i) => [name, (opened[i] as PromiseFulfilledResult<Database<any>>).value]),
    ) as { [D in DatabaseName]: Database<DatabaseTables[D]> };
    const { inventory, customers } = open;
    const databases = Object.fromEntries(names.map((name) => [name, open[name].db])) as Databases;

    const mail = await startMailSink({ port: config.mailPort, dir: path.join(config.dataDir, 'mail') });
    onStop(() => mail.stop());
    const ses = createSesClient(mail.endpoint);
    onStop(async () => ses.destroy());

    let simulator: FactorySimulator | undefined;
    let factoryUrl = config.factory.url;
    if (!factoryUrl) {
      simulator = new FactorySimulator({
        stageMs: config.factory.simulatorStageMs,
        log: (message, fields) => logger.info({ component: 'factory-simulator', ...fields }, message),
      });
      factoryUrl = await simulator.listen(config.factory.simulatorPort, '127.0.0.1');
      const started = simulator;
      onStop(() => started.close());
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

    const relays: Partial<Record<DatabaseName, OutboxRelay>> = { inventory: relay, customers: customersRelay };
    const services = buildServices({
      topology,
      config,
      logger,
      databases,
      engineOf: (name) => open[name].engine,
      outboxSignal: (name) => {
        const outbox = relays[name];
        if (!outbox) throw new Error(`database ${name} has no outbox relay`);
        return outbox.signal;
      },
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
    onStop(() => Promise.all(pollers.map((p) => p.stop())).then(() => undefined));
    const stopSchedules = startSchedules(topology, services, config.scheduleIntervalS, logger);
    onStop(stopSchedules);
    relay.start();
    onStop(() => relay.stop());
    customersRelay.start();
    onStop(() => customersRelay.stop());

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
      customers,
      notifications: open.notifications,
      relays,
      mail,
      metrics,
      stop: () => stack.disposeAsync(),
    };
  } catch (error) {
    await stack.disposeAsync();
    throw error;
  }
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
