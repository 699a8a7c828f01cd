import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConsumerHandler,
  createHttpHandler,
  createJobHandler,
  createRelayHandler,
  type HttpHandler,
} from '../../src/app/lambda/adapters.ts';
import type { LambdaRuntime } from '../../src/app/lambda/runtime.ts';
import { topology } from '../../src/topology.ts';
import { httpApiEvent, lambdaRuntimeFor, plans } from '../helpers/lambda.ts';
import {
  ADMIN_TOKEN,
  type ApiResponse,
  callApi,
  startTestSystem,
  type TestSystem,
  waitFor,
} from '../helpers/system.ts';

// The event shape SQS hands Lambda (raw SNS delivery); HTTP API events come from test/helpers/lambda.ts.
const SQS_EVENT = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'events/sqs-raw-sns.json'), 'utf8'),
) as SQSEvent;

const context = {
  functionName: 'DonutStates-HttpSales',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

let system: TestSystem;
let runtimes: Map<string, LambdaRuntime>;

const handlers = new Map<string, HttpHandler>();

/** The recorded event with this request's method, path, headers and body, sent to the function API Gateway would pick. */
async function lambdaApi(
  target: string,
  init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string>; admin?: boolean } = {},
): Promise<ApiResponse> {
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  const method = init.method ?? (body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...init.headers };
  if (init.json !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  if (init.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  const { plan, event } = httpApiEvent(method, target, headers, body);
  let handler = handlers.get(plan.id);
  if (!handler) {
    handler = createHttpHandler(runtimes.get(plan.id)!, plan.service!);
    handlers.set(plan.id, handler);
  }
  const result = await handler(event, context);
  const text = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString() : (result.body ?? '');
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON; keep the text
  }
  return {
    status: result.statusCode ?? 200,
    headers: new Headers(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
    body: parsed,
  };
}

const localApi = (target: string, init?: Parameters<typeof lambdaApi>[1]) => callApi(system.url, target, init);

function expectSameAnswer(lambda: ApiResponse, local: ApiResponse, what: string): void {
  expect(lambda.status, what).toBe(local.status);
  expect(lambda.headers.get('content-type'), what).toBe(local.headers.get('content-type'));
  expect(lambda.body, what).toEqual(local.body);
}

function sqsEvent(records: { body: string; type?: string }[], queue: string): SQSEvent {
  const template = SQS_EVENT.Records[0]!;
  return {
    Records: records.map(
      (r): SQSRecord => ({
        ...template,
        messageId: randomUUID(),
        body: r.body,
        messageAttributes: r.type ? { type: { ...template.messageAttributes.type!, stringValue: r.type } } : {},
        eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:DonutStates-${queue}`,
      }),
    ),
  };
}

function orderPlaced(customerId: string, quantity: number) {
  const orderId = randomUUID();
  return JSON.stringify({
    id: randomUUID(),
    type: 'order.placed',
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    data: { orderId, sku: 'CP-502101', quantity, customerId, remaining: 50, createdAt: new Date().toISOString() },
  });
}

beforeAll(async () => {
  system = await startTestSystem();
  runtimes = new Map(plans.map((plan) => [plan.id, lambdaRuntimeFor(system, plan)]));
}, 120_000);
afterAll(async () => {
  await system?.destroy();
});

describe('Lambda entry adapters, invoked in-process with API Gateway and SQS event shapes', () => {
  it('answer every kind of request exactly as the local gateway does', async () => {
    const sku = 'CP-502101';
    const cases: [string, Parameters<typeof lambdaApi>[1]?][] = [
      ['/products'],
      [`/products/${sku}`],
      ['/products/NO-SUCH-SKU'],
      ['/products/%20'],
      ['/checkout', { json: { sku, quantity: '1', customerId: 'c-1' } }],
      ['/checkout', { json: { sku, quantity: 0, customerId: '' } }],
      ['/checkout', { body: 'sku=CP-502101', headers: { 'content-type': 'text/plain' } }],
      ['/checkout', { body: '{not json', headers: { 'content-type': 'application/json' } }],
      ['/checkout', { json: { sku, quantity: 1, customerId: 'x'.repeat(70 * 1024) } }],
      ['/checkout', { json: { sku: 'NO-SUCH-SKU', quantity: 1, customerId: 'c-1' } }],
      [`/products/${sku}`, { method: 'PUT', json: { name: 'x' } }],
      [`/products/${sku}`, { method: 'PUT', json: { name: 'x' }, headers: { authorization: 'Bearer wrong-token' } }],
      [`/products/${sku}`, { method: 'PUT', json: { name: '' }, admin: true }],
      [`/products/${sku}`, { method: 'DELETE' }],
      ['/customers/nobody-bought-yet'],
      ['/no/such/route'],
      ['/ops/queues'],
      ['/ops/dlq/no-such-queue', { admin: true }],
      ['/ops/notifications', { headers: { authorization: 'Bearer nope' } }],
      [
        `/factory/callbacks/${randomUUID()}?signature=deadbeef`,
        {
          json: {
            MessageGroupId: 'stock-arrival-group',
            MessageAttributeProductId: sku,
            MessageAttributeProductCnt: 10,
            MessageAttributeFactoryId: 'factory-1',
            MessageAttributeRequester: 'donut-states',
            CallbackUrl: 'http://localhost/x',
            OrderStockCnt: 10,
          },
        },
      ],
      ['/factory/callbacks/not-a-uuid', { json: {} }],
    ];
    for (const [target, init] of cases) {
      const what = `${init?.method ?? (init?.json || init?.body ? 'POST' : 'GET')} ${target.slice(0, 60)}`;
      const local = await localApi(target, init);
      const lambda = await lambdaApi(target, init);
      expect(local.status, `${what} answered locally`).toBeLessThan(500);
      expectSameAnswer(lambda, local, what);
    }
  });

  it('lists the same queues through the ops function as locally', async () => {
    const local = await localApi('/ops/queues', { admin: true });
    const lambda = await lambdaApi('/ops/queues', { admin: true });
    expect(lambda.status).toBe(200);
    const names = (r: ApiResponse) =>
      r.body.queues.map((q: { name: string; deadLetter: { name: string } }) => [q.name, q.deadLetter.name]);
    expect(names(lambda)).toEqual(names(local));
  });

  it('replays a checkout placed locally when the same Idempotency-Key reaches the Lambda, and refuses another body', async () => {
    const key = `lambda-${randomUUID()}`;
    const body = { sku: 'CP-502101', quantity: 1, customerId: `idem-${randomUUID()}` };
    const first = await localApi('/checkout', { json: body, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(201);
    const replay = await lambdaApi('/checkout', { json: body, headers: { 'Idempotency-Key': key } });
    expectSameAnswer(replay, first, 'replayed checkout');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await system.api('/products/LAMBDA-IDEM', {
      method: 'PUT',
      json: { name: 'x', price: 1, stock: 10, reorderPoint: 0, reorderQuantity: 5, factoryId: 'f' },
      admin: true,
    });
    for (const other of [
      { ...body, quantity: 2 },
      { ...body, sku: 'LAMBDA-IDEM' },
    ]) {
      const lambda = await lambdaApi('/checkout', { json: other, headers: { 'Idempotency-Key': key } });
      expect(lambda.status, `key reused with ${JSON.stringify(other)}`).toBe(422);
      expect(lambda.body.error.code).toBe('idempotency_key_reused');
      expectSameAnswer(
        lambda,
        await localApi('/checkout', { json: other, headers: { 'Idempotency-Key': key } }),
        'key reused with another body',
      );
    }
  });

  it('keeps Idempotency-Keys per customer: the same key from another customer places a new order', async () => {
    const key = `lambda-shared-${randomUUID()}`;
    const first = await localApi('/checkout', {
      json: { sku: 'CP-502101', quantity: 1, customerId: `a-${randomUUID()}` },
      headers: { 'Idempotency-Key': key },
    });
    const other = { sku: 'CP-502101', quantity: 1, customerId: `b-${randomUUID()}` };
    const second = await lambdaApi('/checkout', { json: other, headers: { 'Idempotency-Key': key } });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.order.id).not.toBe(first.body.order.id);
    // And that customer's retry through the local gateway replays the Lambda's answer.
    const retried = await localApi('/checkout', { json: other, headers: { 'Idempotency-Key': key } });
    expectSameAnswer(retried, second, 'the second customer replayed');
  });

  it('answers 400 invalid_request, and places nothing, for header values that are not text', async () => {
    const customerId = `bad-header-${randomUUID()}`;
    const body = { sku: 'CP-502101', quantity: 1, customerId };
    for (const key of ['\ud800', 'a\udc00', 'a\u0000b', 'a\r\nb']) {
      const res = await lambdaApi('/checkout', { json: body, headers: { 'Idempotency-Key': key } });
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({
        error: { code: 'invalid_request', details: [{ field: 'idempotency-key', message: expect.any(String) }] },
      });
    }
    const orders = await system.inventory.db
      .selectFrom('orders')
      .select('id')
      .where('customer_id', '=', customerId)
      .execute();
    expect(orders).toEqual([]);
  });

  it('publishes the events a Lambda checkout committed before it returns, and the local consumers see them', async () => {
    const customerId = `lambda-buyer-${randomUUID()}`;
    const placed = await lambdaApi('/checkout', { json: { sku: 'CP-502101', quantity: 2, customerId } });
    expect(placed.status).toBe(201);
    expect(placed.body.order).toMatchObject({ sku: 'CP-502101', quantity: 2, customerId });
    const customer = await waitFor('the customer counted from the Lambda-published order.placed', async () => {
      const answer = await localApi(`/customers/${customerId}`);
      return answer.status === 200 ? answer.body : null;
    });
    expect(customer).toMatchObject({ id: customerId, purchasedQuantity: 2, tier: 'normal' });
    expectSameAnswer(
      await lambdaApi(`/customers/${customerId}`),
      await localApi(`/customers/${customerId}`),
      'customer',
    );
  });

  it('consumes an SQS batch with partial failures: a poison record fails alone, a redelivery counts once', async () => {
    const consumer = plans.find((p) => p.kind === 'consumer' && p.queue?.name === 'customer-purchases')!;
    const handler = createConsumerHandler(runtimes.get(consumer.id)!, 'customer-purchases');
    const customerId = `sqs-buyer-${randomUUID()}`;
    const good = orderPlaced(customerId, 3);
    const event = sqsEvent(
      [
        { body: good, type: 'order.placed' },
        { body: 'this is not an event', type: 'order.placed' },
      ],
      'customer-purchases',
    );
    const result = await handler(event, context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
    const counted = await localApi(`/customers/${customerId}`);
    expect(counted.body).toMatchObject({ purchasedQuantity: 3 });

    // The same message again, once through the Lambda and once through the local queue: still counted once.
    expect(await handler(sqsEvent([{ body: good, type: 'order.placed' }], 'customer-purchases'), context)).toEqual({
      batchItemFailures: [],
    });
    const queue = system.messaging.queues.get('customer-purchases')!;
    await system.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: good,
        MessageAttributes: { type: { DataType: 'String', StringValue: 'order.placed' } },
      }),
    );
    await waitFor('the local poller to take the redelivery', async () => {
      const depth = await localApi('/ops/queues', { admin: true });
      const q = depth.body.queues.find((x: { name: string }) => x.name === 'customer-purchases');
      return q.messages === 0 && q.inFlight === 0;
    });
    expectSameAnswer(
      await lambdaApi(`/customers/${customerId}`),
      await localApi(`/customers/${customerId}`),
      'customer',
    );
    expect((await localApi(`/customers/${customerId}`)).body).toMatchObject({ purchasedQuantity: 3 });
  });

  it('runs every scheduled job and sweeps the outbox', async () => {
    const jobs = plans.filter((p) => p.kind === 'job');
    expect(jobs.map((job) => job.schedule!.name)).toEqual(topology.schedules.map((s) => s.name));
    for (const job of jobs) {
      const ran = await createJobHandler(runtimes.get(job.id)!, job.schedule!.name)();
      expect(ran, job.id).toHaveProperty('result');
    }
    for (const relay of plans.filter((p) => p.kind === 'relay')) {
      const swept = await createRelayHandler(runtimes.get(relay.id)!, relay.database!)();
      expect(swept.published).toBeGreaterThanOrEqual(0);
    }
  });

  it('builds every planned function from its own grants alone', () => {
    for (const plan of plans) {
      const runtime = lambdaRuntimeFor(system, plan);
      const build = {
        http: () => createHttpHandler(runtime, plan.service!),
        consumer: () => createConsumerHandler(runtime, plan.queue!.name),
        job: () => createJobHandler(runtime, plan.schedule!.name),
        relay: () => createRelayHandler(runtime, plan.database!),
        migrate: () => runtime.database(plan.database!),
      }[plan.kind];
      expect(build, plan.id).not.toThrow();
    }
  });

  it('builds a function only from what it was granted', () => {
    const sales = runtimes.get('HttpSales')!;
    expect(() => sales.service('customers')).toThrow(/not reachable/);
    const customers = runtimes.get('HttpCustomers')!;
    expect(() => customers.service('warehouse')).toThrow(/not reachable|not granted/);
    expect(() =>
      createHttpHandler(
        lambdaRuntimeFor(system, { ...plans.find((p) => p.id === 'HttpOps')!, adminToken: false }),
        'ops',
      ),
    ).toThrow(/admin token/);
  });
});
