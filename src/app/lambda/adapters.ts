import type { Metrics } from '@aws-lambda-powertools/metrics';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { InvalidRequestError } from '../../contract/errors.ts';
import { MetricUnit } from '../../platform/aws/lambda/powertools.ts';
import { createGateway } from '../../platform/http/gateway.ts';
import type { Service } from '../../platform/service.ts';
import { createSqsBatchHandler } from '../../platform/sqs-batch.ts';
import type { ServiceName } from '../../topology.ts';
import { handlerOf } from '../handlers.ts';
import type { LambdaRuntime } from './runtime.ts';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
export type ConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * API Gateway (HTTP API, payload 2.0) → the same gateway the embedded system runs, limited to this
 * service's routes: body limit, JSON-only bodies, the admin token, then the service's Hono app, through
 * Hono's aws-lambda adapter. Outbox rows the request committed are published before it returns.
 */
export function createHttpHandler(runtime: LambdaRuntime, service: ServiceName, metrics?: Metrics): HttpHandler {
  const routes = runtime.topology.routes.filter((r) => r.service === service);
  const needsToken = routes.some((r) => r.auth === 'admin');
  if (needsToken && !runtime.adminToken) throw new Error(`${service} serves admin routes but has no admin token`);
  const gateway = createGateway({
    topology: { ...runtime.topology, routes },
    // Only this service is built: the gateway reads services only for the routes given.
    services: { [service]: runtime.service(service) } as Record<ServiceName, Service>,
    adminToken: runtime.adminToken ?? '',
    logger: runtime.logger,
  });
  const lambda = handle(gateway);
  return async (event, context) => {
    const refused = unreadableHeader(event);
    if (refused) return refused;
    try {
      const result = (await lambda(
        event as unknown as Parameters<typeof lambda>[0],
        context as unknown as Parameters<typeof lambda>[1],
      )) as APIGatewayProxyStructuredResultV2;
      metrics?.addMetric(`Http${String(result.statusCode ?? 200)[0]}xx`, MetricUnit.Count, 1);
      return result;
    } finally {
      await runtime.settle();
    }
  };
}

/**
 * An event header HTTP could not have carried (a lone surrogate, NUL, CR or LF) becomes the contract's
 * 400 here: the adapter would otherwise fail building the request (a plain-text 500 or 400).
 */
function unreadableHeader(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 | undefined {
  const values: [string, string][] = Object.entries(event.headers ?? {}).flatMap(([name, value]) =>
    value === undefined ? [] : [[name.toLowerCase(), value]],
  );
  for (const cookie of event.cookies ?? []) values.push(['cookie', cookie]);
  const bad = values.find(([, value]) => !value.isWellFormed() || /[\0\r\n]/.test(value));
  if (!bad) return undefined;
  const error = new InvalidRequestError(`the ${bad[0]} header is not valid text`, [
    { field: bad[0], message: 'must be well-formed text without NUL, CR or LF' },
  ]);
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(error.toJSON()),
    isBase64Encoded: false,
  };
}

/**
 * SQS → the queue's record handler with partial batch failures, exactly as the local pollers call it:
 * a record that throws is reported in `batchItemFailures` and retried alone, then dead-lettered.
 */
export function createConsumerHandler(runtime: LambdaRuntime, queueName: string, metrics?: Metrics): ConsumerHandler {
  const queue = runtime.topology.queues.find((q) => q.name === queueName);
  if (!queue) throw new Error(`no queue named ${queueName} in the topology`);
  const recordHandler = handlerOf((name) => runtime.service(name), queue);
  const batch = createSqsBatchHandler(recordHandler, runtime.logger.child({ queue: queueName }));
  return async (event, context) => {
    try {
      const result = await batch(event, context);
      const failed = result.batchItemFailures.length;
      metrics?.addDimension('queue', queueName);
      metrics?.addMetric('RecordsSucceeded', MetricUnit.Count, event.Records.length - failed);
      metrics?.addMetric('RecordsFailed', MetricUnit.Count, failed);
      return result;
    } finally {
      await runtime.settle();
    }
  };
}

/** EventBridge schedule → one sweep of a database's outbox: publishes whatever a commit left behind. */
export function createRelayHandler(runtime: LambdaRuntime, database: string, metrics?: Metrics) {
  const relay = runtime.relay(database);
  if (!relay) throw new Error(`no outbox relay for database ${database} (no topic, or no outbox there)`);
  return async (): Promise<{ published: number }> => {
    const published = await relay.drain();
    metrics?.addMetric('OutboxSwept', MetricUnit.Count, published);
    if (published > 0) runtime.logger.info({ database, published }, 'outbox sweep published leftovers');
    return { published };
  };
}

/** EventBridge schedule → a scheduled job from the topology (e.g. re-ordering timed-out replenishments). */
export function createJobHandler(runtime: LambdaRuntime, scheduleName: string) {
  const schedule = runtime.topology.schedules.find((s) => s.name === scheduleName);
  if (!schedule) throw new Error(`no schedule named ${scheduleName} in the topology`);
  const job = handlerOf((name) => runtime.service(name), schedule);
  return async (): Promise<{ result: unknown }> => {
    try {
      return { result: await job() };
    } finally {
      await runtime.settle();
    }
  };
}
