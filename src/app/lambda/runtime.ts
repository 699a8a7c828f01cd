import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  type DatabaseEndpoint,
  type LambdaEnvironment,
  type PlatformSettings,
  readLambdaEnvironment,
} from '../../platform/aws/lambda/env.ts';
import type { Powertools } from '../../platform/aws/lambda/powertools.ts';
import { rdsPoolConfig } from '../../platform/aws/lambda/rds-connection.ts';
import { awsClientConfig } from '../../platform/aws/lambda/sdk-clients.ts';
import { outboxDatabases } from '../../platform/aws/plan.ts';
import { postgresDatabase } from '../../platform/db/database.ts';
import { SystemMetrics } from '../../platform/metrics.ts';
import { eventLanes, type OutboxDatabase, OutboxRelay } from '../../platform/outbox.ts';
import { type QueueRef, queueDepths } from '../../platform/queues.ts';
import type { Service } from '../../platform/service.ts';
import { type DatabaseName, topology as declaredTopology, type ServiceName, type Topology } from '../../topology.ts';
import type { Databases } from '../databases.ts';
import { type ServiceWiring, serviceFactories } from '../services.ts';

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly ses: SESv2Client;
}

export interface RuntimeOptions {
  readonly topology: Topology;
  readonly logger: Logger;
  readonly settings: PlatformSettings;
  /** Resolved secrets; undefined when this function was not granted the secret. */
  readonly callbackSecret: string | undefined;
  readonly adminToken: string | undefined;
  /** Only the databases this function may reach, by their topology name. */
  readonly databases: ReadonlyMap<string, Kysely<any>>;
  readonly clients: AwsClients;
  /** Set when this function may publish to the topic (its service produces events). */
  readonly topicArn: string | undefined;
  /** Only the queues this function may touch. */
  readonly queues: readonly QueueRef[];
  /** How long an invocation waits for the topic after its commit; PUBLISH_WAIT_MS when not set. */
  readonly publishWaitMs?: number;
}

/**
 * The longest an invocation waits to publish what it committed (the topic takes tens of milliseconds).
 * A stalled topic or NAT gateway must not turn a committed checkout into a 5xx or a timeout: past this
 * the publish is cancelled, the answer goes out, and the scheduled sweep publishes the rows.
 */
export const PUBLISH_WAIT_MS = 1500;

/**
 * What one Lambda execution environment holds: its service(s) built from the shared wiring, one outbox
 * relay per reachable database that has an outbox, and the clients. Built once at cold start.
 *
 * The relay is not a timer here: a frozen Lambda runs no timers. Services signal after commit, and
 * `settle()` — awaited before the invocation returns — publishes what was committed, waiting at most
 * PUBLISH_WAIT_MS. A failed or cancelled publish leaves the rows for the scheduled sweep, so an event
 * is delayed, never lost.
 */
export class LambdaRuntime {
  readonly topology: Topology;
  readonly logger: Logger;
  readonly adminToken: string | undefined;
  readonly wiring: ServiceWiring;
  readonly #options: RuntimeOptions;
  readonly #relays = new Map<string, OutboxRelay>();
  readonly #pending = new Set<string>();
  readonly #services = new Map<ServiceName, Service>();

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.topology = options.topology;
    this.logger = options.logger;
    this.adminToken = options.adminToken;
    if (options.topicArn) {
      for (const name of outboxDatabases(options.topology)) {
        const db = options.databases.get(name);
        if (!db) continue;
        this.#relays.set(
          name,
          new OutboxRelay({
            db: db as Kysely<OutboxDatabase>,
            sns: options.clients.sns,
            topicArn: options.topicArn,
            logger: options.logger.child({ outbox: name }),
            // Many Lambdas relay the same outbox at once; each claims its rows.
            claimRows: true,
            ...eventLanes(options.topology.events),
          }),
        );
      }
    }
    this.wiring = this.#createWiring();
  }

  /** The service, built on first use; only its own databases and secrets are touched. */
  service(name: ServiceName): Service {
    let service = this.#services.get(name);
    if (!service) {
      service = serviceFactories[name](this.wiring);
      this.#services.set(name, service);
    }
    return service;
  }

  /** The outbox relay of a database, when this function publishes for it. */
  relay(database: string): OutboxRelay | undefined {
    return this.#relays.get(database);
  }

  /**
   * Publishes the outbox rows committed during this invocation, for at most `publishWaitMs`. Never
   * throws: what is not published by then stays for the sweep.
   */
  async settle(): Promise<void> {
    const databases = [...this.#pending];
    this.#pending.clear();
    if (databases.length === 0) return;
    const waitMs = this.#options.publishWaitMs ?? PUBLISH_WAIT_MS;
    const deadline = AbortSignal.timeout(waitMs);
    await Promise.all(
      databases.map(async (name) => {
        try {
          await this.#relays.get(name)?.drain(deadline);
        } catch (error) {
          const message = deadline.aborted
            ? `outbox not published within ${waitMs} ms after commit; the sweep will publish it`
            : 'outbox not published after commit; the sweep will retry';
          this.logger.warn({ err: error, outbox: name }, message);
        }
      }),
    );
  }

  database(name: string): Kysely<any> {
    const db = this.#options.databases.get(name);
    if (!db) throw new Error(`database ${name} is not reachable from this function (see platform/aws/plan.ts)`);
    return db;
  }

  #signal(database: DatabaseName): () => void {
    return () => {
      if (this.#relays.has(database)) this.#pending.add(database);
    };
  }

  #createWiring(): ServiceWiring {
    const o = this.#options;
    const queueUrl = (name: string): string => {
      const queue = o.queues.find((q) => q.name === name);
      if (!queue) throw new Error(`queue ${name} is not reachable from this function`);
      return queue.url;
    };
    const metrics = new SystemMetrics({
      stock: () => this.database('inventory').selectFrom('products').select(['sku', 'stock']).execute(),
      queues: () => queueDepths(o.clients.sqs, o.queues),
    });
    const config = {
      get callbackSecret(): string {
        if (!o.callbackSecret) throw new Error('the callback secret is not granted to this function');
        return o.callbackSecret;
      },
      factory: { timeoutMs: o.settings.factoryTimeoutMs },
      adManagerEmail: o.settings.adManagerEmail,
      mailFrom: o.settings.mailFrom,
      vipThreshold: o.settings.vipThreshold,
      replenishmentTimeoutS: o.settings.replenishmentTimeoutS,
      idempotencyTtlS: o.settings.idempotencyTtlS,
      marketingWebhookUrl: o.settings.marketingWebhookUrl,
      planningDefaultLeadTimeS: o.settings.planningDefaultLeadTimeS,
      planningDemandHalfLifeS: o.settings.planningDemandHalfLifeS,
      planningCoverS: o.settings.planningCoverS,
      // API Gateway's HTTP API hands the browser a Lambda's response only once it is complete.
      dashboardFeed: 'poll' as const,
    };
    // Getters: a service's factory reads only its own databases, so an unreachable one is never touched.
    const databases = {} as Databases;
    for (const { name } of o.topology.databases) {
      Object.defineProperty(databases, name, { get: () => this.database(name), enumerable: true });
    }
    return {
      topology: o.topology,
      config,
      logger: o.logger,
      databases,
      engineOf: () => 'postgres',
      outboxSignal: (database) => this.#signal(database),
      ses: o.clients.ses,
      mail: {
        ping: async () => {
          const account = await o.clients.ses.send(new GetAccountCommand({}));
          if (account.SendingEnabled === false) throw new Error('SES sending is paused for this account');
        },
      },
      sendToQueue: async (name, body) => {
        await o.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(name), MessageBody: body }));
      },
      factoryUrl: o.settings.factoryUrl,
      publicUrl: o.settings.publicUrl,
      clients: { sqs: o.clients.sqs },
      queueRefs: o.queues,
      metrics,
    };
  }
}

/** Secrets Manager, read once per execution environment. */
async function readSecret(client: SecretsManagerClient, arn: string): Promise<string> {
  const answer = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!answer.SecretString) throw new Error(`secret ${arn} has no string value`);
  return answer.SecretString;
}

interface RdsSecret {
  readonly username: string;
  readonly password: string;
}

/** An RDS secret's login (user name and password), read now. */
export async function readRdsLogin(client: SecretsManagerClient, arn: string): Promise<RdsSecret> {
  return JSON.parse(await readSecret(client, arn)) as RdsSecret;
}

function openRds(endpoint: DatabaseEndpoint, logger: Logger): Kysely<any> {
  return postgresDatabase(rdsPoolConfig(endpoint), (error) =>
    logger.warn({ err: error, database: endpoint.name }, 'idle database connection dropped'),
  );
}

/**
 * Builds the runtime from the function's environment: real AWS SDK clients with bounded connection and
 * request timeouts and retries (sdk-clients.ts; traced by X-Ray), secrets from Secrets Manager, RDS
 * through RDS Proxy with IAM authentication (rds-connection.ts).
 */
export async function runtimeFromEnvironment(
  pt: Powertools,
  logger: Logger,
  env: LambdaEnvironment = readLambdaEnvironment(),
  topology: Topology = declaredTopology,
): Promise<LambdaRuntime> {
  const secrets = pt.tracer.captureAWSv3Client(new SecretsManagerClient(awsClientConfig()));
  const [callbackSecret, adminToken] = await Promise.all([
    env.callbackSecretArn ? readSecret(secrets, env.callbackSecretArn) : undefined,
    env.adminTokenSecretArn ? readSecret(secrets, env.adminTokenSecretArn) : undefined,
  ]);
  const databases = Object.entries(env.databases).map(([name, endpoint]) => [name, openRds(endpoint, logger)] as const);
  return new LambdaRuntime({
    topology,
    logger,
    settings: env.settings,
    callbackSecret,
    adminToken,
    databases: new Map(databases),
    clients: {
      sqs: pt.tracer.captureAWSv3Client(new SQSClient(awsClientConfig())),
      sns: pt.tracer.captureAWSv3Client(new SNSClient(awsClientConfig())),
      ses: pt.tracer.captureAWSv3Client(new SESv2Client(awsClientConfig())),
    },
    topicArn: env.topicArn,
    queues: env.queues,
  });
}
