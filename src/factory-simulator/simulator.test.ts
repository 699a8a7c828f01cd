import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FactorySimulator } from './simulator.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real HTTP server that records the callbacks it receives. */
async function callbackReceiver(): Promise<{ url: string; received: unknown[] }> {
  const received: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/cb`, received };
}

const order = (callbackUrl: string) => ({
  MessageGroupId: 'stock-arrival-group',
  MessageAttributeProductId: 'CP-502101',
  MessageAttributeProductCnt: 100,
  MessageAttributeFactoryId: 'factory-1',
  MessageAttributeRequester: 'test',
  CallbackUrl: callbackUrl,
  OrderStockCnt: 100,
});

async function startSimulator(options: ConstructorParameters<typeof FactorySimulator>[0]) {
  const simulator = new FactorySimulator(options);
  const url = await simulator.listen(0);
  cleanups.push(() => simulator.close());
  return { simulator, url };
}

const post = (url: string, body: unknown, key?: string) =>
  fetch(`${url}/api/manufactures`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });

const orderId = async (res: Response) => ((await res.json()) as { data: { id: string } }).data.id;

describe('factory simulator', () => {
  it('answers 201 {data: {id, data: body}} and calls back once with the original body after its stages', async () => {
    const receiver = await callbackReceiver();
    const { simulator, url } = await startSimulator({ stageMs: 10 });
    const res = await post(url, order(receiver.url));
    expect(res.status).toBe(201);
    const answer = (await res.json()) as { data: { id: string; data: unknown } };
    expect(answer.data.data).toEqual(order(receiver.url));
    await expect.poll(() => receiver.received.length).toBe(1);
    expect(receiver.received[0]).toEqual(order(receiver.url));
    expect(simulator.jobs.get(answer.data.id)?.stage).toBe('done');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(1);
  });

  it('injects faults: down answers 503, failureRate 1 answers 500, duplicates call back more than once', async () => {
    const receiver = await callbackReceiver();
    const { simulator, url } = await startSimulator({ stageMs: 1, faults: { down: true } });
    expect((await post(url, order(receiver.url))).status).toBe(503);
    simulator.faults = { ...simulator.faults, down: false, failureRate: 1 };
    expect((await post(url, order(receiver.url))).status).toBe(500);
    const put = await fetch(`${url}/_simulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duplicateCallbacks: 2 }),
    });
    expect(put.status).toBe(200);
    expect((await post(url, order(receiver.url))).status).toBe(201);
    await expect.poll(() => receiver.received.length).toBe(3);
    expect(simulator.jobs.size).toBe(1);
  });

  it('rejects a body that is not a factory order with 400', async () => {
    const { simulator, url } = await startSimulator({ stageMs: 1 });
    expect((await post(url, { hello: 'world' })).status).toBe(400);
    expect(simulator.jobs.size).toBe(0);
  });

  it('answers a repeated Idempotency-Key with the first answer and starts no second job', async () => {
    const receiver = await callbackReceiver();
    const { simulator, url } = await startSimulator({ stageMs: 600_000 });
    const first = await post(url, order(receiver.url), 'r-1');
    expect(first.status).toBe(201);
    const again = await post(url, order(receiver.url), 'r-1');
    expect(again.status).toBe(201);
    expect(await orderId(again)).toBe(await orderId(first));
    expect(simulator.jobs.size).toBe(1);
    // Another key, or none, is another order.
    expect((await post(url, order(receiver.url), 'r-2')).status).toBe(201);
    expect((await post(url, order(receiver.url))).status).toBe(201);
    expect(simulator.jobs.size).toBe(3);
  });

  it('a repeat while the first order is still being decided answers that order', async () => {
    const receiver = await callbackReceiver();
    const { simulator, url } = await startSimulator({ stageMs: 600_000, faults: { extraLatencyMs: 200 } });
    const [a, b] = await Promise.all([post(url, order(receiver.url), 'slow'), post(url, order(receiver.url), 'slow')]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(await orderId(a)).toBe(await orderId(b));
    expect(simulator.jobs.size).toBe(1);
  });

  it('forgets a key whose order was refused, so the order may be sent again', async () => {
    const receiver = await callbackReceiver();
    const { simulator, url } = await startSimulator({ stageMs: 600_000, faults: { down: true } });
    expect((await post(url, order(receiver.url), 'k')).status).toBe(503);
    simulator.faults = { ...simulator.faults, down: false };
    expect((await post(url, order(receiver.url), 'k')).status).toBe(201);
    expect(simulator.jobs.size).toBe(1);
  });

  it('ignoreIdempotencyKey starts a job for every POST, as a legacy factory may', async () => {
    const receiver = await callbackReceiver();
    const { simulator, url } = await startSimulator({ stageMs: 600_000, faults: { ignoreIdempotencyKey: true } });
    expect((await post(url, order(receiver.url), 'same')).status).toBe(201);
    expect((await post(url, order(receiver.url), 'same')).status).toBe(201);
    expect(simulator.jobs.size).toBe(2);
  });

  it('dropAfterAccept starts the job, then cuts the connection without an answer', async () => {
    const receiver = await callbackReceiver();
    const { simulator, url } = await startSimulator({ stageMs: 10, faults: { dropAfterAccept: true } });
    const error = await post(url, order(receiver.url), 'd').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(simulator.jobs.size).toBe(1);
    await expect.poll(() => receiver.received.length).toBe(1);
  });
});
