import { randomUUID } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { databaseMigrations } from '../../src/app/databases.ts';
import { type CustomResourceResponse, createMigrationHandler } from '../../src/app/lambda/migrate.ts';
import { postgresDatabase } from '../../src/platform/db/database.ts';
import { ensureReadOnlyRole } from '../../src/platform/db/read-only-role.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { SystemMetrics } from '../../src/platform/metrics.ts';
import { createDashboardReadModel } from '../../src/services/dashboard/index.ts';
import type { DatabaseName } from '../../src/topology.ts';

const logger = createLogger('silent');

const DATABASES: DatabaseName[] = ['inventory', 'customers', 'notifications'];
const suffix = randomUUID().slice(0, 8);
// Cluster-wide, so unique to this run; the password carries quotes and an injection attempt on purpose.
const login = { username: `donut_reader_${suffix}`, password: `it's "x" $$ \\'; drop table products; --` };
const url = (database: string, user?: string) => {
  const u = new URL(inject('postgresUrl'));
  u.pathname = `/${database}`;
  if (user) u.username = user;
  return u.href;
};

function cfnEvent(type: 'Create' | 'Update', database: string): CloudFormationCustomResourceEvent {
  return {
    RequestType: type,
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:DonutStates-Migrate',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/signed',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/DonutStates/1f1c2d3e',
    RequestId: randomUUID(),
    LogicalResourceId: 'Schema',
    ResourceType: 'Custom::DatabaseSchema',
    ResourceProperties: { ServiceToken: 'x', database, migrations: [] },
    ...(type === 'Create' ? {} : { PhysicalResourceId: `schema-${database}`, OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}

const plenty = { getRemainingTimeInMillis: () => 600_000 };
const names = Object.fromEntries(DATABASES.map((d) => [d, `donut_ro_${d}_${suffix}`])) as Record<DatabaseName, string>;
let admin: Kysely<any>;
const owners = new Map<DatabaseName, Kysely<any>>();
const readers = new Map<DatabaseName, Kysely<any>>();
const answers = new Map<DatabaseName, CustomResourceResponse[]>();

/** The schema custom resource of one database, as the migration function builds it on AWS. */
const migrationOf = (database: DatabaseName) =>
  createMigrationHandler({
    database,
    db: owners.get(database)!,
    migrations: databaseMigrations[database],
    logger,
    readOnlyLogin: async () => login,
    respond: async (_event, response) => void answers.get(database)!.push(response),
  });

beforeAll(async () => {
  admin = postgresDatabase<any>({ connectionString: inject('postgresUrl'), max: 1 });
  for (const database of DATABASES) {
    await sql`create database ${sql.id(names[database])}`.execute(admin);
    // Dropping the databases at the end ends their sessions: that is expected, not an error.
    owners.set(
      database,
      postgresDatabase<any>({ connectionString: url(names[database]), max: 2 }, () => {}),
    );
    answers.set(database, []);
    // Create, then an Update (the next deploy): both grant, the second changes nothing.
    await migrationOf(database)(cfnEvent('Create', database), plenty);
    await migrationOf(database)(cfnEvent('Update', database), plenty);
    readers.set(
      database,
      postgresDatabase<any>({ connectionString: url(names[database], login.username), max: 2 }, () => {}),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const db of [...owners.values(), ...readers.values()]) await db.destroy();
  for (const name of Object.values(names))
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
  await sql`drop role if exists ${sql.id(login.username)}`.execute(admin);
  await admin.destroy();
});

const code = async (work: Promise<unknown>) =>
  work.then(
    () => 'no error',
    (error: { code?: string }) => error.code,
  );

describe('the read-only role the schema resource makes (real PostgreSQL)', () => {
  it('answers SUCCESS naming the role, on Create and on Update', () => {
    for (const database of DATABASES) {
      expect(answers.get(database), database).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', Data: expect.objectContaining({ readOnlyRole: login.username }) }),
        expect.objectContaining({ Status: 'SUCCESS', Data: { applied: '', readOnlyRole: login.username } }),
      ]);
    }
  });

  it('is a plain login role with a password, whose sessions start read-only', async () => {
    const { rows } = await sql<Record<string, unknown>>`
      select a.rolcanlogin, a.rolsuper, a.rolcreaterole, a.rolcreatedb, a.rolreplication, a.rolbypassrls,
             r.rolconfig, a.rolpassword like 'SCRAM-SHA-256$%' as scram
      from pg_authid a join pg_roles r using (oid) where a.rolname = ${login.username}`.execute(admin);
    expect(rows).toEqual([
      {
        rolcanlogin: true,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolconfig: ['default_transaction_read_only=on'],
        scram: true,
      },
    ]);
    // The password went in as a value: its quotes and "drop table" did nothing.
    const products = await sql`select count(*) from products`.execute(owners.get('inventory')!);
    expect(products.rows).toHaveLength(1);
  });

  it('reads every table, and a table a later migration makes, but writes none', async () => {
    const inventory = readers.get('inventory')!;
    const { rows } = await sql<{ sku: string }>`select sku from products`.execute(inventory);
    expect(rows.map((r) => r.sku)).toContain('CP-502101');
    // Default privileges: a table the owner makes after the grant is readable too.
    await sql`create table later_table (id int)`.execute(owners.get('inventory')!);
    expect(await code(sql`select * from later_table`.execute(inventory))).toBe('no error');

    const write = sql`update products set stock = 0`;
    expect(await code(write.execute(inventory))).toBe('25006'); // read-only transaction
    for (const database of DATABASES) {
      expect(await code(sql`create table mine (id int)`.execute(readers.get(database)!)), database).toBe('25006');
    }
    // Even a session that asks for read-write has no privilege to write.
    expect(
      await code(
        inventory.connection().execute(async (c) => {
          await sql`set session characteristics as transaction read write`.execute(c);
          try {
            await write.execute(c);
          } finally {
            await sql`set session characteristics as transaction read only`.execute(c);
          }
        }),
      ),
    ).toBe('42501');
  });

  it('serves the dashboard snapshot and the health checks, which is all the admin read functions do', async () => {
    const snapshot = createDashboardReadModel({
      inventory: readers.get('inventory')!,
      customers: readers.get('customers')!,
      notifications: readers.get('notifications')!,
      queues: async () => [],
      metrics: new SystemMetrics({ stock: async () => [], queues: async () => [] }),
      factoryUrl: 'http://127.0.0.1:9',
      vipThreshold: 100,
    });
    const { products } = await snapshot();
    expect(products.map((p) => p.sku)).toContain('CP-502101');
    for (const database of DATABASES) {
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(readers.get(database)!);
      expect(rows, database).toEqual([{ one: 1 }]);
    }
  });

  it('fails without the password in the error: the server quotes the failing statement, the wrapper does not', async () => {
    const plain = `donut_plain_${suffix}`;
    await sql`create role ${sql.id(plain)} login`.execute(admin);
    const db = postgresDatabase<any>({ connectionString: url(names.inventory, plain), max: 1 }, () => {});
    try {
      // A role without CREATEROLE may not change another role's password.
      const error = await ensureReadOnlyRole(db, { username: 'postgres', password: 'never-in-a-log-4711' }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe('42501');
      expect(error?.message).toMatch(/^read-only role postgres: (permission denied|must be superuser)/);
      expect(JSON.stringify({ ...error, message: error?.message, stack: error?.stack })).not.toContain('4711');
    } finally {
      await db.destroy();
      await sql`drop role ${sql.id(plain)}`.execute(admin);
    }
  });
});
