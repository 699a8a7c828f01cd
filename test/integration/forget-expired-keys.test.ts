import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { forgetExpiredIdempotencyKeys } from '../../src/services/sales/forget-expired-keys.job.ts';
import { topology } from '../../src/topology.ts';
import { ENGINES, startTestSystem, type TestSystem, uniqueSku } from '../helpers/system.ts';

describe.each(ENGINES)('the idempotency-key-expiry job on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // The scheduled run stays out of the way; the test runs the job itself.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000', SCHEDULE_INTERVAL_S: '3600' }, engine);
  });
  afterAll(async () => system?.destroy());

  /** Stores `count` keys of one customer, `ageS` seconds old. */
  async function storeKeys(customerId: string, count: number, ageS: number): Promise<void> {
    await sql`insert into idempotency_keys (customer_id, key, request_hash, status_code, response, created_at)
      select ${customerId}, 'k-' || i, 'h', 201, '{}'::jsonb, now() - make_interval(secs => ${ageS}::int)
      from generate_series(1, ${count}::int) i`.execute(system.inventory.db);
  }

  async function keysOf(customerId: string): Promise<number> {
    const row = await system.inventory.db
      .selectFrom('idempotency_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('customer_id', '=', customerId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('is a sales job in the topology, which the running system wired', () => {
    expect(topology.schedules).toContainEqual(
      expect.objectContaining({
        name: 'idempotency-key-expiry',
        job: { service: 'sales', handler: 'forgetExpiredKeys' },
      }),
    );
  });

  it('deletes keys older than the TTL in bounded batches, oldest first, and leaves younger ones', async () => {
    const old = uniqueSku('OLD');
    const young = uniqueSku('YOUNG');
    await storeKeys(old, 250, 2 * 86_400);
    await storeKeys(young, 20, 60);
    const job = forgetExpiredIdempotencyKeys({
      db: system.inventory.db,
      logger: createLogger('silent'),
      idempotencyTtlS: 3600,
      batchSize: 100,
      maxBatches: 2,
    });
    // Two batches of 100 per run: the rest waits for the next run.
    expect(await job()).toBe(200);
    expect(await keysOf(old)).toBe(50);
    expect(await job()).toBe(50);
    expect(await keysOf(old)).toBe(0);
    expect(await job()).toBe(0);
    expect(await keysOf(young)).toBe(20);
  });
});
