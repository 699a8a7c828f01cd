import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FactorySimulator } from '../../src/factory-simulator/simulator.ts';
import { topology } from '../../src/topology.ts';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
} from '../helpers/system.ts';

const MAX_STREAMS = 3;

/**
 * The public dashboard and /health through the real gateway: a crowd of anonymous requests costs the
 * factory, the queues and the databases one read per second, open streams are capped, an unread stream
 * holds no backlog, and no customer id leaves the server.
 */
describeOnEachEngine('dashboard and health under load on %s', (engine) => {
  let system: TestSystem;
  // A factory in front of which every request is counted; slow on demand.
  const simulator = new FactorySimulator({ stageMs: 5000 });
  const factoryCalls: string[] = [];
  let factoryDelayMs = 0;
  let factory: ServerType;
  const queueReads: string[][] = [];

  beforeAll(async () => {
    const factoryUrl = await new Promise<string>((resolve) => {
      factory = serve(
        {
          fetch: async (request) => {
            factoryCalls.push(`${request.method} ${new URL(request.url).pathname}`);
            if (factoryDelayMs > 0) await sleep(factoryDelayMs);
            return simulator.app.fetch(request);
          },
          port: 0,
          hostname: '127.0.0.1',
        },
        (info) => resolve(`http://127.0.0.1:${info.port}`),
      );
    });
    system = await startTestSystem(
      { FACTORY_URL: factoryUrl, DASHBOARD_MAX_STREAMS: String(MAX_STREAMS), DASHBOARD_INTERVAL_MS: '10' },
      engine,
    );
    system.clients.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetQueueAttributesCommand') {
          queueReads.push((args.input as { AttributeNames?: string[] }).AttributeNames ?? []);
        }
        return next(args);
      },
      { step: 'initialize', name: 'countQueueReads' },
    );
  });
  afterAll(async () => {
    await system?.destroy();
    await simulator.close();
    await new Promise((resolve) => factory?.close(resolve));
  });

  /** One event stream; `next()` reads its next event. */
  const openStream = async () => {
    const controller = new AbortController();
    const response = await fetch(`${system.url}/dashboard/events`, { signal: controller.signal });
    let reader: ReadableStreamDefaultReader<string> | undefined;
    let buffered = '';
    const next = async (): Promise<string> => {
      reader ??= response.body!.pipeThrough(new TextDecoderStream()).getReader();
      while (!buffered.includes('\n\n')) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffered += value;
      }
      const end = buffered.indexOf('\n\n') + 2;
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end);
      return event;
    };
    return { response, next, close: () => controller.abort() };
  };
  const metric = async (series: string): Promise<number> => {
    const text = await (await fetch(`${system.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : Number.NaN;
  };

  it(`refuses the stream over ${MAX_STREAMS} with 429 and Retry-After; a closed stream frees its slot`, async () => {
    const streams = [];
    try {
      for (let i = 0; i < MAX_STREAMS; i++) {
        const stream = await openStream();
        streams.push(stream);
        expect(stream.response.status).toBe(200);
        expect(await stream.next()).toContain('event: snapshot');
      }
      const refused = await fetch(`${system.url}/dashboard/events`);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('too_many_streams');
      expect(body.error.message).toEqual(expect.any(String));

      streams.shift()!.close();
      const reopened = await waitFor('a free slot', async () => {
        const stream = await openStream();
        if (stream.response.status === 200) return stream;
        await stream.response.body?.cancel();
        return null;
      });
      streams.push(reopened);
      expect(await reopened.next()).toContain('event: snapshot');
    } finally {
      for (const stream of streams) stream.close();
    }
    await waitFor('every stream closed', async () => (await metric('donut_dashboard_streams')) === 0);
  });

  it('skips ticks for a reader that does not read, instead of queueing them, and resumes when it reads', async () => {
    // A big snapshot fills the socket buffers of an unread stream within seconds.
    for (let i = 0; i < 50; i++) {
      const put = await system.api(`/products/${uniqueSku('BIG')}`, {
        method: 'PUT',
        json: productBody({ name: `Donut ${randomBytes(96).toString('hex')}`.slice(0, 200), stock: 1000 }),
        admin: true,
      });
      expect(put.status).toBe(201);
    }
    const socket = net.connect(system.port, '127.0.0.1');
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('GET /dashboard/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      socket.pause();
      await waitFor(
        'ticks skipped for the unread stream',
        async () => (await metric('donut_dashboard_stream_writes_total{outcome="skipped"}')) > 0,
        60_000,
      );
      const sent = await metric('donut_dashboard_stream_writes_total{outcome="sent"}');
      const skipped = await metric('donut_dashboard_stream_writes_total{outcome="skipped"}');
      await sleep(500);
      // Nothing more is written for it while it does not read: no backlog grows on the server.
      expect(await metric('donut_dashboard_stream_writes_total{outcome="sent"}')).toBe(sent);
      expect(await metric('donut_dashboard_stream_writes_total{outcome="skipped"}')).toBeGreaterThan(skipped);

      socket.on('data', () => {});
      socket.resume();
      await waitFor(
        'writes again once it reads',
        async () => (await metric('donut_dashboard_stream_writes_total{outcome="sent"}')) > sent + 5,
      );
    } finally {
      socket.destroy();
    }
    await waitFor('the stream closed', async () => (await metric('donut_dashboard_streams')) === 0);
  }, 120_000);

  it('answers 200 concurrent /health requests with at most one check round per second', async () => {
    factoryDelayMs = 300;
    try {
      await sleep(1100);
      factoryCalls.length = 0;
      queueReads.length = 0;
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 200 }, () => system.api('/health')));
      const seconds = (Date.now() - started) / 1000;
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.components.queues.ok).toBe(true);
      }
      const rounds = factoryCalls.filter((call) => call === 'GET /').length;
      expect(rounds).toBeGreaterThanOrEqual(1);
      expect(rounds).toBeLessThanOrEqual(Math.floor(seconds) + 1);
      expect(queueReads.filter((names) => names.includes('QueueArn'))).toHaveLength(rounds);
    } finally {
      factoryDelayMs = 0;
    }

    // Cached for about a second, not forever: an outage shows up.
    system.mail.setDown(true);
    try {
      const down = await waitFor('the mail outage in /health', async () => {
        const res = await system.api('/health');
        return res.status === 503 ? res : null;
      });
      expect(down.body.failing).toEqual(['mail']);
    } finally {
      system.mail.setDown(false);
    }
  });

  it('answers 200 concurrent /dashboard/snapshot requests with at most one read of the system per second', async () => {
    // An order in production: every snapshot round asks the factory how far it got.
    const sku = uniqueSku('SNAP');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 1, reorderPoint: 0, reorderQuantity: 5 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 1, customerId: 'snap' } })).status).toBe(201);
    await waitFor('the factory order', async () => factoryCalls.some((call) => call === 'POST /api/manufactures'));
    const depthReadsPerRound = 2 * topology.queues.length;

    factoryDelayMs = 300;
    try {
      await sleep(1100);
      factoryCalls.length = 0;
      queueReads.length = 0;
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 200 }, () => system.api('/dashboard/snapshot')));
      const seconds = (Date.now() - started) / 1000;
      for (const answer of answers) expect(answer.status).toBe(200);
      const rounds = queueReads.filter((names) => names.includes('ApproximateNumberOfMessages')).length;
      expect(rounds).toBeGreaterThanOrEqual(depthReadsPerRound);
      expect(rounds).toBeLessThanOrEqual((Math.floor(seconds) + 1) * depthReadsPerRound);
      const probes = factoryCalls.filter((call) => call.startsWith('GET /api/manufactures/')).length;
      expect(probes).toBeGreaterThanOrEqual(1);
      expect(probes).toBeLessThanOrEqual(Math.floor(seconds) + 1);
      // Everyone got the same snapshot, or one of a few, never 200 different ones.
      expect(new Set(answers.map((a) => a.body.at)).size).toBeLessThanOrEqual(Math.floor(seconds) + 1);
    } finally {
      factoryDelayMs = 0;
    }
  });

  it('shows no customer id and no full order id in the snapshot or the event stream', async () => {
    const sku = uniqueSku('ANON');
    await system.api(`/products/${sku}`, { method: 'PUT', json: productBody({ stock: 100 }), admin: true });
    const customers = ['Qx', `Quentin.Xavier-${randomBytes(4).toString('hex')}`];
    const orderIds: string[] = [];
    for (const customerId of customers) {
      const placed = await system.api('/checkout', { json: { sku, quantity: 2, customerId } });
      expect(placed.status).toBe(201);
      orderIds.push(placed.body.order.id);
    }

    const snapshot = await waitFor('both orders and buyers on the dashboard', async () => {
      const res = await system.api('/dashboard/snapshot');
      const orders = res.body.orders.filter((o: { sku: string }) => o.sku === sku);
      const handles = new Set(orders.map((o: { customer: string }) => o.customer));
      const buyers = res.body.customers.filter((c: { customer: string }) => handles.has(c.customer));
      return orders.length === 2 && buyers.length === 2 ? res : null;
    });
    const orders = snapshot.body.orders.filter((o: { sku: string }) => o.sku === sku);
    expect(new Set(orders.map((o: { customer: string }) => o.customer)).size).toBe(2);

    const stream = await openStream();
    let event = '';
    try {
      event = await waitFor('an event with both orders', async () => {
        const text = await stream.next();
        return orderIds.every((id) => text.includes(id.slice(0, 8))) ? text : null;
      });
    } finally {
      stream.close();
    }
    for (const raw of [JSON.stringify(snapshot.body), event]) {
      for (const customerId of customers) expect(raw).not.toContain(customerId);
      for (const orderId of orderIds) expect(raw).not.toContain(orderId);
      expect(raw).not.toContain('@');
    }
  });
});
