import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { topology } from '../../src/topology.ts';
import {
  copyEmptyPglite,
  type Engine,
  queueDepth,
  startTestSystem,
  type TestSystem,
  waitFor,
} from '../helpers/system.ts';

export { copyEmptyPglite };

/** One promise a scenario checks, with the numbers that show it. */
export interface Invariant {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What a scenario did and what held: one row of the reliability table. */
export interface ScenarioResult {
  readonly scenario: string;
  /** The traffic it drove, in numbers. */
  readonly load: string;
  /** The faults it injected, in numbers. */
  readonly faults: string;
  readonly invariants: readonly Invariant[];
  readonly durationMs: number;
}

/** Where a scenario runs: vitest passes the test cluster's URL, `npm run chaos` starts its own. */
export interface ChaosContext {
  /** Admin URL of a PostgreSQL server, for scenarios that also run on PostgreSQL. */
  readonly postgresUrl?: string | undefined;
  /** Progress lines (the report prints them; tests stay quiet). */
  readonly log?: (line: string) => void;
  /** An empty PGlite cluster to copy (test/setup/pglite-template.ts); without it, one is made per process. */
  readonly pgliteTemplate?: string | undefined;
}

/** Collects invariants as a scenario checks them. */
export class Checks {
  readonly list: Invariant[] = [];

  check(name: string, ok: boolean, detail: string): boolean {
    this.list.push({ name, ok, detail });
    return ok;
  }

  equal(name: string, actual: unknown, expected: unknown, detail = ''): boolean {
    const ok = JSON.stringify(actual) === JSON.stringify(expected);
    const shown = ok
      ? `${JSON.stringify(actual)}`
      : `got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
    return this.check(name, ok, detail ? `${detail}: ${shown}` : shown);
  }
}

/** Runs a scenario body with a clock and turns an unexpected throw into a failed invariant. */
export async function runScenario(
  scenario: string,
  body: (checks: Checks, describe: (load: string, faults: string) => void) => Promise<void>,
): Promise<ScenarioResult> {
  const started = Date.now();
  const checks = new Checks();
  let load = '';
  let faults = '';
  try {
    await body(checks, (l, f) => {
      load = l;
      faults = f;
    });
  } catch (error) {
    checks.check('scenario ran to the end', false, (error as Error).stack ?? String(error));
  }
  return { scenario, load, faults, invariants: checks.list, durationMs: Date.now() - started };
}

/** {@link runScenario} on a fresh system from {@link startChaosSystem}, destroyed afterwards whatever happens. */
export function runOnSystem(
  scenario: string,
  context: ChaosContext,
  env: Record<string, string>,
  body: (system: TestSystem, checks: Checks, describe: (load: string, faults: string) => void) => Promise<unknown>,
): Promise<ScenarioResult> {
  return runScenario(scenario, async (checks, describe) => {
    const system = await startChaosSystem(context, env);
    try {
      await body(system, checks, describe);
    } finally {
      await system.destroy();
    }
  });
}

/**
 * The whole system in this process (test/helpers/system.ts), on PGlite or on fresh databases of the
 * given PostgreSQL server. The server URL comes from the context so `npm run chaos` can run outside vitest.
 */
export async function startChaosSystem(
  context: ChaosContext,
  env: Record<string, string> = {},
  engine: Engine = 'pglite',
): Promise<TestSystem> {
  const data = await tempDir('donut-chaos-');
  if (engine === 'pglite') {
    await Promise.all(
      topology.databases.map((d) => copyEmptyPglite(path.join(data.dir, d.name), context.pgliteTemplate)),
    );
  }
  const system = await startTestSystem({ DATA_DIR: data.dir, ...env }, engine, { postgresUrl: context.postgresUrl });
  return {
    ...system,
    dataDir: data.dir,
    destroy: async () => {
      await system.destroy();
      await data.remove();
    },
  };
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Depth of every work queue and DLQ, read straight from the emulator. */
export async function queueDepthsOf(system: TestSystem): Promise<Record<string, { messages: number; dlq: number }>> {
  const out: Record<string, { messages: number; dlq: number }> = {};
  for (const [name, queue] of system.messaging.queues) {
    out[name] = { messages: await queueDepth(system, queue.url), dlq: await queueDepth(system, queue.deadLetter.url) };
  }
  return out;
}

/** Waits until every work queue is empty (messages and in flight) for `stableMs` on end. */
export async function waitForQueuesDrained(
  system: TestSystem,
  timeoutMs = 60_000,
  stableMs = 1500,
): Promise<Record<string, { messages: number; dlq: number }>> {
  let quietSince = 0;
  return waitFor(
    'every work queue to drain',
    async () => {
      const depths = await queueDepthsOf(system);
      const busy = Object.values(depths).some((d) => d.messages > 0);
      if (busy) {
        quietSince = 0;
        return undefined;
      }
      quietSince ||= Date.now();
      return Date.now() - quietSince >= stableMs ? depths : undefined;
    },
    timeoutMs,
  );
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Scenarios replay their random choices from a seed (mulberry32). */
export { seededRandom } from '../../bench/lib/random.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sums numbers. */
export const sum = (values: Iterable<number>) => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

/** The contract's error shape: `{"error": {"code", "message", "details?"}}`. */
export function isContractError(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  return (
    typeof code === 'string' &&
    /^[a-z][a-z0-9_]*$/.test(code) &&
    typeof message === 'string' &&
    (details === undefined || Array.isArray(details))
  );
}

/** `donut_consumer_records_total` for one queue, read from the in-process registry. */
export async function consumerRecords(
  system: TestSystem,
  queue: string,
): Promise<{ succeeded: number; failed: number }> {
  const metric = system.metrics.registry.getSingleMetric('donut_consumer_records_total');
  const values = metric ? (await metric.get()).values : [];
  const of = (outcome: string) =>
    sum(values.filter((v) => v.labels.queue === queue && v.labels.outcome === outcome).map((v) => v.value));
  return { succeeded: of('succeeded'), failed: of('failed') };
}

/** Mails the sink stored for one replenishment, by kind. */
export async function mailsFor(
  system: TestSystem,
  replenishmentId: string,
): Promise<{ pause: number; resume: number }> {
  const mails = (await system.mail.list()).filter((m) => m.text?.includes(replenishmentId));
  return {
    pause: mails.filter((m) => m.subject.startsWith('Pause')).length,
    resume: mails.filter((m) => m.subject.startsWith('Resume')).length,
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/**
 * One HTTP request on its own connection (node:http, no keep-alive pool), so a server that refuses a
 * request early (413 before reading the body) never poisons the next request on a shared socket. The
 * answer counts even when the server stops reading the body and the write then fails. Bodies of
 * event streams are not read. Rejects only when no answer came at all.
 */
export function rawRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string | Buffer | undefined; timeoutMs?: number },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, answer?: RawAnswer) => {
      if (settled) return;
      settled = true;
      if (answer) resolve(answer);
      else reject(error);
    };
    const headers: Record<string, string> = { ...init.headers };
    // Node sends a DELETE body neither chunked nor with a length unless told: say how long it is.
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const request = http.request(url, { method: init.method, headers, agent: false }, (response) => {
      const contentType = String(response.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        response.destroy();
        finish(undefined, { status: response.statusCode ?? 0, contentType, text: '' });
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        finish(undefined, {
          status: response.statusCode ?? 0,
          contentType,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', (error) => finish(error));
    });
    request.setTimeout(init.timeoutMs ?? 10_000, () => request.destroy(new Error('no answer in time')));
    // A write error after the server answered (it stopped reading) is not a failure of the request.
    request.on('error', (error) => setTimeout(() => finish(error), 200));
    if (init.body !== undefined) request.end(init.body);
    else request.end();
  });
}
