import { randomUUID } from 'node:crypto';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { z } from 'zod';
import { FactoryOrderBody } from '../contract/factory.ts';

/** The stages the real factory reports; the callback goes out when `done` is reached. */
export const FACTORY_STAGES = ['start', 'prepare', 'produce', 'pack', 'done'] as const;
export type FactoryStage = (typeof FACTORY_STAGES)[number];

/** Fault injection, for tests and demos. */
export const FactoryFaults = z.strictObject({
  /** Answer every order with 503, as an unreachable factory would fail. */
  down: z.boolean().default(false),
  /** Share of orders answered with 500 (0..1). */
  failureRate: z.number().min(0).max(1).default(0),
  /** Added before answering an order (ms), to provoke client timeouts. */
  extraLatencyMs: z.number().int().min(0).max(600_000).default(0),
  /** Extra identical callbacks after the first (the real one sends exactly one). */
  duplicateCallbacks: z.number().int().min(0).max(10).default(0),
});
export type FactoryFaults = z.infer<typeof FactoryFaults>;

export interface FactoryJob {
  readonly id: string;
  readonly body: FactoryOrderBody;
  readonly receivedAt: string;
  stage: FactoryStage;
  callbacks: { at: string; status: number | null; error?: string }[];
}

export interface FactorySimulatorOptions {
  /** Milliseconds per stage (the real factory: about 10 s). */
  readonly stageMs: number;
  readonly faults?: Partial<FactoryFaults>;
  readonly random?: () => number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The legacy factory, as CONTRACT.md describes it: `POST /api/manufactures` answers 201 with
 * `{data: {id, data: body}}`, works through its stages, then POSTs the original body to CallbackUrl
 * once, without retrying a failed callback.
 */
export class FactorySimulator {
  readonly app = new Hono();
  readonly jobs = new Map<string, FactoryJob>();
  faults: FactoryFaults;
  readonly #options: FactorySimulatorOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: ServerType | null = null;

  constructor(options: FactorySimulatorOptions) {
    this.#options = options;
    this.faults = FactoryFaults.parse(options.faults ?? {});
    this.#routes();
  }

  #routes(): void {
    const app = this.app;
    app.onError((error, c) => c.json({ error: { code: 'internal_error', message: (error as Error).message } }, 500));
    app.post('/api/manufactures', async (c) => {
      if (this.faults.extraLatencyMs > 0) await this.#sleep(this.faults.extraLatencyMs);
      if (this.faults.down) return c.json({ error: { code: 'unavailable', message: 'factory is down' } }, 503);
      if ((this.#options.random ?? Math.random)() < this.faults.failureRate) {
        return c.json({ error: { code: 'factory_error', message: 'injected failure' } }, 500);
      }
      const parsed = FactoryOrderBody.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success) {
        return c.json(
          { error: { code: 'invalid_request', message: 'not a factory order', details: parsed.error.issues } },
          400,
        );
      }
      const job: FactoryJob = {
        id: randomUUID(),
        body: parsed.data,
        receivedAt: new Date().toISOString(),
        stage: 'start',
        callbacks: [],
      };
      this.jobs.set(job.id, job);
      this.#options.log?.('factory order received', { id: job.id, sku: job.body.MessageAttributeProductId });
      this.#advance(job, 0);
      return c.json({ data: { id: job.id, data: parsed.data } }, 201);
    });
    app.get('/api/manufactures/:id', (c) => {
      const job = this.jobs.get(c.req.param('id'));
      return job ? c.json(job) : c.json({ error: { code: 'not_found', message: 'no such order' } }, 404);
    });
    app.get('/_simulator/orders', (c) => c.json({ orders: [...this.jobs.values()] }));
    app.get('/_simulator/faults', (c) => c.json(this.faults));
    app.put('/_simulator/faults', async (c) => {
      const parsed = FactoryFaults.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success) {
        return c.json(
          { error: { code: 'invalid_request', message: 'invalid faults', details: parsed.error.issues } },
          400,
        );
      }
      this.faults = parsed.data;
      return c.json(this.faults);
    });
    app.get('/health', (c) => c.json({ status: 'ok' }));
  }

  #advance(job: FactoryJob, index: number): void {
    job.stage = FACTORY_STAGES[index]!;
    if (job.stage === 'done') {
      void this.#callBack(job);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#advance(job, index + 1);
    }, this.#options.stageMs);
    this.#timers.add(timer);
  }

  async #callBack(job: FactoryJob): Promise<void> {
    for (let i = 0; i <= this.faults.duplicateCallbacks; i++) {
      const at = new Date().toISOString();
      try {
        const response = await fetch(job.body.CallbackUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(job.body),
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        job.callbacks.push({ at, status: response.status });
      } catch (error) {
        // The real factory does not retry a failed callback either.
        job.callbacks.push({ at, status: null, error: (error as Error).message });
      }
    }
    this.#options.log?.('factory callback sent', { id: job.id, callbacks: job.callbacks });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  /** Listens on `port` (0 for any free one); resolves with the base URL. */
  listen(port: number, hostname = '127.0.0.1'): Promise<string> {
    return new Promise((resolve, reject) => {
      const server = serve({ fetch: this.app.fetch, port, hostname }, (info) => {
        resolve(`http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${info.port}`);
      });
      server.once('error', reject);
      this.#server = server;
    });
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if ('closeAllConnections' in server) server.closeAllConnections();
  }
}
