import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PGliteStatements } from '../../src/platform/db/pglite-prepared.ts';

describe('function calls as prepared statements on PGlite', () => {
  let pglite: PGlite;
  let statements: PGliteStatements;

  // One database for the file (creating one runs initdb); each test starts from an empty schema, no
  // prepared statement and a fresh PGliteStatements, as on a database of its own.
  beforeAll(async () => {
    pglite = await PGlite.create();
  });
  afterAll(async () => pglite?.close());

  beforeEach(async () => {
    await pglite.exec('deallocate all; drop schema public cascade; create schema public;');
    statements = new PGliteStatements(pglite, { maxPrepared: 2 });
    await pglite.exec(`
      create table items (id int primary key, name text not null, at timestamptz not null, body jsonb);
      create function items_after(p_id int, p_at timestamptz, p_body jsonb)
        returns table (id int, name text, at timestamptz, body jsonb, n numeric)
        language sql as $$
          select i.id, i.name, i.at, i.body || p_body, 2.50::numeric from items i
          where i.id > p_id and i.at >= p_at order by i.id
        $$;
    `);
    await pglite.query('insert into items values ($1, $2, $3, $4), ($5, $6, $7, $8)', [
      1,
      "o'brien; drop table items",
      new Date('2026-01-01T00:00:00.000Z'),
      { n: 1 },
      2,
      'two',
      new Date('2026-01-02T00:00:00.000Z'),
      { n: 2 },
    ]);
  });

  const prepared = async () =>
    (await pglite.query<{ name: string }>('select name from pg_prepared_statements order by name')).rows.map(
      (row) => row.name,
    );

  it('answers a call exactly as query() does, parameters serialized by their types, and prepares it once', async () => {
    const call = 'select * from items_after($1, $2, $3)';
    const params = [0, new Date('2026-01-01T00:00:00.000Z'), JSON.stringify({ extra: true })];
    const expected = await pglite.query(call, params);
    for (let i = 0; i < 3; i++) {
      const answer = await statements.query(call, params);
      expect(answer.rows).toEqual(expected.rows);
      expect(answer.affectedRows).toBe(0);
    }
    expect(expected.rows[0]).toMatchObject({
      id: 1,
      at: new Date('2026-01-01T00:00:00.000Z'),
      body: { n: 1, extra: true },
    });
    expect(await prepared()).toHaveLength(1);
    // Parameters are values, never SQL: the name with a quote and a semicolon came back as written.
    expect((await statements.query(call, [1, new Date(0), '{}'])).rows).toEqual([
      expect.objectContaining({ id: 2, name: 'two' }),
    ]);
  });

  it('runs any other statement through query(), unprepared', async () => {
    const inserted = await statements.query('insert into items values ($1, $2, $3)', [3, 'three', new Date()]);
    expect(inserted.affectedRows).toBe(1);
    expect((await statements.query<{ name: string }>('select name from items where id = $1', [3])).rows).toEqual([
      { name: 'three' },
    ]);
    expect(await prepared()).toEqual([]);
  });

  it('fails a call with the database error, its code and the statement, and keeps working after it', async () => {
    const call = 'select * from items_after($1, $2, $3)';
    const error = await statements.query(call, [0, 'not a time', '{}']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '22007', query: call });
    expect((await statements.query(call, [0, new Date(0), '{}'])).rows).toHaveLength(2);
    const missing = await statements.query('select * from no_such_function($1)', [1]).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: '42883' });
  });

  it('keeps at most maxPrepared, closing the least recently used', async () => {
    const calls = [1, 2, 3].map((i) => `select * from items_after($1, $2, $3) where id > ${i - 1}`);
    for (const call of calls) await statements.query(call, [0, new Date(0), '{}']);
    expect(await prepared()).toHaveLength(2);
    // The first was closed; it is prepared again when it comes back, and answers the same.
    expect((await statements.query(calls[0]!, [0, new Date(0), '{}'])).rows).toHaveLength(2);
    expect(await prepared()).toHaveLength(2);
  });

  it('prepares a call again when its function was replaced with another result type', async () => {
    const call = 'select * from counted($1)';
    await pglite.exec('create function counted(p int) returns table (n int) language sql as $$ select p $$');
    expect((await statements.query(call, [7])).rows).toEqual([{ n: 7 }]);
    await pglite.exec(`
      drop function counted(int);
      create function counted(p int) returns table (n int, label text) language sql as $$ select p, 'x' $$;
    `);
    expect((await statements.query(call, [8])).rows).toEqual([{ n: 8, label: 'x' }]);
  });
});
