import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PGliteDialect } from '../../src/platform/db/pglite-dialect.ts';
import { DatabaseThread, PGliteThread } from '../../src/platform/db/pglite-thread.ts';
import { createAwsClients, startQueueEmulator } from '../../src/platform/local/queue-emulator.ts';

/** Node's name for a worker's thread, and the names this project gives its own. */
const WORKER_THREAD_NAMES = new Set(['WorkerThread', 'database', 'queue-emulator']);

/** Worker threads of this process, by their names on Linux; elsewhere undefined. */
function workerThreads(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const comm = (task: string) => readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim();
  return readdirSync('/proc/self/task').filter((task) => WORKER_THREAD_NAMES.has(comm(task))).length;
}

/** Waits a moment for a thread the OS still lists after it was told to end. */
async function settledWorkerThreads(expected: number | undefined): Promise<number | undefined> {
  for (let i = 0; i < 50 && workerThreads() !== expected; i++) await new Promise((r) => setTimeout(r, 20));
  return workerThreads();
}

describe('PGlite on its own thread', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-pglite-thread-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /**
   * A data directory holding the run's empty cluster (test/setup/pglite-template.ts): initdb runs once,
   * in the first test, which creates its database itself.
   */
  const withEmptyCluster = async (name: string): Promise<string> => {
    const target = path.join(dir, name);
    await cp(inject('pgliteTemplate'), target, { recursive: true });
    return target;
  };

  it('creates a new database, runs parameterised statements and transactions, and keeps data on disk', async () => {
    const dataDir = path.join(dir, 'one');
    let db = new Kysely<any>({ dialect: new PGliteDialect(await PGliteThread.start(dataDir)) });
    try {
      await sql`create table items (id int primary key, name text not null, at timestamptz not null, body jsonb)`.execute(
        db,
      );
      const at = new Date('2026-01-02T03:04:05.000Z');
      await db
        .insertInto('items')
        .values({ id: 1, name: "o'brien; drop table items", at, body: JSON.stringify({ n: [1, 2] }) })
        .execute();
      await db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('items').values({ id: 2, name: 'rolled back', at }).execute();
          throw new Error('abort');
        })
        .catch(() => {});
      const rows = await db.selectFrom('items').selectAll().execute();
      expect(rows).toEqual([{ id: 1, name: "o'brien; drop table items", at, body: { n: [1, 2] } }]);
      expect(rows[0]!.at).toBeInstanceOf(Date);
      const updated = await db.updateTable('items').set({ name: 'x' }).where('id', '=', 1).executeTakeFirst();
      expect(updated.numUpdatedRows).toBe(1n);
    } finally {
      await db.destroy();
    }
    db = new Kysely<any>({ dialect: new PGliteDialect(await PGliteThread.start(dataDir)) });
    try {
      expect(await db.selectFrom('items').select('name').execute()).toEqual([{ name: 'x' }]);
    } finally {
      await db.destroy();
    }
  });

  it('keeps every other statement out of an open transaction, though statements are sent ahead', async () => {
    const db = new Kysely<any>({
      dialect: new PGliteDialect(await PGliteThread.start(await withEmptyCluster('pipelined'))),
    });
    try {
      await sql`create table t (id int primary key)`.execute(db);
      let open!: () => void;
      const held = new Promise<void>((resolve) => (open = resolve));
      const settledWhileOpen: string[] = [];
      const transaction = db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('t').values({ id: 1 }).execute();
          await held;
          throw new Error('roll back');
        })
        .catch(() => {});
      // Give the transaction's first statement time to be sent, then crowd the connection.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const others = [db.insertInto('t').values({ id: 2 }).execute(), db.selectFrom('t').select('id').execute()].map(
        (p) =>
          p.then((r) => {
            settledWhileOpen.push('settled');
            return r;
          }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settledWhileOpen).toEqual([]);
      open();
      await transaction;
      const [, seen] = await Promise.all(others);
      // Run after the rollback, not inside the transaction: neither saw row 1, and row 2 was not rolled back.
      expect(seen).toEqual([{ id: 2 }]);
      expect(await db.selectFrom('t').select('id').execute()).toEqual([{ id: 2 }]);
      // A transaction that sends nothing (its begin was never sent) still hands the connection on.
      await db.transaction().execute(async () => {});
      expect(await db.selectFrom('t').select('id').execute()).toEqual([{ id: 2 }]);
    } finally {
      await db.destroy();
    }
  });

  it("sends a transaction's begin with its first statement, which runs only if begin did", async () => {
    const thread = await PGliteThread.start(await withEmptyCluster('begin'));
    try {
      await thread.query('create table t (id int primary key)');
      await thread.queryAfterBegin('insert into t values ($1)', [1]);
      await thread.query('rollback');
      expect((await thread.query('select id from t')).rows).toEqual([]);
      // In a failed transaction begin is refused, and the statement with it is not run.
      await thread.query('begin');
      await expect(thread.query('select 1/0')).rejects.toThrow(/division by zero/);
      await expect(thread.queryAfterBegin('select 1')).rejects.toThrow(/current transaction is aborted/);
      await thread.query('rollback');
      expect((await thread.query<{ n: number }>('select count(*)::int as n from t')).rows).toEqual([{ n: 0 }]);
    } finally {
      await thread.close();
    }
  });

  it('brings PostgreSQL errors across with their SQLSTATE, and refuses work once closed', async () => {
    const thread = await PGliteThread.start(await withEmptyCluster('two'));
    // The project's settings apply (src/platform/db/pglite-settings.ts), not PGlite's 128 MB default.
    expect((await thread.query<{ shared_buffers: string }>('show shared_buffers')).rows).toEqual([
      { shared_buffers: '12MB' },
    ]);
    await thread.query('create table t (id int primary key)');
    await thread.query('insert into t values ($1)', [1]);
    const error = await thread.query('insert into t values ($1)', [1]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505', constraint: 't_pkey' });
    // A parameter that cannot cross to the thread fails its statement only.
    await expect(thread.query('select $1::text', [() => 1])).rejects.toThrow();
    // The database is still usable after an error.
    expect((await thread.query<{ n: number }>('select count(*)::int as n from t')).rows).toEqual([{ n: 1 }]);
    await thread.close();
    await thread.close();
    await expect(thread.query('select 1')).rejects.toThrow('closed');
  });

  it('hosts several databases on one thread, each with its own data, opened and closed on their own', async () => {
    const before = workerThreads();
    const thread = new DatabaseThread();
    const [a, b] = await Promise.all([
      thread.open(await withEmptyCluster('shared-a')),
      thread.open(await withEmptyCluster('shared-b')),
    ]);
    if (before !== undefined) expect(workerThreads()).toBe(before + 1);
    await Promise.all([a.query('create table t (v text)'), b.query('create table t (v text)')]);
    // A transaction open in one does not hold the other back, and statements interleave.
    await a.queryAfterBegin('insert into t values ($1)', ['a1']);
    await b.query('insert into t values ($1)', ['b1']);
    expect((await b.query('select v from t')).rows).toEqual([{ v: 'b1' }]);
    await a.query('rollback');
    expect((await a.query('select count(*)::int as n from t')).rows).toEqual([{ n: 0 }]);

    // One that cannot open fails alone.
    const broken = path.join(dir, 'shared-broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'PG_VERSION'), 'not a cluster\n');
    await expect(thread.open(broken)).rejects.toThrow(/PGlite failed to initialize/);
    expect((await b.query('select v from t')).rows).toEqual([{ v: 'b1' }]);

    await a.close();
    await expect(a.query('select 1')).rejects.toThrow('closed');
    expect((await b.query('select v from t')).rows).toEqual([{ v: 'b1' }]);
    await b.close();
    // The thread ended with its last database; opening one starts it again, the data still on disk.
    expect(await settledWorkerThreads(before)).toBe(before);
    const again = await thread.open(path.join(dir, 'shared-b'));
    expect((await again.query('select v from t')).rows).toEqual([{ v: 'b1' }]);
    await again.close();
  });

  it("runs databases on a thread that hosts them, the queue emulator's, beside the queues", async () => {
    const before = workerThreads();
    const emulator = await startQueueEmulator({ port: 0, dataDir: path.join(dir, 'hosted-queues') });
    const { sqs } = createAwsClients(emulator.endpoint);
    try {
      const [a, b] = await Promise.all([
        emulator.databases.open(await withEmptyCluster('hosted-a')),
        emulator.databases.open(await withEmptyCluster('hosted-b')),
      ]);
      // The emulator's thread and nothing more.
      if (before !== undefined) expect(workerThreads()).toBe(before + 1);
      await a.query('create table t (v text)');
      await a.query('insert into t values ($1)', ['a1']);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'hosted' }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'beside the databases' }));
      const [received] = await Promise.all([
        sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 })),
        b.query('select 1 as one'),
      ]);
      expect(received.Messages?.map((m) => m.Body)).toEqual(['beside the databases']);
      expect((await a.query('select v from t')).rows).toEqual([{ v: 'a1' }]);

      // Closing its last database leaves the host running; a database opened again finds its data.
      await a.close();
      await b.close();
      expect(workerThreads()).toBe(before === undefined ? undefined : before + 1);
      const again = await emulator.databases.open(path.join(dir, 'hosted-a'));
      expect((await again.query('select v from t')).rows).toEqual([{ v: 'a1' }]);

      // When the host thread ends, its databases refuse work instead of waiting forever.
      await emulator.stop();
      await expect(again.query('select 1')).rejects.toThrow(/gone|not running/);
    } finally {
      sqs.destroy();
      await emulator.stop().catch(() => {});
    }
    expect(await settledWorkerThreads(before)).toBe(before);
  });

  it('fails to open on a host thread that is gone, rather than waiting for it', async () => {
    const { port1, port2 } = new MessageChannel();
    const thread = new DatabaseThread({ host: port1 });
    port2.close();
    // Already a cluster, so nothing is created first: the open goes straight to the host.
    const existing = path.join(dir, 'hostless');
    await mkdir(existing);
    await writeFile(path.join(existing, 'PG_VERSION'), '17\n');
    await expect(thread.open(existing)).rejects.toThrow(/gone/);
    await expect(thread.open(existing)).rejects.toThrow(/gone/);
  });

  it('reports a database it cannot open, from the thread', async () => {
    const broken = path.join(dir, 'broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'PG_VERSION'), 'not a cluster\n');
    await expect(PGliteThread.start(broken)).rejects.toThrow(/PGlite failed to initialize/);
  });

  it('reports a data directory it cannot create', async () => {
    await expect(PGliteThread.start('/proc/no-such-place/db')).rejects.toThrow(/could not create the database/);
  });
});
