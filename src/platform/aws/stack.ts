import { CfnOutput, CustomResource, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct, IConstruct } from 'constructs';
import { factoryCallWindowMs } from '../../contract/factory.ts';
import { MIGRATION_NAMES } from '../../databases/migration-names.ts';
import type { Topology } from '../../topology.ts';
import { ENV } from './lambda/env.ts';
import { type FunctionPlan, pascal, planFunctions } from './plan.ts';
import { Alarms } from './resources/alarms.ts';
import { Api } from './resources/api.ts';
import { Data, type DatabaseResources } from './resources/data.ts';
import { Functions, type PlannedFunction } from './resources/functions.ts';
import { createMailIdentities } from './resources/mail.ts';
import { Messaging, type QueueResources } from './resources/messaging.ts';
import { createNetwork } from './resources/network.ts';
import { Secrets } from './resources/secrets.ts';
import { DEFAULT_SALES_RESERVED_CONCURRENCY, SIZING } from './resources/sizing.ts';
import { consumeQueue, runOnSchedule } from './resources/triggers.ts';

/** What differs between deployments; everything else comes from the topology. */
export interface DeploymentParameters {
  /** Base URL of the legacy factory (`POST {factoryUrl}/api/manufactures`). */
  readonly factoryUrl: string;
  readonly factoryTimeoutMs: number;
  /** Who is told to pause and resume ads. */
  readonly adManagerEmail: string;
  /** The sender of those mails; verified as an SES identity. */
  readonly mailFrom: string;
  /** Verify this whole domain (DKIM records to publish) instead of the single MAIL_FROM address. */
  readonly mailDomain: string | undefined;
  /** In the SES sandbox a recipient must be verified too: the stack verifies AD_MANAGER_EMAIL as well. */
  readonly sesSandbox: boolean;
  /**
   * `create`: this stack creates (and owns) the SES identities. `existing`: they were verified already,
   * by another copy of the stack or by hand; an identity exists once per account and region.
   */
  readonly sesIdentities: 'create' | 'existing';
  /** Base of the factory's CallbackUrl; the API's own URL when unset (set it with a custom domain). */
  readonly publicUrl: string | undefined;
  /** Where alarms are mailed; no subscription when unset. */
  readonly alarmEmail: string | undefined;
  readonly vipThreshold: number;
  readonly replenishmentTimeoutS: number;
  /** How long a placed order is remembered under its customer's Idempotency-Key. */
  readonly idempotencyTtlS: number;
  readonly marketingWebhookUrl: string | undefined;
  /** Replenishment planning (docs/planning.md): `PLANNING_*` of every function; unset, the service's defaults. */
  readonly planningDefaultLeadTimeS: number | undefined;
  readonly planningDemandHalfLifeS: number | undefined;
  readonly planningCoverS: number | undefined;
  /** Multi-AZ databases with deletion protection, snapshot on removal. Off: single-AZ, removable (demo cost). */
  readonly production: boolean;
  /**
   * Concurrency reserved for (and capping) the sales HTTP function, so a flash sale cannot take the
   * concurrency the queue consumers need; undefined reserves none (an account whose limit is too low).
   */
  readonly salesReservedConcurrency: number | undefined;
}

export const defaultParameters: DeploymentParameters = {
  factoryUrl: 'https://factory.example.com',
  factoryTimeoutMs: 12_000,
  adManagerEmail: 'ad-manager@donut-states.example',
  mailFrom: 'shelves@donut-states.example',
  mailDomain: undefined,
  sesSandbox: true,
  sesIdentities: 'create',
  publicUrl: undefined,
  alarmEmail: undefined,
  vipThreshold: 100,
  replenishmentTimeoutS: 300,
  idempotencyTtlS: 86_400,
  marketingWebhookUrl: undefined,
  planningDefaultLeadTimeS: undefined,
  planningDemandHalfLifeS: undefined,
  planningCoverS: undefined,
  production: false,
  salesReservedConcurrency: DEFAULT_SALES_RESERVED_CONCURRENCY,
};

export interface DonutStatesStackProps extends StackProps {
  readonly topology: Topology;
  readonly parameters?: Partial<DeploymentParameters>;
}

/**
 * A consumer that calls the factory must outlive a whole call (FACTORY_TIMEOUT_MS and its margin):
 * a Lambda stopped mid-call leaves a claim nobody can settle but the next delivery, as a crash would.
 * The queue's visibility is at least the function timeout (below), so it outlasts the call too.
 */
export function checkFactoryCallFits(topology: Topology, factoryTimeoutMs: number): void {
  const windowMs = factoryCallWindowMs(factoryTimeoutMs);
  const timeoutMs = SIZING.consumer.timeout.toMilliseconds();
  const callers = topology.queues.filter((queue) => queue.callsFactory).map((queue) => queue.name);
  if (callers.length > 0 && windowMs >= timeoutMs) {
    throw new Error(
      `factoryTimeoutMs ${factoryTimeoutMs} does not fit the consumer functions of ${callers.join(', ')}: ` +
        `a factory call takes up to ${windowMs} ms, a consumer may run ${timeoutMs} ms`,
    );
  }
}

/**
 * The whole system on AWS, derived from the topology: SNS topic and filtered SQS subscriptions, every
 * queue with its DLQ and alarm, one Lambda per consumer/HTTP service/job/outbox/migration with grants
 * derived from who publishes and consumes what, an HTTP API with every route, one RDS PostgreSQL per
 * database behind RDS Proxy, secrets in Secrets Manager and an SES identity for MAIL_FROM.
 *
 * The parts in `resources/` are plain classes and functions that create their resources in this
 * stack's scope rather than `Construct` subclasses: a construct adds its id to every logical id below
 * it, and a changed logical id replaces the resource (a database included) on the next deploy.
 */
export class DonutStatesStack extends Stack {
  readonly api: apigw.HttpApi;
  readonly topic: sns.Topic;
  readonly queues: ReadonlyMap<string, QueueResources>;
  readonly databases: ReadonlyMap<string, DatabaseResources>;
  readonly functions: ReadonlyMap<string, PlannedFunction>;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: DonutStatesStackProps) {
    super(scope, id, props);
    const { topology } = props;
    const p = { ...defaultParameters, ...props.parameters };
    checkFactoryCallFits(topology, p.factoryTimeoutMs);

    // Creation order is the template's resource order: keep it when moving a part.
    const vpc = createNetwork(this);
    const alarms = new Alarms(this, { systemName: topology.name, email: p.alarmEmail });
    this.alarmTopic = alarms.topic;
    const messaging = new Messaging(this, { topology, alarms });
    this.topic = messaging.topic;
    this.queues = messaging.queues;
    const data = new Data(this, { topology, vpc, production: p.production, alarms });
    this.databases = data.databases;
    const secrets = new Secrets(this);
    const mailIdentities = createMailIdentities(this, p);
    const api = new Api(this, { systemName: topology.name });
    this.api = api.api;

    const functions = new Functions(this, {
      vpc,
      topic: messaging.topic,
      queues: messaging.queues,
      databases: data.databases,
      secrets,
      mailIdentities,
      settings: settingsOf(p, p.publicUrl ?? this.api.apiEndpoint),
      reservedConcurrency: reservedConcurrencyOf(topology, p),
    });
    this.functions = functions.functions;
    const schemas = new Map<string, CustomResource>();
    const triggers: { plan: FunctionPlan; trigger: IConstruct }[] = [];
    for (const plan of planFunctions(topology)) {
      const fn = functions.add(plan);
      if (plan.kind !== 'migrate') {
        alarms.add(`${plan.id}Throttles`, fn.metricThrottles({ period: Duration.minutes(5) }), {
          description: `${plan.id} was throttled: the account's concurrency is spent (see the API stage throttling)`,
        });
      }
      switch (plan.kind) {
        case 'http':
          for (const route of api.route(plan, fn)) triggers.push({ plan, trigger: route });
          alarms.add(`${plan.id}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
            description: `${plan.id} crashed (an answered 5xx is not a crash; see the access log)`,
          });
          break;
        case 'consumer':
          triggers.push({ plan, trigger: consumeQueue(plan, fn, messaging.queues.get(plan.queue!.name)!, alarms) });
          break;
        case 'job':
        case 'relay':
          triggers.push({ plan, trigger: runOnSchedule(this, plan, fn, alarms) });
          break;
        case 'migrate':
          schemas.set(plan.database!, this.#migrate(plan, fn));
          break;
      }
    }
    // On the first deploy no route is served and no consumer or schedule starts before the schema of
    // every database its function uses (and, for the dashboard and ops, the read-only role it makes).
    for (const { plan, trigger } of triggers) {
      for (const database of plan.databases) {
        const schema = schemas.get(database);
        if (schema) trigger.node.addDependency(schema);
      }
    }

    alarms.add('Api5xx', this.api.metricServerError({ period: Duration.minutes(5) }), {
      threshold: 5,
      description: "the HTTP API answered 5xx: see the access log and the HTTP functions' errors",
    });

    new CfnOutput(this, 'ApiUrl', { value: api.stage.url, description: 'Base URL of the shop API' });
    new CfnOutput(this, 'AdminTokenSecretArn', {
      value: secrets.adminToken.secretArn,
      description: 'aws secretsmanager get-secret-value --secret-id <this> --query SecretString',
    });
    new CfnOutput(this, 'EventsTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }

  /**
   * A database's migration function runs as a custom resource once its proxy and instance exist, and
   * then grants the read-only role.
   */
  #migrate(plan: FunctionPlan, fn: lambda.Function): CustomResource {
    fn.addEnvironment(ENV.database, plan.database!);
    const database = this.databases.get(plan.database!)!;
    // After the migrations it makes the read-only role its secret names, with SELECT on every table.
    database.readerSecret.grantRead(fn.role!);
    fn.addEnvironment(ENV.readerSecretArn, database.readerSecret.secretArn);
    const schema = new CustomResource(this, `${pascal(plan.database!)}Schema`, {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::DatabaseSchema',
      // A new migration changes this list, so the next deploy applies it.
      properties: { database: plan.database!, migrations: [...MIGRATION_NAMES[plan.database!]] },
    });
    schema.node.addDependency(database.proxy, database.instance);
    return schema;
  }
}

/**
 * Reserved concurrency by plan id: the sales HTTP function gets its own share and no more, so public
 * traffic leaves the rest of the account's concurrency to the consumers, jobs and relays.
 */
function reservedConcurrencyOf(topology: Topology, p: DeploymentParameters): ReadonlyMap<string, number> {
  const sales = planFunctions(topology).find((plan) => plan.kind === 'http' && plan.service === 'sales');
  return new Map(sales && p.salesReservedConcurrency !== undefined ? [[sales.id, p.salesReservedConcurrency]] : []);
}

/** The deployment's settings every function reads from its environment. */
function settingsOf(p: DeploymentParameters, publicUrl: string): Record<string, string> {
  return {
    [ENV.factoryUrl]: p.factoryUrl,
    [ENV.factoryTimeoutMs]: String(p.factoryTimeoutMs),
    [ENV.publicUrl]: publicUrl,
    [ENV.adManagerEmail]: p.adManagerEmail,
    [ENV.mailFrom]: p.mailFrom,
    [ENV.vipThreshold]: String(p.vipThreshold),
    [ENV.replenishmentTimeoutS]: String(p.replenishmentTimeoutS),
    [ENV.idempotencyTtlS]: String(p.idempotencyTtlS),
    ...(p.marketingWebhookUrl ? { [ENV.marketingWebhookUrl]: p.marketingWebhookUrl } : {}),
    ...optionalNumber(ENV.planningDefaultLeadTimeS, p.planningDefaultLeadTimeS),
    ...optionalNumber(ENV.planningDemandHalfLifeS, p.planningDemandHalfLifeS),
    ...optionalNumber(ENV.planningCoverS, p.planningCoverS),
  };
}

const optionalNumber = (name: string, value: number | undefined): Record<string, string> =>
  value === undefined ? {} : { [name]: String(value) };
