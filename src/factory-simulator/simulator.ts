import { randomUUID } from 'node:crypto';
import { type HttpBindings, type ServerType, serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { FACTORY_STAGES, FactoryOrderBody, type FactoryStage } from '../contract/factory.ts';

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
  /** Accept the order (its job starts), then drop the connection without answering. */
  dropAfterAccept: z.boolean().default(false),
  /** Ignore the Idempotency-Key header, as a legacy factory may: every POST starts a job. */
  ignoreIdempotencyKey: z.boolean().default(false),
});
export type FactoryFaults = z.infer<typeof FactoryFaults>;

/** Served by @hono/node-server, the request's socket is at hand (to cut it); not under `app.request()`. */
type SimulatorEnv = { Bindings: Partial<HttpBindings> };

export interface FactoryJob {
  readonly id: string;
  readonly body: FactoryOrderBody;
  /** The order's Idempotency-Key header, if it had one. */
  readonly idempotencyKey: string | null;
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
  readonly app = new Hono<SimulatorEnv>();
  readonly jobs = new Map<string, FactoryJob>();
  /** Per Idempotency-Key, the job its first order started (null while that order is still undecided). */
  readonly #byKey = new Map<string, Promise<FactoryJob | null>>();
  faults: FactoryFaults;
  /** Milliseconds per stage for orders from now on (tests slow the factory down mid-run). */
  stageMs: number;
  readonly #options: FactorySimulatorOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: ServerType | null = null;

  constructor(options: FactorySimulatorOptions) {
    this.#options = options;
    this.faults = FactoryFaults.parse(options.faults ?? {});
    this.stageMs = options.stageMs;
    this.#routes();
  }

  #routes(): void {
    const app = this.app;
    app.onError((error, c) => c.json({ error: { code: 'internal_error', message: (error as Error).message } }, 500));
    app.post('/api/manufactures', async (c) => {
      const key = this.faults.ignoreIdempotencyKey ? undefined : c.req.header('idempotency-key');
      if (key === undefined) return this.#answer(c, await this.#accept(c));
      // A repeat of an order that started a job (or is still deciding) answers that job, and starts nothing.
      const earlier = await this.#byKey.get(key);
      if (earlier) return this.#answer(c, earlier);
      let settle!: (job: FactoryJob | null) => void;
      const decided = new Promise<FactoryJob | null>((resolve) => (settle = resolve));
      this.#byKey.set(key, decided);
      let outcome: FactoryJob | Response | undefined;
      try {
        outcome = await this.#accept(c);
        return this.#answer(c, outcome);
      } finally {
        const job = outcome instanceof Response || outcome === undefined ? null : outcome;
        // Only an order that started a job is remembered: a refused one may be sent again.
        if (!job) this.#byKey.delete(key);
        settle(job);
      }
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

  /** Decides an order: a started job, or the refusal to answer with. */
  async #accept(c: Context<SimulatorEnv>): Promise<FactoryJob | Response> {
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
      idempotencyKey: c.req.header('idempotency-key') ?? null,
      receivedAt: new Date().toISOString(),
      stage: 'start',
      callbacks: [],
    };
    this.jobs.set(job.id, job);
    this.#options.log?.('factory order received', { id: job.id, sku: job.body.MessageAttributeProductId });
    this.#advance(job, 0);
    return job;
  }

  /** 201 with the job, or the refusal; with `dropAfterAccept`, no answer at all: the connection is cut. */
  #answer(c: Context<SimulatorEnv>, outcome: FactoryJob | Response): Response {
    if (outcome instanceof Response) return outcome;
    if (this.faults.dropAfterAccept) c.env?.incoming?.socket.destroy();
    return c.json({ data: { id: outcome.id, data: outcome.body } }, 201);
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
    }, this.stageMs);
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
