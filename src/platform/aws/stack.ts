import { existsSync } from 'node:fs';
import path from 'node:path';
import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { factoryCallWindowMs } from '../../contract/factory.ts';
import { deadLetterQueueName, type QueueDeclaration, type Topology } from '../../topology.ts';
import { databaseSchemas } from '../services.ts';
import { ENV } from './lambda/env.ts';
import { acknowledge } from './nag.ts';
import { apiGatewayPath, type FunctionKind, type FunctionPlan, pascal, planFunctions } from './plan.ts';

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
  /** Base of the factory's CallbackUrl; the API's own URL when unset (set it with a custom domain). */
  readonly publicUrl: string | undefined;
  /** Where alarms are mailed; no subscription when unset. */
  readonly alarmEmail: string | undefined;
  readonly vipThreshold: number;
  readonly replenishmentTimeoutS: number;
  /** How long a placed order is remembered under its customer's Idempotency-Key. */
  readonly idempotencyTtlS: number;
  readonly marketingWebhookUrl: string | undefined;
  /** Multi-AZ databases with deletion protection, snapshot on removal. Off: single-AZ, removable (demo cost). */
  readonly production: boolean;
}

export const defaultParameters: DeploymentParameters = {
  factoryUrl: 'https://factory.example.com',
  factoryTimeoutMs: 12_000,
  adManagerEmail: 'ad-manager@donut-states.example',
  mailFrom: 'shelves@donut-states.example',
  mailDomain: undefined,
  sesSandbox: true,
  publicUrl: undefined,
  alarmEmail: undefined,
  vipThreshold: 100,
  replenishmentTimeoutS: 300,
  idempotencyTtlS: 86_400,
  marketingWebhookUrl: undefined,
  production: false,
};

export interface DonutStatesStackProps extends StackProps {
  readonly topology: Topology;
  readonly parameters?: Partial<DeploymentParameters>;
}

/** Where the Lambda entry adapters live, by kind of function. */
const ENTRIES: Readonly<Record<FunctionKind, string>> = {
  http: 'http.ts',
  consumer: 'consumer.ts',
  relay: 'outbox-relay.ts',
  job: 'job.ts',
  migrate: 'migrate.ts',
};

const LAMBDA_DIR = path.join(import.meta.dirname, 'lambda');

const SIZING: Readonly<Record<FunctionKind, { memoryMb: number; timeout: Duration }>> = {
  http: { memoryMb: 1024, timeout: Duration.seconds(10) },
  consumer: { memoryMb: 512, timeout: Duration.seconds(30) },
  relay: { memoryMb: 256, timeout: Duration.seconds(60) },
  job: { memoryMb: 256, timeout: Duration.seconds(60) },
  // A fresh RDS Proxy can take minutes to accept connections; the migration retries meanwhile.
  migrate: { memoryMb: 256, timeout: Duration.minutes(15) },
};

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

/** The queue must stay invisible while a batch runs; AWS recommends six times the function timeout. */
const CONSUMER_VISIBILITY_FACTOR = 6;
/** Lambda's SQS maximum concurrency cannot go below 2. */
const MIN_SQS_MAX_CONCURRENCY = 2;
/** RDS Proxy listens on PostgreSQL's port; the instances behind it use another (cdk-nag RDS11). */
const PROXY_PORT = 5432;
const INSTANCE_PORT = 5532;

/**
 * How every function is bundled: esbuild from node_modules (no Docker), one ES module per entry.
 * `assetsDir` (relative to the project) is copied beside the bundle for a service that reads files
 * next to its module.
 */
export function lambdaBundling(assetsDir?: string): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    format: nodejs.OutputFormat.ESM,
    target: 'node24',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // The AWS SDK is bundled (the versions we test); the embedded-only packages are never loaded on Lambda.
    externalModules: ['@electric-sql/pglite', 'fauxqs', 'pg-native'],
    // CommonJS dependencies (pg, the X-Ray SDK) call require(); an ES module bundle has to provide it.
    banner:
      "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    ...(assetsDir
      ? {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => [
              `cp -R "${path.join(inputDir, assetsDir)}" "${path.join(outputDir, 'assets')}"`,
            ],
          },
        }
      : {}),
  };
}

/** The project root, where package-lock.json is: esbuild resolves from here. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../../..');

const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

interface DatabaseResources {
  readonly instance: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  readonly secret: secretsmanager.ISecret;
  readonly name: string;
}

interface QueueResources {
  readonly declaration: QueueDeclaration;
  readonly queue: sqs.Queue;
  readonly deadLetter: sqs.Queue;
}

/**
 * The whole system on AWS, derived from the topology: SNS topic and filtered SQS subscriptions, every
 * queue with its DLQ and alarm, one Lambda per consumer/HTTP service/job/outbox/migration with grants
 * derived from who publishes and consumes what, an HTTP API with every route, one RDS PostgreSQL per
 * database behind RDS Proxy, secrets in Secrets Manager and an SES identity for MAIL_FROM.
 */
export class DonutStatesStack extends Stack {
  readonly api: apigw.HttpApi;
  readonly topic: sns.Topic;
  readonly queues = new Map<string, QueueResources>();
  readonly databases = new Map<string, DatabaseResources>();
  readonly functions = new Map<string, { plan: FunctionPlan; fn: nodejs.NodejsFunction }>();
  readonly alarmTopic: sns.Topic;
  readonly #parameters: DeploymentParameters;
  readonly #vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: DonutStatesStackProps) {
    super(scope, id, props);
    const { topology } = props;
    const p = { ...defaultParameters, ...props.parameters };
    this.#parameters = p;
    checkFactoryCallFits(topology, p.factoryTimeoutMs);

    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.#vpc = new ec2.Vpc(this, 'Network', {
      maxAzs: 2,
      // One NAT gateway: the factory, the marketing webhook and the AWS APIs are reached through it.
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });

    this.alarmTopic = new sns.Topic(this, 'Alarms', { displayName: `${topology.name} alarms`, enforceSSL: true });
    acknowledge(
      this.alarmTopic,
      'AwsSolutions-SNS2',
      'CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, and alarm notices carry no data beyond alarm names.',
    );
    if (p.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(p.alarmEmail));

    // Messaging: the topic, then every queue with its DLQ and its filtered raw-delivery subscription.
    this.topic = new sns.Topic(this, 'Events', {
      displayName: topology.topic.name,
      // The AWS managed key: encrypted at rest, and publishers need no KMS grant of their own.
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    for (const declaration of topology.queues) this.#queue(declaration);

    // Data: one PostgreSQL instance per database in the topology, each behind its own proxy.
    for (const declaration of topology.databases) this.#database(declaration.name, p.production);

    const callbackSecret = new secretsmanager.Secret(this, 'CallbackSecret', {
      description: 'HMAC key signing the CallbackUrls handed to the factory',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    acknowledge(
      callbackSecret,
      'AwsSolutions-SMG4',
      'Rotating the HMAC key would invalidate every CallbackUrl the factory still holds (it calls back once, minutes later); rotate by hand between replenishments.',
    );
    const adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      description: 'Bearer token for the admin and ops endpoints',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    acknowledge(
      adminToken,
      'AwsSolutions-SMG4',
      'The admin token is held by people and scripts, not by a service that could follow a rotation; it is rotated by hand.',
    );

    const mailIdentity = new ses.EmailIdentity(this, 'MailFrom', {
      identity: p.mailDomain ? ses.Identity.domain(p.mailDomain) : ses.Identity.email(p.mailFrom),
    });
    const mailIdentities = [mailIdentity.emailIdentityArn];
    if (p.sesSandbox) {
      const recipient = new ses.EmailIdentity(this, 'AdManager', { identity: ses.Identity.email(p.adManagerEmail) });
      mailIdentities.push(recipient.emailIdentityArn);
    }

    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${this.stackName}-api`,
      description: `${topology.name}: every route of the topology`,
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            length: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'A shop API: products, checkout, customers and health are public by contract; the factory callback is authenticated by its HMAC signature; admin routes check the bearer token in the gateway code, from the topology.',
    );
    const publicUrl = p.publicUrl ?? this.api.apiEndpoint;

    const settings: Record<string, string> = {
      [ENV.factoryUrl]: p.factoryUrl,
      [ENV.factoryTimeoutMs]: String(p.factoryTimeoutMs),
      [ENV.publicUrl]: publicUrl,
      [ENV.adManagerEmail]: p.adManagerEmail,
      [ENV.mailFrom]: p.mailFrom,
      [ENV.vipThreshold]: String(p.vipThreshold),
      [ENV.replenishmentTimeoutS]: String(p.replenishmentTimeoutS),
      [ENV.idempotencyTtlS]: String(p.idempotencyTtlS),
      ...(p.marketingWebhookUrl ? { [ENV.marketingWebhookUrl]: p.marketingWebhookUrl } : {}),
    };

    for (const plan of planFunctions(topology)) {
      const fn = this.#function(plan, settings);
      this.functions.set(plan.id, { plan, fn });
      const role = fn.role!;
      if (plan.publishes) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
        );
        fn.addEnvironment(ENV.topicArn, this.topic.topicArn);
      }
      if (plan.needs.callbackSecret) {
        callbackSecret.grantRead(role);
        fn.addEnvironment(ENV.callbackSecretArn, callbackSecret.secretArn);
      }
      if (plan.adminToken) {
        adminToken.grantRead(role);
        fn.addEnvironment(ENV.adminTokenSecretArn, adminToken.secretArn);
      }
      if (plan.needs.sendsMail) {
        role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources: mailIdentities }));
      }
      if (plan.needs.checksMail) {
        role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
      }

      switch (plan.kind) {
        case 'http': {
          const integration = new HttpLambdaIntegration(`${plan.id}Integration`, fn, {
            payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
          });
          for (const route of plan.routes) {
            this.api.addRoutes({
              path: apiGatewayPath(route.path),
              methods: [apigw.HttpMethod[route.method]],
              integration,
            });
          }
          if (plan.fallback) {
            new apigw.HttpRoute(this.api, 'FallbackRoute', {
              httpApi: this.api,
              routeKey: apigw.HttpRouteKey.DEFAULT,
              integration,
            });
          }
          break;
        }
        case 'consumer': {
          const q = this.queues.get(plan.queue!.name)!;
          fn.addEventSource(
            new SqsEventSource(q.queue, {
              batchSize: plan.queue!.batchSize,
              maxConcurrency: Math.max(MIN_SQS_MAX_CONCURRENCY, plan.queue!.concurrency),
              reportBatchItemFailures: true,
              // Batches above ten need a batching window; up to ten, deliver at once.
              ...(plan.queue!.batchSize > 10 ? { maxBatchingWindow: Duration.seconds(1) } : {}),
            }),
          );
          fn.addEnvironment(ENV.queue, plan.queue!.name);
          this.#alarm(`${plan.id}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
            description: `the ${plan.queue!.name} consumer threw (a whole batch failed or the function crashed)`,
          });
          break;
        }
        case 'job':
        case 'relay': {
          const every =
            plan.kind === 'job'
              ? Duration.minutes(Math.max(1, Math.ceil(plan.schedule!.everyS / 60)))
              : Duration.minutes(1);
          new events.Rule(this, `${plan.id}Schedule`, {
            description:
              plan.kind === 'job'
                ? plan.schedule!.purpose
                : `sweep the ${plan.database} outbox for events a crash or a failed publish left behind`,
            schedule: events.Schedule.rate(every),
            // The next tick runs again anyway; a retry would only overlap it.
            targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
          });
          if (plan.kind === 'job') fn.addEnvironment(ENV.schedule, plan.schedule!.name);
          else fn.addEnvironment(ENV.database, plan.database!);
          this.#alarm(`${plan.id}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
            description: `${plan.id} failed`,
          });
          break;
        }
        case 'migrate': {
          fn.addEnvironment(ENV.database, plan.database!);
          const database = this.databases.get(plan.database!)!;
          const schema = new CustomResource(this, `${pascal(plan.database!)}Schema`, {
            serviceToken: fn.functionArn,
            resourceType: 'Custom::DatabaseSchema',
            // A new migration changes this list, so the next deploy applies it.
            properties: { database: plan.database!, migrations: Object.keys(databaseSchemas[plan.database!] ?? {}) },
          });
          schema.node.addDependency(database.proxy, database.instance);
          break;
        }
      }
      if (plan.kind === 'http') {
        this.#alarm(`${plan.id}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
          description: `${plan.id} crashed (an answered 5xx is not a crash; see the access log)`,
        });
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the shop API' });
    new CfnOutput(this, 'AdminTokenSecretArn', {
      value: adminToken.secretArn,
      description: 'aws secretsmanager get-secret-value --secret-id <this> --query SecretString',
    });
    new CfnOutput(this, 'EventsTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }

  #queue(declaration: QueueDeclaration): void {
    const id = pascal(declaration.name);
    const deadLetter = new sqs.Queue(this, `${id}Dlq`, {
      queueName: `${this.stackName}-${deadLetterQueueName(declaration)}`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new sqs.Queue(this, `${id}Queue`, {
      queueName: `${this.stackName}-${declaration.name}`,
      // The topology's timeout is a floor: Lambda refuses a queue that hides a batch shorter than it runs.
      visibilityTimeout: Duration.seconds(
        Math.max(declaration.visibilityTimeoutS, SIZING.consumer.timeout.toSeconds() * CONSUMER_VISIBILITY_FACTOR),
      ),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetter, maxReceiveCount: declaration.maxReceiveCount },
    });
    if (declaration.events.length > 0) {
      // As provision.ts does locally: raw delivery, filtered on the `type` message attribute.
      this.topic.addSubscription(
        new subscriptions.SqsSubscription(queue, {
          rawMessageDelivery: true,
          filterPolicy: { type: sns.SubscriptionFilter.stringFilter({ allowlist: [...declaration.events] }) },
        }),
      );
    }
    this.#alarm(
      `${id}DlqDepth`,
      deadLetter.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      {
        description: `messages are waiting in ${deadLetterQueueName(declaration)}; see GET /ops/dlq/${declaration.name}`,
      },
    );
    this.queues.set(declaration.name, { declaration, queue, deadLetter });
  }

  #database(name: string, production: boolean): void {
    const id = pascal(name);
    const dataSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const identifier = `${this.stackName}-${name}`.toLowerCase();
    // Created here, with a retention, rather than by RDS on first export (which keeps logs forever).
    const logGroup = new logs.LogGroup(this, `${id}DatabaseLogs`, {
      logGroupName: `/aws/rds/instance/${identifier}/postgresql`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const instance = new rds.DatabaseInstance(this, `${id}Database`, {
      instanceIdentifier: identifier,
      engine: POSTGRES,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: this.#vpc,
      vpcSubnets: dataSubnets,
      port: INSTANCE_PORT,
      databaseName: `donut_${name.replace(/-/g, '_')}`,
      credentials: rds.Credentials.fromGeneratedSecret('donut'),
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      backupRetention: Duration.days(7),
      multiAz: production,
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
    });
    instance.node.addDependency(logGroup);
    if (!production) {
      acknowledge(
        instance,
        'AwsSolutions-RDS3',
        'Single-AZ keeps the demo deployment cheap; deploy with -c production=true for a Multi-AZ standby.',
      );
      acknowledge(
        instance,
        'AwsSolutions-RDS10',
        'Without -c production=true the stack is meant to be destroyable in one command; production turns deletion protection on.',
      );
    }
    const secret = instance.secret!;
    // The proxy holds the connections, so a burst of Lambdas does not exhaust a small instance.
    const proxy = instance.addProxy(`${id}Proxy`, {
      secrets: [secret],
      vpc: this.#vpc,
      vpcSubnets: dataSubnets,
      requireTLS: true,
      debugLogging: false,
    });
    instance.connections.allowDefaultPortFrom(proxy, 'RDS Proxy to its database');
    instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      // The rotation function talks to Secrets Manager, so it needs the NAT route.
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    this.databases.set(name, { instance, proxy, secret, name: `donut_${name.replace(/-/g, '_')}` });
  }

  #function(plan: FunctionPlan, settings: Record<string, string>): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${plan.id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role per function: only its own log group, the VPC's network interfaces and the grants below.
    const role = new iam.Role(this, `${plan.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${plan.id}: least privilege derived from the topology`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'EC2 network-interface actions for a VPC Lambda, X-Ray PutTraceSegments/PutTelemetryRecords and SES GetAccount do not support resource-level permissions; every action is named, none is a wildcard.',
    );
    const securityGroup = new ec2.SecurityGroup(this, `${plan.id}Sg`, {
      vpc: this.#vpc,
      description: `${plan.id} (outbound: AWS APIs, the factory, its database proxies)`,
      allowAllOutbound: true,
    });

    const databases: Record<string, { secretArn: string; endpoint: string; name: string }> = {};
    for (const name of plan.databases) {
      const database = this.databases.get(name)!;
      database.secret.grantRead(role);
      database.proxy.connections.allowFrom(securityGroup, ec2.Port.tcp(PROXY_PORT), `${plan.id} to ${name}`);
      databases[name] = {
        secretArn: database.secret.secretArn,
        endpoint: database.proxy.endpoint,
        name: database.name,
      };
    }
    const queues = this.#queuesFor(plan, role);

    const service = plan.service ?? plan.kind;
    const environment: Record<string, string> = {
      ...settings,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: `${service}-${plan.kind}`,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(plan.service ? { [ENV.service]: plan.service } : {}),
      ...(plan.databases.length > 0 ? { [ENV.databases]: this.toJsonString(databases) } : {}),
      ...(queues.length > 0 ? { [ENV.queues]: this.toJsonString(queues) } : {}),
    };

    const assets = plan.kind === 'http' && plan.service ? path.join('src/services', plan.service, 'assets') : undefined;
    // A service reading files beside its module (the dashboard's pages) gets them copied next to the bundle.
    const copyAssets = assets && existsSync(path.join(PROJECT_ROOT, assets));
    return new nodejs.NodejsFunction(this, plan.id, {
      entry: path.join(LAMBDA_DIR, ENTRIES[plan.kind]),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: SIZING[plan.kind].memoryMb,
      timeout: SIZING[plan.kind].timeout,
      role,
      logGroup,
      vpc: this.#vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      tracing: lambda.Tracing.ACTIVE,
      environment,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      projectRoot: PROJECT_ROOT,
      bundling: lambdaBundling(copyAssets ? assets : undefined),
    });
  }

  /** The queues a function touches beyond its own event source, granted action by action. */
  #queuesFor(
    plan: FunctionPlan,
    role: iam.IRole,
  ): { name: string; url: string; deadLetter: { name: string; url: string } }[] {
    const refs = new Map<string, QueueResources>();
    for (const name of plan.sendsTo) {
      const q = this.queues.get(name)!;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [q.queue.queueArn] }),
      );
      refs.set(name, q);
    }
    if (plan.needs.queues) {
      const all = [...this.queues.values()];
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['sqs:GetQueueAttributes'],
          resources: all.flatMap((q) => [q.queue.queueArn, q.deadLetter.queueArn]),
        }),
      );
      if (plan.needs.queues === 'dead-letters') {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:PurgeQueue'],
            resources: all.map((q) => q.deadLetter.queueArn),
          }),
        );
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: all.map((q) => q.queue.queueArn) }),
        );
      }
      for (const q of all) refs.set(q.declaration.name, q);
    }
    return [...refs.values()].map((q) => ({
      name: q.declaration.name,
      url: q.queue.queueUrl,
      deadLetter: { name: deadLetterQueueName(q.declaration), url: q.deadLetter.queueUrl },
    }));
  }

  #alarm(id: string, metric: cloudwatch.IMetric, options: { description: string }): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    return alarm;
  }
}
