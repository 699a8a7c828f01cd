import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/platform/aws/app.ts';
import type { FunctionPlan } from '../../src/platform/aws/plan.ts';
import type { DonutStatesStack } from '../../src/platform/aws/stack.ts';

/**
 * The real app synthesized with bundling on: every function's bundle, as `cdk deploy` would upload it,
 * is loaded by plain Node (nothing from node_modules) with the environment the template gives that
 * function, and invoked with an AWS-shaped event. AWS APIs answer from a small local stand-in (Secrets
 * Manager's GetSecretValue and CloudFormation's response URL); the databases are not there, so a
 * handler that needs one shows it got that far by failing to connect.
 */
const run = promisify(execFile);
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const SECRET = JSON.stringify({ username: 'donut', password: 'not-a-real-password' });

let outdir: string;
let stack: DonutStatesStack;
let resources: Record<string, { Type: string; Properties?: Record<string, any> }>;
let aws: Server;
let endpoint: string;
/** What the migration functions PUT to CloudFormation's response URL. */
const cfnResponses: Record<string, unknown>[] = [];

beforeAll(async () => {
  aws = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'PUT' && req.url?.startsWith('/cloudformation-response')) {
        cfnResponses.push(JSON.parse(body));
        res.writeHead(200).end();
      } else if (req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue') {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: SECRET, VersionId: 'v1' }));
      } else {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: 'not in this stand-in' }));
      }
    });
  });
  await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(aws.address() as AddressInfo).port}`;

  outdir = mkdtempSync(path.join(tmpdir(), 'donut-bundles-'));
  const built = buildApp({ context: { allowPlaceholders: 'true' }, outdir });
  built.app.synth();
  stack = built.stack;
  resources = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.template.json`), 'utf8')).Resources;
}, 300_000);

afterAll(async () => {
  await new Promise((resolve) => aws?.close(resolve));
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** A template value with its intrinsic functions resolved to what they would be in one account. */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v.Ref) {
    const pseudo: Record<string, string> = {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::Partition': 'aws',
    };
    const known = pseudo[v.Ref];
    if (known) return known;
    const type = resources[v.Ref]?.Type ?? '';
    if (type.startsWith('AWS::SecretsManager::')) return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${v.Ref}`;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${v.Ref}`;
    return v.Ref;
  }
  if (v['Fn::GetAtt']) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    if (attribute === 'Endpoint') return '127.0.0.1';
    if (attribute === 'ApiEndpoint') return `https://${id.toLowerCase()}.execute-api.${REGION}.amazonaws.com`;
    if (attribute === 'QueueUrl') return `${endpoint}/${ACCOUNT}/${id}`;
    if (attribute === 'Arn') return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
    return id;
  }
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

interface Invocation {
  readonly result?: unknown;
  readonly error?: string;
}

/** Loads one function's bundle in a fresh Node and invokes its handler with each event in turn. */
async function invoke(plan: FunctionPlan, events: unknown[]): Promise<Invocation[]> {
  const fn = resources[stack.getLogicalId(stack.functions.get(plan.id)!.fn.node.defaultChild as never)]!;
  const bundle = path.join(outdir, `asset.${String(fn.Properties!.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
  const variables = Object.fromEntries(
    Object.entries(fn.Properties!.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, resolve(v)]),
  );
  const probe = path.join(outdir, `probe-${plan.id}.mjs`);
  writeFileSync(
    probe,
    `const { handler } = await import(${JSON.stringify(bundle)});
    const out = [];
    for (const event of JSON.parse(process.env.PROBE_EVENTS)) {
      const context = { awsRequestId: 'probe', functionName: ${JSON.stringify(plan.id)}, getRemainingTimeInMillis: () => 1000 };
      try {
        out.push({ result: (await handler(event, context)) ?? null });
      } catch (error) {
        out.push({ error: String(error?.message ?? error) });
      }
    }
    console.log('PROBE ' + JSON.stringify(out));
    process.exit(0);`,
  );
  const { stdout } = await run(process.execPath, [probe], {
    cwd: tmpdir(),
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      ...variables,
      PROBE_EVENTS: JSON.stringify(events),
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIDPROBE',
      AWS_SECRET_ACCESS_KEY: 'probe',
      AWS_ENDPOINT_URL: endpoint,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  });
  const line = stdout.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`${plan.id} printed no result:\n${stdout}`);
  return JSON.parse(line.slice('PROBE '.length));
}

const template = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, 'events', name), 'utf8')) as Record<string, any>;

/** An API Gateway HTTP API (payload 2.0) request. */
function httpEvent(method: string, rawPath: string, options: { body?: string; headers?: Record<string, string> } = {}) {
  const event = template('http-api-v2.json');
  const headers = { ...event.headers, ...options.headers };
  return {
    ...event,
    routeKey: '$default',
    rawPath,
    headers,
    body: options.body,
    pathParameters: undefined,
    requestContext: {
      ...event.requestContext,
      routeKey: '$default',
      http: { ...event.requestContext.http, method, path: rawPath },
    },
  };
}

function cfnEvent(type: 'Create' | 'Delete', database: string) {
  return {
    RequestType: type,
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:probe`,
    ResponseURL: `${endpoint}/cloudformation-response/${database}/${type}`,
    StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/DonutStates/probe`,
    RequestId: `${database}-${type}`,
    LogicalResourceId: 'Schema',
    ResourceType: 'Custom::DatabaseSchema',
    ResourceProperties: { ServiceToken: 'probe', database },
    ...(type === 'Delete' ? { PhysicalResourceId: `schema-${database}` } : {}),
  };
}

/** The database is not there: pg could not connect (refused, or no TLS where something else listens). */
const UNREACHABLE_DATABASE = /ECONNREFUSED|SSL|connect|Connection terminated/i;

const plansOf = (kind: FunctionPlan['kind']) =>
  [...stack.functions.values()].map((f) => f.plan).filter((p) => p.kind === kind);

describe('every Lambda bundle, loaded and invoked as deployed', () => {
  it('bundles each entry once with local esbuild into an ES module, the dashboard with its assets beside it', () => {
    const entries = new Set<string>();
    for (const { plan, fn } of stack.functions.values()) {
      const key = resources[stack.getLogicalId(fn.node.defaultChild as never)]!.Properties!.Code.S3Key as string;
      const dir = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      expect(existsSync(path.join(dir, 'index.mjs')), plan.id).toBe(true);
      entries.add(dir);
      const assets = path.join(dir, 'assets');
      if (plan.service === 'dashboard') {
        expect(readdirSync(assets)).toEqual(expect.arrayContaining(['index.html', 'app.js', 'style.css']));
      } else {
        expect(existsSync(assets), plan.id).toBe(false);
      }
    }
    // HTTP with assets, HTTP, consumer, job, relay, migration: one bundle each, shared by the functions of a kind.
    expect(entries.size).toBe(6);
  });

  it('serves the dashboard page and its assets from the HTTP bundle', async () => {
    const [page, script] = await invoke(plansOf('http').find((p) => p.service === 'dashboard')!, [
      httpEvent('GET', '/'),
      httpEvent('GET', '/dashboard/assets/app.js'),
    ]);
    expect(page!.result).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': expect.stringContaining('text/html') },
    });
    expect((page!.result as { body: string }).body).toContain('/dashboard/assets/');
    expect(script!.result).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': expect.stringContaining('javascript') },
    });
  });

  it('answers every other HTTP function with the contract: bad input 4xx, health 503 naming what is down', async () => {
    const requests: Record<string, { event: unknown; status: number; code?: string }> = {
      sales: {
        event: httpEvent('POST', '/checkout', { body: '{}', headers: { 'content-type': 'application/json' } }),
        status: 400,
        code: 'invalid_request',
      },
      warehouse: {
        event: httpEvent('POST', '/factory/callbacks/r-1', {
          body: '{}',
          headers: { 'content-type': 'application/json' },
        }),
        status: 401,
      },
      customers: { event: httpEvent('GET', '/customers/c-1'), status: 500 },
      notifications: {
        event: httpEvent('GET', '/ops/notifications', { headers: { authorization: `Bearer ${SECRET}` } }),
        status: 500,
      },
      ops: { event: httpEvent('GET', '/health'), status: 503 },
    };
    const plans = plansOf('http').filter((p) => p.service !== 'dashboard');
    expect(plans.map((p) => p.service).sort()).toEqual(Object.keys(requests).sort());
    await Promise.all(
      plans.map(async (plan) => {
        const expected = requests[plan.service!]!;
        const [answer] = await invoke(plan, [expected.event]);
        const result = answer!.result as { statusCode: number; body: string };
        expect(result?.statusCode, `${plan.id}: ${JSON.stringify(answer)}`).toBe(expected.status);
        const body = JSON.parse(result.body);
        if (plan.service === 'ops') {
          expect(body.failing).toEqual(
            expect.arrayContaining(['inventoryDatabase', 'customersDatabase', 'notificationsDatabase']),
          );
        } else {
          expect(body.error, plan.id).toMatchObject(
            expected.code ? { code: expected.code } : { code: expect.any(String) },
          );
        }
      }),
    );
  });

  it('fails a poison SQS record alone in every consumer bundle (partial batch response)', async () => {
    const plans = plansOf('consumer');
    expect(plans.length).toBeGreaterThan(0);
    await Promise.all(
      plans.map(async (plan) => {
        const event = template('sqs-raw-sns.json');
        event.Records[0].body = 'not json';
        const [answer] = await invoke(plan, [event]);
        expect(answer, plan.id).toEqual({
          result: { batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }] },
        });
      }),
    );
  });

  it('runs every job and outbox sweep bundle up to its database', async () => {
    const plans = [...plansOf('job'), ...plansOf('relay')];
    await Promise.all(
      plans.map(async (plan) => {
        const [answer] = await invoke(plan, [
          plan.schedule ? { schedule: plan.schedule.name } : { outbox: plan.database },
        ]);
        expect(answer?.error, `${plan.id}: ${JSON.stringify(answer)}`).toMatch(UNREACHABLE_DATABASE);
      }),
    );
  });

  it('answers CloudFormation from every migration bundle: Delete succeeds without a database, Create fails with the reason', async () => {
    const plans = plansOf('migrate');
    await Promise.all(
      plans.map(async (plan) => {
        const answers = await invoke(plan, [cfnEvent('Delete', plan.database!), cfnEvent('Create', plan.database!)]);
        expect(answers, plan.id).toEqual([{ result: null }, { result: null }]);
      }),
    );
    for (const plan of plans) {
      const mine = cfnResponses.filter((r) => String(r.RequestId).startsWith(`${plan.database}-`));
      expect(mine, plan.id).toEqual([
        expect.objectContaining({
          RequestId: `${plan.database}-Delete`,
          Status: 'SUCCESS',
          PhysicalResourceId: `schema-${plan.database}`,
        }),
        expect.objectContaining({
          RequestId: `${plan.database}-Create`,
          Status: 'FAILED',
          Reason: expect.stringMatching(
            new RegExp(`^migrating ${plan.database}: .*(${UNREACHABLE_DATABASE.source})`, 'i'),
          ),
        }),
      ]);
    }
  });
});
