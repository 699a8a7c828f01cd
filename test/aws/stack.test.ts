import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Match } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseMigrations } from '../../src/app/databases.ts';
import { factoryCallWindowMs } from '../../src/contract/factory.ts';
import { ENV } from '../../src/platform/aws/lambda/env.ts';
import { acknowledgements } from '../../src/platform/aws/nag.ts';
import { apiGatewayPath, outboxDatabases, planFunctions } from '../../src/platform/aws/plan.ts';
import { PROJECT_ROOT } from '../../src/platform/aws/resources/bundling.ts';
import { OWNER_USERNAME, READ_ONLY_USERNAME } from '../../src/platform/aws/resources/data.ts';
import { subscriptionDeadLetterName } from '../../src/platform/aws/resources/messaging.ts';
import {
  API_THROTTLE,
  CONSUMER_VISIBILITY_FACTOR,
  DEFAULT_SALES_RESERVED_CONCURRENCY,
  MIN_MAX_RECEIVE_COUNT,
  PROXY_BORROW_LATENCY_ALARM_US,
  SIZING,
} from '../../src/platform/aws/resources/sizing.ts';
import { scheduleRate } from '../../src/platform/aws/resources/triggers.ts';
import { checkFactoryCallFits, defaultParameters } from '../../src/platform/aws/stack.ts';
import { deadLetterQueueName, topology } from '../../src/topology.ts';
import { logicalId, resourcesOf, type Synthesized, synthesizeApp } from './synth.ts';
import { validateTemplate } from './template-schema.ts';

const run = promisify(execFile);

/** cfn-lint on the PATH, when this machine happens to have it (`pip install cfn-lint`); optional. */
const CFN_LINT = (() => {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return { found: probe.status === 0, version: probe.stdout?.trim() ?? '' };
})();

interface CfnLintFinding {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/** cfn-lint's findings on one template file (it exits non-zero whenever it finds something). */
async function cfnLint(file: string): Promise<CfnLintFinding[]> {
  const { stdout } = await run('cfn-lint', [file, '--format', 'json', '--regions', 'us-east-1'], {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(stdout) as CfnLintFinding[];
}

/** The warnings the stack accepts, each for a reason; an error is never accepted. */
function acceptedCfnLintWarning(f: CfnLintFinding): boolean {
  if (f.Level !== 'Warning') return false;
  // CDK writes an explicit DependsOn on a function's role beside the GetAtt that already orders them: harmless.
  if (f.Rule.Id === 'W3005') return true;
  // A bare major version ('17', CDK's VER_17): RDS takes "a recent release of the major version" and
  // autoMinorVersionUpgrade keeps it current; cfn-lint lists the major among its deprecated minors.
  if (f.Rule.Id === 'W3691') return /Engine version '\d+' for engine 'postgres'/.test(f.Message);
  return false;
}

let s: Synthesized;
beforeAll(() => {
  s = synthesizeApp();
}, 120_000);
afterAll(() => s?.cleanup());

const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** Every policy statement in the template: identity policies and resource policies alike. */
function statements(): { where: string; statement: Record<string, any> }[] {
  const out: { where: string; statement: Record<string, any> }[] = [];
  for (const [id, resource] of Object.entries(s.template.toJSON().Resources as Record<string, any>)) {
    const props = resource.Properties ?? {};
    const documents = [
      props.PolicyDocument,
      props.KeyPolicy,
      props.AssumeRolePolicyDocument,
      ...(props.Policies ?? []).map((p: any) => p.PolicyDocument),
    ].filter(Boolean);
    for (const document of documents) {
      for (const statement of document.Statement ?? []) out.push({ where: id, statement });
    }
  }
  return out;
}

function functionOf(planId: string): string {
  return logicalId(s.stack, s.stack.functions.get(planId)!.fn);
}

function policyOf(planId: string): Record<string, any>[] {
  const role = logicalId(s.stack, s.stack.functions.get(planId)!.fn.role as never);
  const policies = resourcesOf(s.template, 'AWS::IAM::Policy').filter(([, p]) =>
    (p.Properties!.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(role))),
  );
  return policies.flatMap(([, p]) => p.Properties!.PolicyDocument.Statement);
}

const actionsOf = (planId: string): string[] =>
  policyOf(planId).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));

describe('the AWS stack, derived from the topology', () => {
  it('matches the committed template snapshot, asset hashes aside (update with vitest -u and review the diff)', async () => {
    // Asset hashes follow every source change; each distinct one is numbered, so a shared bundle stays visible.
    const numbers = new Map<string, string>();
    const text = JSON.stringify(s.template.toJSON(), null, 2).replace(/\b[0-9a-f]{64}\b/g, (hash) => {
      if (!numbers.has(hash)) numbers.set(hash, `<asset-${numbers.size + 1}>`);
      return numbers.get(hash)!;
    });
    expect(numbers.size).toBeGreaterThan(0);
    await expect(`${text}\n`).toMatchFileSnapshot('__snapshots__/template.json');
  });

  it("validates against AWS's service specification: types, properties, required ones, attributes, references", () => {
    expect(validateTemplate(JSON.parse(readFileSync(s.templateFile, 'utf8')))).toEqual([]);
  });

  // cfn-lint adds its own rules where it is installed (a Python tool: not on npm, not in Debian 12). Elsewhere
  // this test is not declared at all, so a machine without it neither fails nor counts a skip; the
  // specification check above is the validation that always runs.
  if (CFN_LINT.found) {
    it(`also validates with ${CFN_LINT.version} (declared only where cfn-lint is installed): no error, and only warnings with a written reason`, async () => {
      // The linter is live: a broken template gets errors, not silence.
      const broken = path.join(path.dirname(s.templateFile), 'broken.template.json');
      writeFileSync(
        broken,
        JSON.stringify({
          Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon', Colour: 'red' } } },
        }),
      );
      expect(
        (await cfnLint(broken))
          .filter((f) => f.Level === 'Error')
          .map((f) => f.Rule.Id)
          .sort(),
      ).toEqual(['E3002', 'E3012']);
      const findings = await cfnLint(s.templateFile);
      const unexplained = findings
        .filter((f) => f.Level !== 'Informational' && !acceptedCfnLintWarning(f))
        .map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`);
      expect(unexplained).toEqual([]);
    }, 120_000);
  }

  it('passes cdk-nag AwsSolutions with no error, every acknowledgement giving its reason', () => {
    // A nag error fails app.synth() in beforeAll; the report must also conclude cleanly.
    for (const report of s.report.pluginReports) {
      expect(report.conclusion, report.pluginName).toBe('success');
      const errors = report.violations.filter((v) => v.severity === 'error' || v.severity === 'fatal');
      expect(errors.map((v) => v.ruleName)).toEqual([]);
    }
    const acks = acknowledgements(s.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('gives every work queue a DLQ with the topology maxReceiveCount (at least five), and a raw, filtered subscription', () => {
    for (const declaration of topology.queues) {
      const { queue, deadLetter } = s.stack.queues.get(declaration.name)!;
      const queueId = logicalId(s.stack, queue);
      const dlqId = logicalId(s.stack, deadLetter);
      s.template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `DonutStates-${declaration.name}`,
        RedrivePolicy: {
          deadLetterTargetArn: arnOf(dlqId),
          maxReceiveCount: Math.max(MIN_MAX_RECEIVE_COUNT, declaration.maxReceiveCount),
        },
      });
      s.template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `DonutStates-${deadLetterQueueName(declaration)}`,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      const subscriptions = resourcesOf(s.template, 'AWS::SNS::Subscription').filter(
        ([, r]) => JSON.stringify(r.Properties!.Endpoint) === JSON.stringify(arnOf(queueId)),
      );
      if (declaration.events.length === 0) {
        expect(subscriptions, declaration.name).toHaveLength(0);
      } else {
        expect(subscriptions, declaration.name).toHaveLength(1);
        // Exactly what provision.ts sets locally.
        expect(subscriptions[0]![1].Properties).toMatchObject({
          Protocol: 'sqs',
          RawMessageDelivery: true,
          FilterPolicy: { type: [...declaration.events] },
        });
      }
    }
    const subscribed = topology.queues.filter((q) => q.events.length > 0).length;
    // Each queue and its DLQ, and a dead-letter queue for each subscription to the topic.
    expect(resourcesOf(s.template, 'AWS::SQS::Queue')).toHaveLength(topology.queues.length * 2 + subscribed);
  });

  it('gives every subscription its own dead-letter queue, which SNS may write to, with an alarm on its depth', () => {
    const resources = s.template.toJSON().Resources as Record<string, any>;
    const alarms = resourcesOf(s.template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const topicArn = ref(logicalId(s.stack, s.stack.topic));
    let checked = 0;
    for (const declaration of topology.queues) {
      const { queue, subscriptionDeadLetter } = s.stack.queues.get(declaration.name)!;
      if (declaration.events.length === 0) {
        expect(subscriptionDeadLetter, declaration.name).toBeUndefined();
        continue;
      }
      const dlqId = logicalId(s.stack, subscriptionDeadLetter!);
      expect(resources[dlqId].Properties).toMatchObject({
        QueueName: `DonutStates-${subscriptionDeadLetterName(declaration)}`,
        MessageRetentionPeriod: 14 * 24 * 3600,
        SqsManagedSseEnabled: true,
      });
      const [[, subscription]] = resourcesOf(s.template, 'AWS::SNS::Subscription').filter(
        ([, r]) => JSON.stringify(r.Properties!.Endpoint) === JSON.stringify(arnOf(logicalId(s.stack, queue))),
      ) as [[string, any]];
      expect(subscription.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(dlqId) });
      // The DLQ's policy lets this topic, and nothing else, send to it.
      const policies = resourcesOf(s.template, 'AWS::SQS::QueuePolicy').filter(([, p]) =>
        (p.Properties!.Queues as unknown[]).some((q) => JSON.stringify(q) === JSON.stringify(ref(dlqId))),
      );
      const sends = policies.flatMap(([, p]) =>
        p.Properties!.PolicyDocument.Statement.filter((st: any) => st.Effect === 'Allow'),
      );
      expect(sends).toEqual([
        expect.objectContaining({
          Action: 'sqs:SendMessage',
          Principal: { Service: 'sns.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        }),
      ]);
      const depth = alarms.filter(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions) ===
            JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }]),
      );
      expect(depth, declaration.name).toHaveLength(1);
      expect(depth[0]).toMatchObject({ Threshold: 1, AlarmActions: [ref(logicalId(s.stack, s.stack.alarmTopic))] });
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('has one consumer per queue reporting batch item failures, with the topology batch size and concurrency', () => {
    for (const declaration of topology.queues) {
      const consumer = planFunctions(topology).find(
        (p) => p.kind === 'consumer' && p.queue?.name === declaration.name,
      )!;
      s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(logicalId(s.stack, s.stack.queues.get(declaration.name)!.queue)),
        FunctionName: ref(functionOf(consumer.id)),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: declaration.batchSize,
        ScalingConfig: { MaximumConcurrency: Math.max(2, declaration.concurrency) },
      });
    }
    expect(resourcesOf(s.template, 'AWS::Lambda::EventSourceMapping')).toHaveLength(topology.queues.length);
  });

  it('lets the factory-order consumer and its queue outlast a whole factory call; refuses a timeout that does not fit', () => {
    const window = factoryCallWindowMs(defaultParameters.factoryTimeoutMs);
    for (const declaration of topology.queues.filter((q) => q.callsFactory)) {
      const consumer = planFunctions(topology).find(
        (p) => p.kind === 'consumer' && p.queue?.name === declaration.name,
      )!;
      const [, fn] = resourcesOf(s.template, 'AWS::Lambda::Function').find(([id]) => id === functionOf(consumer.id))!;
      const props = fn.Properties as Record<string, any>;
      expect(props.Timeout * 1000).toBeGreaterThan(window);
      const queue = s.template.toJSON().Resources[logicalId(s.stack, s.stack.queues.get(declaration.name)!.queue)];
      expect(queue.Properties.VisibilityTimeout * 1000).toBeGreaterThan(window);
      expect(props.Environment.Variables[ENV.factoryTimeoutMs]).toBe(String(defaultParameters.factoryTimeoutMs));
    }
    expect(() => checkFactoryCallFits(topology, defaultParameters.factoryTimeoutMs)).not.toThrow();
    expect(() => checkFactoryCallFits(topology, 60_000)).toThrow(/factory-orders/);
  });

  it('serves every route of the topology, plus a fallback that answers the contract 404', () => {
    const routeKeys = resourcesOf(s.template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!.RouteKey);
    for (const route of topology.routes) expect(routeKeys).toContain(`${route.method} ${apiGatewayPath(route.path)}`);
    expect(routeKeys).toContain('$default');
    expect(routeKeys).toHaveLength(topology.routes.length + 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('puts each database in its own RDS PostgreSQL instance, secret and proxy, in isolated subnets', () => {
    const instances = resourcesOf(s.template, 'AWS::RDS::DBInstance');
    expect(instances).toHaveLength(topology.databases.length);
    const ids = new Set<string>();
    for (const declaration of topology.databases) {
      const db = s.stack.databases.get(declaration.name)!;
      ids.add(logicalId(s.stack, db.instance));
      s.template.hasResourceProperties('AWS::RDS::DBInstance', {
        DBName: `donut_${declaration.name}`,
        Engine: 'postgres',
        StorageEncrypted: true,
        PubliclyAccessible: false,
      });
    }
    expect(ids.size).toBe(topology.databases.length);
    // The inventory and the customer data never share an instance, a secret or a proxy.
    const inventory = s.stack.databases.get('inventory')!;
    const customers = s.stack.databases.get('customers')!;
    expect(inventory.instance).not.toBe(customers.instance);
    expect(s.stack.resolve(inventory.secret.secretArn)).not.toEqual(s.stack.resolve(customers.secret.secretArn));
    expect(s.stack.resolve(inventory.proxy.endpoint)).not.toEqual(s.stack.resolve(customers.proxy.endpoint));
    s.template.resourceCountIs('AWS::RDS::DBProxy', topology.databases.length);
    s.template.allResourcesProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' });
    // The owner's and the read-only role's secrets, each rotated.
    s.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', topology.databases.length * 2);
    // No rotation at creation: the schema migration logs in right then.
    s.template.allResourcesProperties('AWS::SecretsManager::RotationSchedule', { RotateImmediatelyOnUpdate: false });
  });

  it('connects the dashboard and ops as each database read-only role, through the proxy; the migration makes the role', () => {
    const readOnly = planFunctions(topology).filter((p) => p.needs.readOnly);
    expect(readOnly.map((p) => p.id).sort()).toEqual(['HttpDashboard', 'HttpOps']);
    const resources = s.template.toJSON().Resources as Record<string, any>;
    for (const plan of planFunctions(topology).filter((p) => p.databases.length > 0)) {
      // The variable is a JSON text joined with the proxies' endpoints, so quotes come escaped here.
      const text = JSON.stringify(resources[functionOf(plan.id)].Properties.Environment.Variables[ENV.databases]);
      for (const name of plan.databases) {
        const user = plan.needs.readOnly ? READ_ONLY_USERNAME : OWNER_USERNAME;
        expect(text, `${plan.id} → ${name}`).toContain(`\\"user\\":\\"${user}\\"`);
      }
      // No function reads a database password: it logs in with an IAM token.
      expect(text, plan.id).not.toContain('secretArn');
    }
    for (const declaration of topology.databases) {
      const database = s.stack.databases.get(declaration.name)!;
      const proxy = resources[logicalId(s.stack, database.proxy)].Properties;
      // The proxy's own logins to the database, one per user.
      expect(proxy.Auth.map((a: any) => a.SecretArn)).toEqual(
        [database.secret, database.readerSecret].map((secret) => s.stack.resolve(secret.secretArn)),
      );
      const migrate = planFunctions(topology).find((p) => p.kind === 'migrate' && p.database === declaration.name)!;
      expect(resources[functionOf(migrate.id)].Properties.Environment.Variables[ENV.readerSecretArn]).toEqual(
        s.stack.resolve(database.readerSecret.secretArn),
      );
    }
    s.template.resourcePropertiesCountIs(
      'AWS::SecretsManager::Secret',
      { GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"donut_reader"}' }) },
      topology.databases.length,
    );
  });

  it('requires IAM authentication on every proxy, for each of its database users (docs/aws.md)', () => {
    const proxies = resourcesOf(s.template, 'AWS::RDS::DBProxy');
    expect(proxies).toHaveLength(topology.databases.length);
    for (const [id, proxy] of proxies) {
      expect(proxy.Properties!.Auth, id).toEqual([
        expect.objectContaining({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' }),
        expect.objectContaining({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' }),
      ]);
      expect(proxy.Properties!.RequireTLS, id).toBe(true);
    }
  });

  it("lets each function connect to exactly its own databases' proxies as exactly its user (rds-db:connect)", () => {
    const proxyOf = new Map(
      topology.databases.map((d) => [logicalId(s.stack, s.stack.databases.get(d.name)!.proxy), d.name]),
    );
    const connects = (planId: string): string[] =>
      policyOf(planId)
        .filter((st) => [st.Action].flat().includes('rds-db:connect'))
        .flatMap((st) => [st.Resource].flat())
        .map((resource) => {
          const parts = resource['Fn::Join'][1] as unknown[];
          // …:dbuser:<the proxy's resource id, from its ARN>/<user>
          const proxyArn = JSON.stringify(parts.at(-2)).match(/"Fn::GetAtt":\["(\w+)","DBProxyArn"\]/);
          expect(proxyArn, `${planId}: ${JSON.stringify(resource)}`).not.toBeNull();
          expect(parts.at(-3), planId).toBe(':dbuser:');
          return `${proxyOf.get(proxyArn?.[1] ?? '')}${parts.at(-1)}`;
        })
        .sort();
    let checked = 0;
    for (const plan of planFunctions(topology)) {
      const user = plan.needs.readOnly ? READ_ONLY_USERNAME : OWNER_USERNAME;
      expect(connects(plan.id), plan.id).toEqual(plan.databases.map((name) => `${name}/${user}`).sort());
      checked += plan.databases.length;
    }
    expect(checked).toBeGreaterThan(topology.databases.length * 3);
    // A service's functions cannot log in to another service's database.
    expect(connects('HttpCustomers')).toEqual(['customers/donut']);
    expect(connects('HttpSales')).toEqual(['inventory/donut']);
    expect(connects('ConsumeAdNotifications')).toEqual(['notifications/donut']);
  });

  it('migrates every database on deploy through a custom resource listing its migrations', () => {
    for (const declaration of topology.databases) {
      s.template.hasResourceProperties('Custom::DatabaseSchema', {
        ServiceToken: arnOf(functionOf(`Migrate${declaration.name[0]!.toUpperCase()}${declaration.name.slice(1)}`)),
        database: declaration.name,
        migrations: Object.keys(databaseMigrations[declaration.name]),
      });
    }
  });

  it('relays each outbox after commit and sweeps it every minute', () => {
    for (const database of outboxDatabases(topology)) {
      const relay = planFunctions(topology).find((p) => p.kind === 'relay' && p.database === database)!;
      s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        Target: Match.objectLike({ Arn: arnOf(functionOf(relay.id)) }),
      });
    }
    // The functions that commit events carry the topic, so they publish right after commit.
    for (const plan of planFunctions(topology).filter((p) => p.publishes)) {
      expect(actionsOf(plan.id), plan.id).toContain('sns:Publish');
    }
  });

  it('runs each scheduled job from its own EventBridge Scheduler schedule, the expiry of Idempotency-Keys included, with IDEMPOTENCY_TTL_S set', () => {
    const jobs = planFunctions(topology).filter((p) => p.kind === 'job');
    expect(jobs.map((p) => p.schedule!.name)).toContain('idempotency-key-expiry');
    for (const job of jobs) {
      const minutes = Math.max(1, Math.ceil(job.schedule!.everyS / 60));
      s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({
          Arn: arnOf(functionOf(job.id)),
          Input: JSON.stringify({ schedule: job.schedule!.name }),
        }),
      });
      const env = s.template.toJSON().Resources[functionOf(job.id)].Properties.Environment.Variables;
      expect(env[ENV.schedule], job.id).toBe(job.schedule!.name);
    }
    const expiry = jobs.find((p) => p.schedule!.name === 'idempotency-key-expiry')!;
    expect(expiry.service).toBe('sales');
    expect(expiry.databases).toEqual(['inventory']);
    for (const id of [expiry.id, 'HttpSales']) {
      const env = s.template.toJSON().Resources[functionOf(id)].Properties.Environment.Variables;
      expect(env[ENV.idempotencyTtlS], id).toBe('86400');
    }
  });

  it('grants no IAM statement a wildcard action', () => {
    const all = statements();
    expect(all.length).toBeGreaterThan(50);
    for (const { where, statement } of all) {
      if (statement.Effect !== 'Allow') continue;
      const actions: string[] = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      for (const action of actions) expect(action, `${where}: ${action}`).not.toContain('*');
    }
    s.template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    for (const [id, role] of resourcesOf(s.template, 'AWS::IAM::Role')) {
      expect(role.Properties!.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('derives each grant from who publishes and consumes what', () => {
    const plans = planFunctions(topology);
    for (const plan of plans) {
      const actions = actionsOf(plan.id);
      expect(actions.includes('sns:Publish'), `${plan.id} publishes`).toBe(plan.publishes);
      expect(actions.includes('ses:SendEmail'), `${plan.id} sends mail`).toBe(Boolean(plan.needs.sendsMail));
      // Database secrets: none but the reader's login, which the migration makes the role with.
      const secretResources = policyOf(plan.id)
        .filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))
        .map((st) => JSON.stringify(st.Resource));
      for (const name of topology.databases.map((d) => d.name)) {
        const database = s.stack.databases.get(name)!;
        const secret = JSON.stringify(s.stack.resolve(database.secret.secretArn));
        const reader = JSON.stringify(s.stack.resolve(database.readerSecret.secretArn));
        expect(secretResources.includes(secret), `${plan.id} reads the ${name} owner secret`).toBe(false);
        expect(secretResources.includes(reader), `${plan.id} reads the ${name} reader secret`).toBe(
          plan.kind === 'migrate' && plan.database === name,
        );
      }
    }
    // Only the producer of a directly-fed queue (and the DLQ redrive) may send to it.
    for (const declaration of topology.queues.filter((q) => q.producer)) {
      const queueArn = JSON.stringify(arnOf(logicalId(s.stack, s.stack.queues.get(declaration.name)!.queue)));
      for (const plan of plans) {
        const sends = policyOf(plan.id).some(
          (st) => [st.Action].flat().includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(queueArn),
        );
        const allowed = plan.service === declaration.producer || plan.needs.queues === 'dead-letters';
        expect(sends, `${plan.id} sends to ${declaration.name}`).toBe(allowed);
      }
    }
  });

  it('alarms on every DLQ depth and on every consumer error', () => {
    const alarms = resourcesOf(s.template, 'AWS::CloudWatch::Alarm');
    const alarmTopic = ref(logicalId(s.stack, s.stack.alarmTopic));
    for (const declaration of topology.queues) {
      const dlqName = {
        'Fn::GetAtt': [logicalId(s.stack, s.stack.queues.get(declaration.name)!.deadLetter), 'QueueName'],
      };
      const matching = alarms.filter(
        ([, a]) =>
          a.Properties!.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Properties!.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: dlqName }]),
      );
      expect(matching, declaration.name).toHaveLength(1);
      expect(matching[0]![1].Properties).toMatchObject({ Threshold: 1, AlarmActions: [alarmTopic] });
    }
    for (const plan of planFunctions(topology).filter((p) => p.kind === 'consumer')) {
      const errors = alarms.filter(
        ([, a]) =>
          a.Properties!.MetricName === 'Errors' &&
          JSON.stringify(a.Properties!.Dimensions) ===
            JSON.stringify([{ Name: 'FunctionName', Value: ref(functionOf(plan.id)) }]),
      );
      expect(errors, plan.id).toHaveLength(1);
    }
  });

  it('runs every function on Node 24 with tracing, its own log group and Powertools settings', () => {
    const functions = resourcesOf(s.template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(planFunctions(topology).length);
    for (const [id, fn] of functions) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
        VpcConfig: expect.anything(),
      });
      expect(Object.keys(fn.Properties!.Environment.Variables), id).toEqual(
        expect.arrayContaining(['POWERTOOLS_SERVICE_NAME', ENV.factoryUrl, ENV.publicUrl]),
      );
    }
  });

  it('keeps the callback HMAC key and the admin token in Secrets Manager, and verifies MAIL_FROM in SES', () => {
    s.template.resourceCountIs('AWS::SecretsManager::Secret', topology.databases.length * 2 + 2);
    s.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'shelves@donut-states.example' });
    const warehouse = planFunctions(topology).filter((p) => p.needs.callbackSecret);
    expect(warehouse.length).toBeGreaterThan(0);
    for (const plan of warehouse) {
      const env = s.template.toJSON().Resources[functionOf(plan.id)].Properties.Environment.Variables;
      expect(env[ENV.callbackSecretArn]).toBeDefined();
    }
  });

  it('redrives no queue before five receives and hides a batch for six times its consumer timeout', () => {
    const queues = resourcesOf(s.template, 'AWS::SQS::Queue').filter(([, q]) => q.Properties!.RedrivePolicy);
    expect(queues).toHaveLength(topology.queues.length);
    for (const [id, queue] of queues) {
      expect(queue.Properties!.RedrivePolicy.maxReceiveCount, id).toBeGreaterThanOrEqual(5);
      expect(queue.Properties!.VisibilityTimeout, id).toBeGreaterThanOrEqual(
        CONSUMER_VISIBILITY_FACTOR * SIZING.consumer.timeout.toSeconds(),
      );
    }
    expect(CONSUMER_VISIBILITY_FACTOR).toBeGreaterThanOrEqual(6);
    // Each consumer's own timeout is the one the visibility is derived from.
    for (const plan of planFunctions(topology).filter((p) => p.kind === 'consumer')) {
      const fn = s.template.toJSON().Resources[functionOf(plan.id)];
      expect(fn.Properties.Timeout, plan.id).toBe(SIZING.consumer.timeout.toSeconds());
    }
  });

  it('starts no consumer or schedule before the schema of every database it uses', () => {
    const resources = s.template.toJSON().Resources as Record<string, { Type: string; DependsOn?: string[] }>;
    const schemaOf = new Map(
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'Custom::DatabaseSchema')
        .map(([id, r]) => [(r as any).Properties.database as string, id]),
    );
    expect(schemaOf.size).toBe(topology.databases.length);
    let checked = 0;
    for (const plan of planFunctions(topology).filter((p) => ['consumer', 'job', 'relay'].includes(p.kind))) {
      const fn = ref(functionOf(plan.id));
      const triggers = Object.entries(resources).filter(
        ([, r]: [string, any]) =>
          (r.Type === 'AWS::Lambda::EventSourceMapping' &&
            JSON.stringify(r.Properties.FunctionName) === JSON.stringify(fn)) ||
          (r.Type === 'AWS::Scheduler::Schedule' &&
            JSON.stringify(r.Properties.Target.Arn) === JSON.stringify(arnOf(functionOf(plan.id)))),
      );
      expect(triggers, plan.id).toHaveLength(1);
      for (const database of plan.databases) {
        expect(triggers[0]![1].DependsOn ?? [], `${plan.id} waits for ${database}`).toContain(schemaOf.get(database));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(topology.queues.length);
  });

  it('serves no route before the schema of every database its function reads, the read-only role included', () => {
    const resources = s.template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: any; DependsOn?: string[] }
    >;
    const schemaOf = new Map(
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'Custom::DatabaseSchema')
        .map(([id, r]) => [r.Properties.database as string, id]),
    );
    const routes = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route');
    let checked = 0;
    for (const plan of planFunctions(topology).filter((p) => p.kind === 'http')) {
      const integrations = Object.entries(resources)
        .filter(
          ([, r]) =>
            r.Type === 'AWS::ApiGatewayV2::Integration' &&
            JSON.stringify(r.Properties.IntegrationUri) === JSON.stringify(arnOf(functionOf(plan.id))),
        )
        .map(([id]) => id);
      expect(integrations, plan.id).toHaveLength(1);
      const served = routes.filter(([, r]) => JSON.stringify(r.Properties.Target).includes(`"${integrations[0]}"`));
      expect(served.length, plan.id).toBe(plan.routes.length + (plan.fallback ? 1 : 0));
      expect(plan.databases.length, plan.id).toBeGreaterThan(0);
      for (const database of plan.databases) {
        // The integration and every route: nothing reaches the function before its database is ready.
        for (const [id, resource] of [...served, [integrations[0]!, resources[integrations[0]!]!] as const]) {
          expect(resource.DependsOn ?? [], `${plan.id}: ${id} waits for ${database}`).toContain(schemaOf.get(database));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(topology.routes.length);
    // The dashboard and ops log in as the read-only role, which each schema resource makes.
    for (const id of ['HttpDashboard', 'HttpOps']) {
      expect(planFunctions(topology).find((p) => p.id === id)!.databases).toEqual(
        topology.databases.map((d) => d.name),
      );
    }
  });

  it("prices in docs/aws.md what the stack configures: batch sizes, X-Ray's default sampling, the NAT's public IPv4", () => {
    const cost = readFileSync(path.join(PROJECT_ROOT, 'docs/aws.md'), 'utf8').split('## Cost on paper')[1]!;
    const batchSizes = [...new Set(topology.queues.map((q) => q.batchSize))];
    expect(batchSizes).toHaveLength(1);
    expect(cost).toContain(`batch size is ${batchSizes[0]} `);
    // Above ten, Lambda would need a batching window, which the cost assumes there is none of.
    expect(batchSizes[0]).toBeLessThanOrEqual(10);
    for (const [, mapping] of resourcesOf(s.template, 'AWS::Lambda::EventSourceMapping')) {
      expect(mapping.Properties!.MaximumBatchingWindowInSeconds).toBeUndefined();
    }
    // Every function traced, by the default sampling rule: the stack defines no other.
    s.template.resourceCountIs('AWS::XRay::SamplingRule', 0);
    s.template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    expect(cost).toContain('default sampling rule');
    s.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(cost).toContain("| NAT gateway's public IPv4 address | $0.005/h × 730 h | $3.65 |");
    const schedules = resourcesOf(s.template, 'AWS::Scheduler::Schedule').length;
    expect(cost).toContain(`| X-Ray, scheduled runs | ${schedules} schedules × 43,800 runs`);
    expect(cost).toContain(`| EventBridge Scheduler | ${schedules} schedules × 43,800 runs`);
  });

  it('runs scheduled targets without Scheduler retries, each with a role that invokes its own function only', () => {
    const schedules = resourcesOf(s.template, 'AWS::Scheduler::Schedule');
    const scheduled = planFunctions(topology).filter((p) => p.kind === 'job' || p.kind === 'relay');
    expect(schedules).toHaveLength(scheduled.length);
    s.template.resourceCountIs('AWS::Events::Rule', 0);
    const resources = s.template.toJSON().Resources as Record<string, any>;
    for (const [id, schedule] of schedules) {
      const target = schedule.Properties!.Target;
      expect(target.RetryPolicy, id).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
      const roleId = target.RoleArn['Fn::GetAtt'][0] as string;
      expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' } }),
      ]);
      const invokes = resourcesOf(s.template, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties!.Roles) === JSON.stringify([ref(roleId)]))
        .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement);
      expect(invokes, id).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          Effect: 'Allow',
          Resource: [target.Arn, { 'Fn::Join': ['', [target.Arn, ':*']] }],
        },
      ]);
    }
  });

  it('runs a job declared every few seconds once a minute (docs/aws.md says what that means for each)', () => {
    expect(scheduleRate(10).toMinutes()).toBe(1);
    expect(scheduleRate(2).toMinutes()).toBe(1);
    expect(scheduleRate(60).toMinutes()).toBe(1);
    expect(scheduleRate(61).toMinutes()).toBe(2);
    const subMinute = topology.schedules.filter((sch) => sch.everyS < 60);
    expect(subMinute.map((sch) => sch.name)).toContain('replenishment-timeouts');
    const docs = readFileSync(path.join(PROJECT_ROOT, 'docs/aws.md'), 'utf8');
    for (const declaration of subMinute) {
      const job = planFunctions(topology).find((p) => p.schedule?.name === declaration.name)!;
      s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        Target: Match.objectLike({ Arn: arnOf(functionOf(job.id)) }),
      });
      expect(docs, `docs/aws.md explains ${declaration.name} on AWS`).toContain(
        `\`${declaration.name}\` job, declared every ${declaration.everyS} s`,
      );
    }
  });

  it("throttles the HTTP API stage, so public traffic cannot take every consumer's concurrency", () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: {
        ThrottlingRateLimit: API_THROTTLE.rateLimit,
        ThrottlingBurstLimit: API_THROTTLE.burstLimit,
      },
    });
  });

  it("alarms when a database's proxy waits for connections", () => {
    for (const declaration of topology.databases) {
      const proxy = s.stack.databases.get(declaration.name)!.proxy;
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/RDS',
        MetricName: 'DatabaseConnectionsBorrowLatency',
        Dimensions: [{ Name: 'ProxyName', Value: ref(logicalId(s.stack, proxy)) }],
        Statistic: 'Average',
        Period: 300,
        Threshold: PROXY_BORROW_LATENCY_ALARM_US,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [ref(logicalId(s.stack, s.stack.alarmTopic))],
      });
    }
  });

  it('explains every kind of alarm in docs/aws.md, and every alarm notifies the alarm topic', () => {
    const kinds = [
      'SubscriptionDlqDepth',
      'DlqDepth',
      'OldestMessage',
      'Errors',
      'Throttles',
      'Api5xx',
      'ProxyBorrowLatency',
    ];
    const docs = readFileSync(path.join(PROJECT_ROOT, 'docs/aws.md'), 'utf8');
    const table = docs.slice(docs.indexOf('## Alarms'), docs.indexOf('\n## ', docs.indexOf('## Alarms') + 1));
    for (const kind of kinds) expect(table, kind).toMatch(new RegExp(`^\\| \`[^\`]*${kind}\``, 'm'));
    const alarms = s.stack.node.children.filter((c) => c instanceof cloudwatch.Alarm);
    expect(alarms.length).toBe(resourcesOf(s.template, 'AWS::CloudWatch::Alarm').length);
    for (const alarm of alarms) {
      expect(
        kinds.some((kind) => alarm.node.id.endsWith(kind)),
        alarm.node.id,
      ).toBe(true);
    }
    s.template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [ref(logicalId(s.stack, s.stack.alarmTopic))],
    });
  });

  it('reserves concurrency for the sales function alone: public traffic is capped, the consumers keep the rest', () => {
    const reserved = Object.fromEntries(
      resourcesOf(s.template, 'AWS::Lambda::Function')
        .filter(([, fn]) => fn.Properties!.ReservedConcurrentExecutions !== undefined)
        .map(([id, fn]) => [id, fn.Properties!.ReservedConcurrentExecutions]),
    );
    expect(reserved).toEqual({ [functionOf('HttpSales')]: DEFAULT_SALES_RESERVED_CONCURRENCY });
    // The stage's steady rate fits in the reservation at a quarter of a second per request.
    expect(API_THROTTLE.rateLimit * 0.25).toBeLessThanOrEqual(DEFAULT_SALES_RESERVED_CONCURRENCY);
  });

  it("alarms on each queue's oldest message, on every throttled function and on API 5xx", () => {
    const alarms = resourcesOf(s.template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    for (const declaration of topology.queues) {
      const queueName = {
        'Fn::GetAtt': [logicalId(s.stack, s.stack.queues.get(declaration.name)!.queue), 'QueueName'],
      };
      const age = alarms.filter(
        (a) =>
          a.MetricName === 'ApproximateAgeOfOldestMessage' &&
          JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: queueName }]),
      );
      expect(age, declaration.name).toHaveLength(1);
      const queue = s.template.toJSON().Resources[logicalId(s.stack, s.stack.queues.get(declaration.name)!.queue)];
      expect(age[0]!.Threshold).toBe(
        queue.Properties.VisibilityTimeout * queue.Properties.RedrivePolicy.maxReceiveCount,
      );
    }
    for (const plan of planFunctions(topology).filter((p) => p.kind !== 'migrate')) {
      const throttles = alarms.filter(
        (a) =>
          a.MetricName === 'Throttles' &&
          JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: ref(functionOf(plan.id)) }]),
      );
      expect(throttles, plan.id).toHaveLength(1);
    }
    expect(alarms.filter((a) => a.MetricName === '5xx' && a.Namespace === 'AWS/ApiGateway')).toHaveLength(1);
  });
});
