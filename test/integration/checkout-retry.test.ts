import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
} from '../helpers/system.ts';

// Only a database server runs transactions side by side, so only there can a checkout deadlock; the
// embedded engine runs one statement at a time and never does.
describe('checkout on PostgreSQL, chosen as the victim of a deadlock', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000' }, 'postgres');
  });
  afterAll(async () => system?.destroy());

  /** Sessions of this database waiting for a lock. */
  async function waitingForALock(): Promise<number> {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(system.inventory.db);
    return rows[0]!.n;
  }

  it('is retried and answers 201: one order, stock down once', async () => {
    const sku = uniqueSku('DEADLOCK');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 20, reorderPoint: 0 }),
      admin: true,
    });
    const key = `deadlock-${sku}`;
    let answer: Promise<ApiResponse> | undefined;
    // Another transaction (a stand-in for a concurrent restock) holds what the checkout needs last (its
    // key) and then asks for what the checkout took first (the product row): a deadlock. Its own
    // detector waits longer, so PostgreSQL undoes the checkout's transaction, not this one.
    const rolledBack = system.inventory.db
      .transaction()
      .execute(async (trx) => {
        await sql`set local deadlock_timeout = '30s'`.execute(trx);
        await sql`insert into idempotency_keys (customer_id, key, request_hash, status_code, response)
          values ('dl', ${key}, 'other', 201, '{}'::jsonb)`.execute(trx);
        answer = system.api('/checkout', {
          json: { sku, quantity: 1, customerId: 'dl' },
          headers: { 'Idempotency-Key': key },
        });
        await waitFor('the checkout to wait for the key', async () => (await waitingForALock()) > 0);
        await sql`update products set stock = stock where sku = ${sku}`.execute(trx);
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);
    expect(await rolledBack).toBe('roll back');
    const res = await answer!;
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ order: { sku, quantity: 1, customerId: 'dl' }, remaining: 19 });
    expect((await system.api(`/products/${sku}`)).body.stock).toBe(19);
    const orders = await system.inventory.db.selectFrom('orders').select('id').where('sku', '=', sku).execute();
    expect(orders).toEqual([{ id: res.body.order.id }]);
  });
});
