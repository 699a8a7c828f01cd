import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Kysely, type Migration, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { databaseMigrations } from '../../src/app/databases.ts';
import { type CustomResourceResponse, createMigrationHandler } from '../../src/app/lambda/migrate.ts';
import { ENV, readLambdaEnvironment } from '../../src/platform/aws/lambda/env.ts';
import { createPowertools, pinoOverPowertools } from '../../src/platform/aws/lambda/powertools.ts';
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

  it('retries while the database does not answer, then fails before the function times out', async () => {
    // Nothing listens on port 9 of localhost: every connection is refused, as from a proxy not ready yet.
    const db = postgresDatabase<any>({ host: '127.0.0.1', port: 9, connectionTimeoutMillis: 500 });
    const answers: CustomResourceResponse[] = [];
    let remaining = 62_000;
    const migrate = createMigrationHandler({
      database: 'inventory',
      db,
      migrations: databaseMigrations.inventory,
      logger,
      retryDelayMs: 1,
      respond: async (_event, response) => {
        answers.push(response);
      },
    });
    await migrate(cfnEvent('Create'), { getRemainingTimeInMillis: () => (remaining -= 1000) });
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ Status: 'FAILED' });
    expect(remaining).toBeLessThan(61_000);
    await db.destroy();
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
          secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
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
