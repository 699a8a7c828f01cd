import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { NotFoundError } from '../../contract/errors.ts';
import { CachedRead } from '../../platform/cached-read.ts';
import { createServiceApp } from '../../platform/http/service-app.ts';
import { type QueueRef, queueDepths } from '../../platform/queues.ts';
import { listDeadLetters, purgeDeadLetters, redriveDeadLetters } from './queues.ts';

/** A component check resolves when the component answers and throws when it does not. */
export type HealthCheck = () => Promise<void>;

export interface OpsDeps {
  readonly logger: Logger;
  /** Fatal components: any failing one makes /health answer 503. */
  readonly checks: Readonly<Record<string, HealthCheck>>;
  /** Shown but not fatal (e.g. the factory, which is allowed to be down). */
  readonly advisoryChecks?: Readonly<Record<string, HealthCheck>>;
  readonly checkTimeoutMs?: number;
  /**
   * /health is public: every answer within this long of a check round (1 s by default) is that round's,
   * so a crowd of anonymous requests checks the components at most once per interval.
   */
  readonly healthMaxAgeMs?: number;
  readonly sqs: SQSClient;
  /** Every work queue with its DLQ; `/ops/dlq/{queue}` accepts these names. */
  readonly queues: readonly QueueRef[];
  /** Renders the metrics registry in Prometheus text format. */
  readonly renderMetrics: () => Promise<{ contentType: string; body: string }>;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function runAll(checks: Readonly<Record<string, HealthCheck>>, timeoutMs: number) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
  );
  return Object.fromEntries(entries);
}

export function createOpsApp(deps: OpsDeps) {
  const app = createServiceApp(deps.logger);
  const timeoutMs = deps.checkTimeoutMs ?? 2000;
  const health = new CachedRead(async () => {
    const [components, advisory] = await Promise.all([
      runAll(deps.checks, timeoutMs),
      runAll(deps.advisoryChecks ?? {}, timeoutMs),
    ]);
    const failing = Object.entries(components)
      .filter(([, result]) => !result.ok)
      .map(([name]) => name);
    return { status: failing.length === 0 ? 'ok' : 'unavailable', failing, components, advisory };
  }, deps.healthMaxAgeMs ?? 1000);
  app.get('/health', async (c) => {
    const body = await health.read();
    return c.json(body, body.failing.length === 0 ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    const { contentType, body } = await deps.renderMetrics();
    return c.body(body, 200, { 'content-type': contentType });
  });

  const queueNamed = (name: string): QueueRef => {
    const queue = deps.queues.find((q) => q.name === name);
    if (!queue) throw new NotFoundError('queue_not_found', `no queue named ${name}; see GET /ops/queues`);
    return queue;
  };

  app.get('/ops/queues', async (c) => c.json({ queues: await queueDepths(deps.sqs, deps.queues) }));

  app.get('/ops/dlq/:queue', async (c) => {
    const queue = queueNamed(c.req.param('queue'));
    return c.json({ queue: queue.name, messages: await listDeadLetters(deps.sqs, queue) });
  });

  app.post('/ops/dlq/:queue/redrive', async (c) => {
    const queue = queueNamed(c.req.param('queue'));
    const moved = await redriveDeadLetters(deps.sqs, queue);
    deps.logger.info({ queue: queue.name, moved }, 'dead letters redriven');
    return c.json({ moved });
  });

  app.delete('/ops/dlq/:queue', async (c) => {
    const queue = queueNamed(c.req.param('queue'));
    const purged = await purgeDeadLetters(deps.sqs, queue);
    deps.logger.warn({ queue: queue.name, purged }, 'dead-letter queue purged');
    return c.json({ purged });
  });
  return app;
}
