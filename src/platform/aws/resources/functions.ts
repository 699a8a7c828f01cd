import { existsSync } from 'node:fs';
import path from 'node:path';
import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { deadLetterQueueName } from '../../../topology.ts';
import { ENV } from '../lambda/env.ts';
import { acknowledge } from '../nag.ts';
import type { FunctionKind, FunctionPlan } from '../plan.ts';
import { lambdaBundling, PROJECT_ROOT } from './bundling.ts';
import { type DatabaseResources, OWNER_USERNAME, READ_ONLY_USERNAME } from './data.ts';
import type { QueueResources } from './messaging.ts';
import type { Secrets } from './secrets.ts';
import { PROXY_PORT, SIZING } from './sizing.ts';

/** Where the Lambda entry adapters live, by kind of function. */
const ENTRIES: Readonly<Record<FunctionKind, string>> = {
  http: 'http.ts',
  consumer: 'consumer.ts',
  relay: 'outbox-relay.ts',
  job: 'job.ts',
  migrate: 'migrate.ts',
};

/** The entry files are the composition root's: they build services, which platform code never imports. */
const LAMBDA_DIR = path.join(PROJECT_ROOT, 'src/app/lambda');

export interface FunctionsProps {
  readonly vpc: ec2.Vpc;
  readonly topic: { readonly topicArn: string };
  readonly queues: ReadonlyMap<string, QueueResources>;
  readonly databases: ReadonlyMap<string, DatabaseResources>;
  readonly secrets: Secrets;
  /** The SES identities a mail-sending function may send from. */
  readonly mailIdentities: readonly string[];
  /** The deployment's settings, in every function's environment. */
  readonly settings: Readonly<Record<string, string>>;
  /** Reserved concurrency by plan id; a function not named here draws on the account's unreserved pool. */
  readonly reservedConcurrency?: ReadonlyMap<string, number>;
}

/** A function of the plan and the Lambda made for it. */
export interface PlannedFunction {
  readonly plan: FunctionPlan;
  readonly fn: nodejs.NodejsFunction;
}

/**
 * One Lambda per function plan, each with its own log group, role, security group and the least
 * privilege its plan derives from the topology: only its databases, the queues it sends to or
 * administers, the topic if it publishes, the secrets and mail identities it uses. What triggers a
 * function is wired by the stack. Resources are created in the stack's scope, so logical ids stay those
 * of a flat stack.
 */
export class Functions {
  /** By plan id, in the order added. */
  readonly functions = new Map<string, PlannedFunction>();
  readonly #scope: Stack;
  readonly #props: FunctionsProps;

  constructor(scope: Stack, props: FunctionsProps) {
    this.#scope = scope;
    this.#props = props;
  }

  /** Creates the function of a plan with every grant and environment variable its plan needs. */
  add(plan: FunctionPlan): nodejs.NodejsFunction {
    const { topic, secrets, mailIdentities } = this.#props;
    const fn = this.#function(plan);
    this.functions.set(plan.id, { plan, fn });
    const role = fn.role!;
    if (plan.publishes) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
      fn.addEnvironment(ENV.topicArn, topic.topicArn);
    }
    if (plan.needs.callbackSecret) {
      secrets.callbackSecret.grantRead(role);
      fn.addEnvironment(ENV.callbackSecretArn, secrets.callbackSecret.secretArn);
    }
    if (plan.adminToken) {
      secrets.adminToken.grantRead(role);
      fn.addEnvironment(ENV.adminTokenSecretArn, secrets.adminToken.secretArn);
    }
    if (plan.needs.sendsMail) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources: [...mailIdentities] }),
      );
    }
    if (plan.needs.checksMail) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    }
    return fn;
  }

  #function(plan: FunctionPlan): nodejs.NodejsFunction {
    const scope = this.#scope;
    const { vpc } = this.#props;
    const logGroup = new logs.LogGroup(scope, `${plan.id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role per function: only its own log group, the VPC's network interfaces and the grants below.
    const role = new iam.Role(scope, `${plan.id}Role`, {
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
    const securityGroup = new ec2.SecurityGroup(scope, `${plan.id}Sg`, {
      vpc,
      description: `${plan.id} (outbound: AWS APIs, the factory, its database proxies)`,
      allowAllOutbound: true,
    });

    const databases: Record<string, { user: string; endpoint: string; name: string }> = {};
    for (const name of plan.databases) {
      const database = this.#props.databases.get(name)!;
      const user = plan.needs.readOnly ? READ_ONLY_USERNAME : OWNER_USERNAME;
      // IAM authentication: this role may log in to this proxy as this user, and nowhere else.
      database.proxy.grantConnect(role, user);
      database.proxy.connections.allowFrom(securityGroup, ec2.Port.tcp(PROXY_PORT), `${plan.id} to ${name}`);
      databases[name] = { user, endpoint: database.proxy.endpoint, name: database.name };
    }
    const queues = this.#queuesFor(plan, role);

    const service = plan.service ?? plan.kind;
    const environment: Record<string, string> = {
      ...this.#props.settings,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: `${service}-${plan.kind}`,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(plan.service ? { [ENV.service]: plan.service } : {}),
      ...(plan.databases.length > 0 ? { [ENV.databases]: scope.toJsonString(databases) } : {}),
      ...(queues.length > 0 ? { [ENV.queues]: scope.toJsonString(queues) } : {}),
    };

    const assets = plan.kind === 'http' && plan.service ? path.join('src/services', plan.service, 'assets') : undefined;
    // A service reading files beside its module (the dashboard's pages) gets them copied next to the bundle.
    const copyAssets = assets && existsSync(path.join(PROJECT_ROOT, assets));
    return new nodejs.NodejsFunction(scope, plan.id, {
      entry: path.join(LAMBDA_DIR, ENTRIES[plan.kind]),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: SIZING[plan.kind].memoryMb,
      timeout: SIZING[plan.kind].timeout,
      role,
      logGroup,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: this.#props.reservedConcurrency?.get(plan.id),
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
    const queues = this.#props.queues;
    const refs = new Map<string, QueueResources>();
    for (const name of plan.sendsTo) {
      const q = queues.get(name)!;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [q.queue.queueArn] }),
      );
      refs.set(name, q);
    }
    if (plan.needs.queues) {
      const all = [...queues.values()];
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
}
