import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Kysely, type Migration, sql } from 'kysely';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { databaseMigrations } from '../../src/app/databases.ts';
import {
  type CustomResourceResponse,
  createMigrationHandler,
  isTransientConnectionError,
  MIGRATION_RETRY,
} from '../../src/app/lambda/migrate.ts';
import { ENV, readLambdaEnvironment } from '../../src/platform/aws/lambda/env.ts';
import { createPowertools, pinoOverPowertools } from '../../src/platform/aws/lambda/powertools.ts';
import { SIZING } from '../../src/platform/aws/resources/sizing.ts';
import { postgresDatabase } from '../../src/platform/db/database.ts';
import { PGliteDialect } from '../../src/platform/db/pglite-dialect.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { topology } from '../../src/topology.ts';

const logger = createLogger('silent');

function cfnEvent(type: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  return {
    RequestType: type,
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:DonutStates-MigrateCustomers',
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/signed',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/DonutStates/1f1c2d3e',
    RequestId: randomUUID(),
    LogicalResourceId: 'CustomersSchema',
    ResourceType: 'Custom::DatabaseSchema',
    ResourceProperties: { ServiceToken: 'x', database: 'customers', migrations: [] },
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'schema-customers', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}

const plenty = { getRemainingTimeInMillis: () => 600_000 };

describe('the schema migration custom resource', () => {
  it('applies every migration once, answers SUCCESS, and is a no-op the second time', async () => {
    const db = new Kysely<any>({ dialect: new PGliteDialect(await PGlite.create()) });
    const answers: CustomResourceResponse[] = [];
    const migrate = createMigrationHandler({
      database: 'customers',
      db,
      migrations: databaseMigrations.customers,
      logger,
      respond: async (_event, response) => {
        answers.push(response);
      },
    });
    await migrate(cfnEvent('Create'), plenty);
    await migrate(cfnEvent('Update'), plenty);
    expect(answers).toEqual([
      {
        Status: 'SUCCESS',
        PhysicalResourceId: 'schema-customers',
        Data: { applied: Object.keys(databaseMigrations.customers).sort().join(',') },
      },
      { Status: 'SUCCESS', PhysicalResourceId: 'schema-customers', Data: { applied: '' } },
    ]);
    await db.destroy();
  });

  it('registers a schema for every database in the topology', () => {
    for (const database of topology.databases) expect(databaseMigrations[database.name], database.name).toBeDefined();
  });

  it('fails at once on a SQL error and leaves Delete alone', async () => {
    const db = new Kysely<any>({ dialect: new PGliteDialect(await PGlite.create()) });
    const broken: Record<string, Migration> = {
      '2026-01-01-broken': { up: async (k) => void (await sql`select * from no_such_table`.execute(k)) },
    };
    const answers: CustomResourceResponse[] = [];
    const migrate = createMigrationHandler({
      database: 'customers',
      db,
      migrations: broken,
      logger,
      respond: async (_event, response) => {
        answers.push(response);
      },
    });
    await migrate(cfnEvent('Create'), plenty);
    await migrate(cfnEvent('Delete'), plenty);
    expect(answers[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('no_such_table') });
    expect(answers[1]).toEqual({ Status: 'SUCCESS', PhysicalResourceId: 'schema-customers' });
    await db.destroy();
  });

  it('retries refused connections with a doubling, capped wait and answers FAILED once the budget is spent', async () => {
    // Nothing listens on port 9 of localhost: every connection is refused, as from a proxy not ready yet.
    const db = postgresDatabase<any>({ host: '127.0.0.1', port: 9, connectionTimeoutMillis: 500 });
    const answers: CustomResourceResponse[] = [];
    const waits: number[] = [];
    const migrate = createMigrationHandler({
      database: 'inventory',
      db,
      migrations: databaseMigrations.inventory,
      logger,
      retry: { firstDelayMs: 10, maxDelayMs: 40, budgetMs: 150 },
      sleep: async (ms) => void waits.push(ms),
      respond: async (_event, response) => void answers.push(response),
    });
    await migrate(cfnEvent('Create'), plenty);
    expect(waits).toEqual([10, 20, 40, 40, 40]);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/ECONNREFUSED|connect/) });
    expect(answers[0]!.Reason).toContain('after 6 attempts');
    await db.destroy();
  });

  it('answers FAILED rather than wait past the function timeout', async () => {
    const db = postgresDatabase<any>({ host: '127.0.0.1', port: 9, connectionTimeoutMillis: 500 });
    const answers: CustomResourceResponse[] = [];
    const waits: number[] = [];
    const migrate = createMigrationHandler({
      database: 'inventory',
      db,
      migrations: databaseMigrations.inventory,
      logger,
      sleep: async (ms) => void waits.push(ms),
      respond: async (_event, response) => void answers.push(response),
    });
    // Room for one default first wait and the answer, not for the second wait.
    await migrate(cfnEvent('Create'), { getRemainingTimeInMillis: () => MIGRATION_RETRY.firstDelayMs + 31_000 });
    expect(waits).toEqual([MIGRATION_RETRY.firstDelayMs]);
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
    await db.destroy();
  });

  it('keeps the default retry budget within about two minutes and inside the function timeout', () => {
    expect(MIGRATION_RETRY.budgetMs).toBeLessThanOrEqual(120_000);
    expect(MIGRATION_RETRY.budgetMs + MIGRATION_RETRY.maxDelayMs).toBeLessThan(
      SIZING.migrate.timeout.toMilliseconds() - 30_000,
    );
  });

  it('tells connection and authentication failures from errors a retry cannot fix', () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    for (const code of [
      '08001',
      '08006',
      '28000',
      '28P01',
      '53300',
      '57P01',
      '57P02',
      '57P03',
      'ECONNREFUSED',
      'ETIMEDOUT',
    ]) {
      expect(isTransientConnectionError(coded(code)), code).toBe(true);
    }
    for (const code of ['42P01', '23505', '3D000', '57014', '57P04', '42501', 'XX000']) {
      expect(isTransientConnectionError(coded(code)), code).toBe(false);
    }
    expect(isTransientConnectionError(new Error('Connection terminated due to connection timeout'))).toBe(true);
    expect(isTransientConnectionError(new AggregateError([coded('ECONNREFUSED')]))).toBe(true);
    expect(isTransientConnectionError(new Error('wrapped', { cause: coded('28P01') }))).toBe(true);
    expect(isTransientConnectionError(new Error('syntax error at or near "selec"'))).toBe(false);
    expect(isTransientConnectionError(undefined)).toBe(false);
  });

  describe('against a real PostgreSQL', () => {
    const admin = () => postgresDatabase<any>({ connectionString: inject('postgresUrl'), max: 1 });

    it('retries a refused login (SQLSTATE 28000) until the role may log in, then migrates', async () => {
      const role = `migrator_${randomUUID().slice(0, 8)}`;
      const name = `donut_mig_${randomUUID().slice(0, 8)}`;
      const root = admin();
      await sql`create role ${sql.id(role)} nologin superuser`.execute(root);
      await sql`create database ${sql.id(name)} owner ${sql.id(role)}`.execute(root);
      const url = new URL(inject('postgresUrl'));
      url.username = role;
      url.pathname = `/${name}`;
      // Dropping the database at the end ends this pool's session as it closes: expected, not an error.
      const db = postgresDatabase<any>({ connectionString: url.href, max: 1 }, () => {});
      const answers: CustomResourceResponse[] = [];
      const waits: number[] = [];
      const migrate = createMigrationHandler({
        database: 'customers',
        db,
        migrations: databaseMigrations.customers,
        logger,
        retry: { firstDelayMs: 5, maxDelayMs: 20, budgetMs: 1_000 },
        sleep: async (ms) => {
          waits.push(ms);
          // As a rotation settling: the login works from the third attempt on.
          if (waits.length === 2) await sql`alter role ${sql.id(role)} login`.execute(root);
        },
        respond: async (_event, response) => void answers.push(response),
      });
      try {
        await migrate(cfnEvent('Create'), plenty);
        expect(waits).toEqual([5, 10]);
        expect(answers).toEqual([
          expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'schema-customers' }),
        ]);
        const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
        expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(databaseMigrations.customers).sort());
      } finally {
        await db.destroy();
        await sql`drop database if exists ${sql.id(name)} with (force)`.execute(root);
        await sql`drop role if exists ${sql.id(role)}`.execute(root);
        await root.destroy();
      }
    });

    it('fails at once when the database answers with an error a retry cannot fix (SQLSTATE 3D000)', async () => {
      const url = new URL(inject('postgresUrl'));
      url.pathname = `/donut_missing_${randomUUID().slice(0, 8)}`;
      const db = postgresDatabase<any>({ connectionString: url.href, max: 1 });
      const answers: CustomResourceResponse[] = [];
      const waits: number[] = [];
      const migrate = createMigrationHandler({
        database: 'customers',
        db,
        migrations: databaseMigrations.customers,
        logger,
        sleep: async (ms) => void waits.push(ms),
        respond: async (_event, response) => void answers.push(response),
      });
      await migrate(cfnEvent('Create'), plenty);
      expect(waits).toEqual([]);
      expect(answers).toEqual([
        expect.objectContaining({ Status: 'FAILED', Reason: expect.stringContaining('does not exist') }),
      ]);
      await db.destroy();
    });
  });
});

describe('Powertools under the services', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes pino-style calls as Powertools JSON lines, with child bindings', () => {
    const lines: string[] = [];
    // Powertools writes info to stdout, warnings and errors to stderr.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const pt = createPowertools('probe');
    const log = pinoOverPowertools(pt.logger).child({ svc: 'sales' });
    log.child({ correlationId: 'c-1' }).info({ orderId: 'o-1' }, 'order placed');
    log.warn('plain message');
    log.error({ err: new Error('boom') }, 'failed');
    const records = lines
      .flatMap((l) => l.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({
      level: 'INFO',
      message: 'order placed',
      svc: 'sales',
      correlationId: 'c-1',
      orderId: 'o-1',
      service: 'probe',
    });
    expect(records[1]).toMatchObject({ level: 'WARN', message: 'plain message', svc: 'sales' });
    expect(records[2]).toMatchObject({ level: 'ERROR', message: 'failed', err: { message: 'boom' } });
  });
});

describe('the Lambda environment contract', () => {
  it('parses what the stack writes', () => {
    const env = readLambdaEnvironment({
      [ENV.service]: 'sales',
      [ENV.databases]: JSON.stringify({
        inventory: {
          user: 'donut',
          endpoint: 'proxy.example',
          name: 'donut_inventory',
        },
      }),
      [ENV.queues]: JSON.stringify([
        {
          name: 'stock-arrivals',
          url: 'https://sqs/x',
          deadLetter: { name: 'stock-arrivals-dlq', url: 'https://sqs/y' },
        },
      ]),
      [ENV.factoryUrl]: 'https://factory.example.com',
      [ENV.publicUrl]: 'https://abc.execute-api.eu-west-1.amazonaws.com',
      [ENV.adManagerEmail]: 'ads@example.com',
      [ENV.mailFrom]: 'shop@example.com',
    });
    expect(env.service).toBe('sales');
    expect(env.databases.inventory?.endpoint).toBe('proxy.example');
    expect(env.queues[0]?.deadLetter.name).toBe('stock-arrivals-dlq');
    expect(env.settings).toMatchObject({ vipThreshold: 100, factoryTimeoutMs: 12_000, marketingWebhookUrl: undefined });
  });

  it('names every problem at once', () => {
    expect(() => readLambdaEnvironment({ [ENV.databases]: '{not json' })).toThrow(
      /DONUT_DATABASES: not valid JSON.*FACTORY_URL/,
    );
  });
});
