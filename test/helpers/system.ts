import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { type RunningSystem, startSystem } from '../../src/app/local/system.ts';
import { loadConfig } from '../../src/platform/local/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { topology } from '../../src/topology.ts';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestSystem extends RunningSystem {
  readonly dataDir: string;
  /** fetch against the gateway; JSON bodies are serialised and typed as JSON. */
  api(pathname: string, init?: ApiInit): Promise<ApiResponse>;
  /** Stops the system and removes its data directory. */
  destroy(): Promise<void>;
}

export interface ApiInit {
  method?: string;
  json?: unknown;
  /** Sent as it is: text, or bytes (e.g. ones that are not UTF-8). */
  body?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  admin?: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

export type Engine = 'pglite' | 'postgres';
/** The database engines every database-facing suite runs on. */
export const ENGINES: readonly Engine[] = ['pglite', 'postgres'];

/**
 * `describe.each(ENGINES)` with the engines' suites run at once and each suite's tests in order: for
 * suites that mostly wait (visibility and factory timeouts, snapshots) on a system of their own per
 * engine, so one file's waits overlap instead of adding up. Nothing may be shared between the engines'
 * suites but what `body` creates.
 */
export function describeOnEachEngine(title: string, body: (engine: Engine) => void): void {
  describe.concurrent.each(ENGINES)(title, (engine) => {
    // Unnamed: the reporter shows `<title> on <engine> > <test>`.
    describe.sequential('', () => body(engine));
  });
}

/**
 * Fresh, empty PostgreSQL databases on the test cluster (test/setup/postgres.ts), one per database in
 * the topology, as the environment variables that point the system at them.
 */
export async function createPostgresDatabases(
  adminUrl: string = inject('postgresUrl'),
): Promise<Record<string, string>> {
  const admin = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: adminUrl, max: 1 }) }),
  });
  const env: Record<string, string> = {};
  try {
    for (const database of topology.databases) {
      const name = `donut_${database.name}_${randomBytes(6).toString('hex')}`;
      await sql`create database ${sql.id(name)}`.execute(admin);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      env[database.urlVariable] = url.toString();
    }
  } finally {
    await admin.destroy();
  }
  return env;
}

/**
 * The whole system in this process, on free ports, with a temporary DATA_DIR and a fast factory
 * simulator; on `postgres` its databases are fresh ones on the test PostgreSQL server instead of PGlite
 * (`options.postgresUrl` names another server, for callers outside vitest such as `npm run chaos`).
 */
export async function startTestSystem(
  env: Record<string, string> = {},
  engine: Engine = 'pglite',
  options: { postgresUrl?: string | undefined } = {},
): Promise<TestSystem> {
  const databases = engine === 'postgres' ? await createPostgresDatabases(options.postgresUrl) : {};
  const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-test-'));
  if (engine === 'pglite' && env.DATA_DIR === undefined) {
    const template = providedPgliteTemplate();
    await Promise.all(topology.databases.map((d) => copyEmptyPglite(path.join(dataDir, d.name), template)));
  }
  const config = await loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    FACTORY_PORT: '0',
    SQS_PORT: '0',
    MAIL_PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    FACTORY_STAGE_MS: '20',
    QUEUE_VISIBILITY_TIMEOUT_S: '1',
    // A factory call must fit in the visibility timeout (checked at start); the simulator answers at once.
    FACTORY_TIMEOUT_MS: '500',
    LOG_LEVEL: 'silent',
    ...databases,
    ...env,
  });
  const system = await startSystem(config, createLogger(config.logLevel));
  return {
    ...system,
    dataDir,
    api: (pathname, init) => callApi(system.url, pathname, init),
    destroy: async () => {
      await system.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The run's empty PGlite cluster (test/setup/pglite-template.ts); none outside vitest. */
function providedPgliteTemplate(): string | undefined {
  try {
    return inject('pgliteTemplate');
  } catch {
    return undefined;
  }
}

let emptyPglite: Promise<string> | undefined;

/**
 * Puts an empty, initialised PGlite cluster at `target`. Creating one runs initdb inside WebAssembly
 * (seconds); copying a template made once per run (or, without one, once per process) takes a fraction.
 * Without `template`, the run's own (test/setup/pglite-template.ts).
 */
export async function copyEmptyPglite(target: string, template = providedPgliteTemplate()): Promise<void> {
  if (template) {
    await cp(template, target, { recursive: true });
    return;
  }
  emptyPglite ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'donut-pglite-template-'));
    const pglite = await PGlite.create(dir);
    await pglite.close();
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  await cp(await emptyPglite, target, { recursive: true });
}

export async function callApi(baseUrl: string, pathname: string, init: ApiInit = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  if (init.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  const response = await fetch(`${baseUrl}${pathname}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON; keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Polls `probe` until it returns a truthy value, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Messages in a queue, waiting and in flight, read straight from the emulator. */
export async function queueDepth(system: Pick<RunningSystem, 'clients'>, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await system.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Waits until the named work queue holds no message, waiting or in flight. */
export function waitForQueueDrained(system: RunningSystem, name: string): Promise<true> {
  const queue = system.messaging.queues.get(name);
  if (!queue) throw new Error(`no queue named ${name}`);
  return waitFor(`queue ${name} to drain`, async () => (await queueDepth(system, queue.url)) === 0 || undefined);
}

/** A product body for PUT /products/{sku}. */
export function productBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Test Donut',
    price: 1.25,
    stock: 50,
    reorderPoint: 5,
    reorderQuantity: 30,
    factoryId: 'factory-test',
    ...overrides,
  };
}

let skuCounter = 0;
/** A fresh sku per test, so tests sharing one system never see each other's stock. */
export function uniqueSku(prefix = 'T'): string {
  skuCounter += 1;
  return `${prefix}-${process.pid}-${skuCounter}-${Math.random().toString(36).slice(2, 7)}`;
}
