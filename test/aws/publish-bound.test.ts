import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler, createRelayHandler } from '../../src/app/lambda/adapters.ts';
import { PUBLISH_WAIT_MS } from '../../src/app/lambda/runtime.ts';
import { AWS_CLIENT_LIMITS, awsClientConfig } from '../../src/platform/aws/lambda/sdk-clients.ts';
import { SIZING } from '../../src/platform/aws/resources/sizing.ts';
import { httpApiEvent, lambdaContext, lambdaRuntimeFor, plans } from '../helpers/lambda.ts';
import { startTestSystem, type TestSystem, waitFor } from '../helpers/system.ts';

const TARGET = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

let system: TestSystem;
/** A topic endpoint that accepts connections and never says a word. */
let silent: Server;
let silentUrl: string;
const connections = new Set<Socket>();
let accepted = 0;

beforeAll(async () => {
  system = await startTestSystem();
  // The embedded relay would publish the rows itself; here only the Lambda runtime and its sweep do.
  await system.relays.inventory!.stop();
  silent = createServer((socket) => {
    accepted += 1;
    connections.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  for (const socket of connections) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await system?.destroy();
});

/** Whether the outbox row of this order's `order.placed` is marked published. */
async function orderEventPublished(orderId: string): Promise<boolean> {
  const row = await system.inventory.db
    .selectFrom('outbox')
    .select('published_at')
    .where('type', '=', 'order.placed')
    .where(sql<string>`payload->'data'->>'orderId'`, '=', orderId)
    .executeTakeFirstOrThrow();
  return row.published_at !== null;
}

describe('a committed checkout on Lambda when the topic stalls', () => {
  it('answers 201 within the publish bound, leaves the event unpublished, and the sweep publishes it', async () => {
    const sns = new SNSClient(awsClientConfig(AWS_CLIENT_LIMITS, { ...TARGET, endpoint: silentUrl }));
    const sales = plans.find((p) => p.kind === 'http' && p.service === 'sales')!;
    const handler = createHttpHandler(lambdaRuntimeFor(system, sales, { clients: { sns } }), 'sales');
    const customerId = `stalled-topic-${randomUUID()}`;
    const { event } = httpApiEvent(
      'POST',
      '/checkout',
      { 'content-type': 'application/json' },
      JSON.stringify({ sku: 'CP-502101', quantity: 1, customerId }),
    );
    // A first request builds the service, so the one measured below is only the checkout and its publish.
    const warm = await handler(httpApiEvent('GET', '/products/CP-502101', {}, undefined).event, lambdaContext);
    expect(warm.statusCode).toBe(200);
    const before = accepted;
    const started = performance.now();
    const result = await handler(event, lambdaContext);
    const elapsed = performance.now() - started;

    expect(result.statusCode, result.body).toBe(201);
    // Far below what the SDK's own limits would take (two attempts of four seconds): a busy machine adds its share.
    expect(elapsed).toBeLessThan(PUBLISH_WAIT_MS + 2000);
    expect(elapsed).toBeGreaterThanOrEqual(PUBLISH_WAIT_MS - 50);
    // It did wait on the topic: the publish reached the silent endpoint.
    expect(accepted).toBeGreaterThan(before);
    const orderId = JSON.parse(result.body!).order.id as string;
    expect(await orderEventPublished(orderId)).toBe(false);
    sns.destroy();

    // The scheduled sweep, on a topic that answers, publishes it; the customer is counted from it.
    const relay = plans.find((p) => p.kind === 'relay' && p.database === 'inventory')!;
    const swept = await createRelayHandler(lambdaRuntimeFor(system, relay), 'inventory')();
    expect(swept.published).toBeGreaterThanOrEqual(1);
    expect(await orderEventPublished(orderId)).toBe(true);
    const customer = await waitFor('the customer counted from the swept event', async () => {
      const answer = await system.api(`/customers/${customerId}`);
      return answer.status === 200 ? answer.body : null;
    });
    expect(customer).toMatchObject({ purchasedQuantity: 1 });
  });
});

describe('AWS SDK clients on Lambda', () => {
  it('give up on a silent endpoint after their attempts, each cut at the request timeout', async () => {
    const limits = { connectionTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 };
    const sns = new SNSClient(awsClientConfig(limits, { ...TARGET, endpoint: silentUrl }));
    const before = accepted;
    const started = performance.now();
    const error = await sns
      .send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:t', Message: 'x' }))
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    const elapsed = performance.now() - started;
    sns.destroy();
    expect(error?.name).toBe('TimeoutError');
    expect(accepted - before).toBe(limits.maxAttempts);
    expect(elapsed).toBeGreaterThanOrEqual(limits.maxAttempts * limits.requestTimeoutMs - 50);
    expect(elapsed).toBeLessThan(limits.maxAttempts * limits.requestTimeoutMs + 1500);
  });

  it('are limited to fail inside the HTTP functions timeout, and the publish wait inside a request timeout', () => {
    const { connectionTimeoutMs, requestTimeoutMs, maxAttempts } = AWS_CLIENT_LIMITS;
    expect(connectionTimeoutMs).toBeGreaterThan(0);
    expect(connectionTimeoutMs).toBeLessThanOrEqual(requestTimeoutMs);
    // The SDK's back-off between attempts stays well under a second for two attempts.
    expect(maxAttempts * requestTimeoutMs + 1000).toBeLessThan(SIZING.http.timeout.toMilliseconds());
    expect(PUBLISH_WAIT_MS).toBeLessThan(requestTimeoutMs);
  });
});
