import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createHttpHandler, type HttpHandler } from '../../src/app/lambda/adapters.ts';
import { type AwsClients, LambdaRuntime } from '../../src/app/lambda/runtime.ts';
import { type FunctionPlan, planFunctions } from '../../src/platform/aws/plan.ts';
import { createSesClient } from '../../src/platform/local/mail-sink.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { topology } from '../../src/topology.ts';
import { ADMIN_TOKEN, type TestSystem } from './system.ts';

/** A recorded API Gateway HTTP API (payload 2.0) event: each request below is this with its own fields. */
const HTTP_EVENT = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '../aws/events/http-api-v2.json'), 'utf8'),
) as APIGatewayProxyEventV2;

export const lambdaContext = {
  functionName: 'DonutStates-Http',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

export const plans = planFunctions(topology);

/**
 * The runtime of one planned function, wired as the stack wires it — only its planned databases, queues,
 * secrets and topic — but on the embedded system's databases and emulators instead of RDS, SQS and SES.
 * `clients` replaces some of the AWS clients (e.g. an SNS client pointed at a silent endpoint).
 */
export function lambdaRuntimeFor(
  system: TestSystem,
  plan: FunctionPlan,
  options: { clients?: Partial<AwsClients>; publishWaitMs?: number } = {},
): LambdaRuntime {
  const secrets = JSON.parse(readFileSync(path.join(system.dataDir, 'secrets.json'), 'utf8')) as {
    callbackSecret: string;
  };
  const all = {
    inventory: system.inventory.db,
    customers: system.customers.db,
    notifications: system.notifications.db,
  } as Record<string, any>;
  const queueNames = new Set([...plan.sendsTo, ...(plan.needs.queues ? topology.queues.map((q) => q.name) : [])]);
  return new LambdaRuntime({
    topology,
    logger: createLogger('silent'),
    settings: {
      factoryUrl: system.factoryUrl,
      factoryTimeoutMs: 3000,
      publicUrl: system.url,
      adManagerEmail: 'ad-manager@donut-states.example',
      mailFrom: 'shelves@donut-states.example',
      vipThreshold: 100,
      replenishmentTimeoutS: 300,
      idempotencyTtlS: 86_400,
      marketingWebhookUrl: undefined,
    },
    callbackSecret: plan.needs.callbackSecret ? secrets.callbackSecret : undefined,
    adminToken: plan.adminToken ? ADMIN_TOKEN : undefined,
    databases: new Map(plan.databases.map((name) => [name, all[name]])),
    clients: {
      sqs: system.clients.sqs,
      sns: system.clients.sns,
      ses: createSesClient(system.mail.endpoint),
      ...options.clients,
    },
    topicArn: plan.publishes ? system.messaging.topicArn : undefined,
    queues: [...system.messaging.queues.values()]
      .filter((q) => queueNames.has(q.declaration.name))
      .map((q) => ({
        name: q.declaration.name,
        url: q.url,
        deadLetter: { name: q.deadLetter.name, url: q.deadLetter.url },
      })),
    ...(options.publishWaitMs !== undefined ? { publishWaitMs: options.publishWaitMs } : {}),
  });
}

/** API Gateway's routing: the declared route's function, else the `$default` fallback. */
export function routeOf(
  method: string,
  pathname: string,
): { plan: FunctionPlan; routeKey: string; params: Record<string, string> } {
  for (const plan of plans.filter((p) => p.kind === 'http')) {
    for (const r of plan.routes) {
      const names: string[] = [];
      const pattern = new RegExp(
        `^${r.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
          names.push(name);
          return '([^/]+)';
        })}$`,
      );
      const match = pattern.exec(pathname);
      if (r.method === method && match) {
        const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
        return { plan, routeKey: `${method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`, params };
      }
    }
  }
  return { plan: plans.find((p) => p.fallback)!, routeKey: '$default', params: {} };
}

/** The event API Gateway would hand the routed function for this request. */
export function httpApiEvent(
  method: string,
  target: string,
  headers: Record<string, string>,
  body: string | undefined,
): { plan: FunctionPlan; event: APIGatewayProxyEventV2 } {
  const url = new URL(target, 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com');
  const { plan, routeKey, params } = routeOf(method, url.pathname);
  const allHeaders: Record<string, string> = { ...(HTTP_EVENT.headers as Record<string, string>) };
  for (const [name, value] of Object.entries(headers)) allHeaders[name.toLowerCase()] = value;
  allHeaders['content-length'] = String(Buffer.byteLength(body ?? ''));
  const event = {
    ...HTTP_EVENT,
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: allHeaders,
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    pathParameters: Object.keys(params).length > 0 ? params : undefined,
    requestContext: {
      ...HTTP_EVENT.requestContext,
      routeKey,
      http: { ...HTTP_EVENT.requestContext.http, method, path: url.pathname },
    },
    body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
  return { plan, event };
}

export interface LambdaHttpApi {
  /** Base URL of the local stand-in for the HTTP API. */
  readonly url: string;
  /** The function's handler for a plan, built on first use from `lambdaRuntimeFor`. */
  handler(plan: FunctionPlan): HttpHandler;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

/**
 * A local stand-in for API Gateway's HTTP API in front of the Lambda functions: each request becomes the
 * event API Gateway would send, the routed function's handler answers it, and the complete answer goes
 * back, as API Gateway buffers a Lambda's response before the client sees any of it.
 */
export async function serveLambdaHttpApi(system: TestSystem): Promise<LambdaHttpApi> {
  const handlers = new Map<string, HttpHandler>();
  const handler = (plan: FunctionPlan): HttpHandler => {
    let built = handlers.get(plan.id);
    if (!built) {
      built = createHttpHandler(lambdaRuntimeFor(system, plan), plan.service!);
      handlers.set(plan.id, built);
    }
    return built;
  };
  const server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      const headers = Object.fromEntries(
        Object.entries(request.headers).flatMap(([name, value]) =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
        ),
      );
      const { plan, event } = httpApiEvent(request.method ?? 'GET', request.url ?? '/', headers, body || undefined);
      const result = await handler(plan)(event, lambdaContext);
      const payload = result.isBase64Encoded
        ? Buffer.from(result.body ?? '', 'base64')
        : Buffer.from(result.body ?? '', 'utf8');
      response.writeHead(result.statusCode ?? 200, {
        ...(result.headers as Record<string, string>),
        ...(result.cookies?.length ? { 'set-cookie': result.cookies } : {}),
      });
      response.end(payload);
    } catch (error) {
      // API Gateway's own answer to a failed invocation.
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Internal Server Error', detail: String(error) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
