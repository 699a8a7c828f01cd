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

const post = (url: string, body: unknown) =>
  fetch(`${url}/api/manufactures`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

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
});
