import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../src/databases/inventory/tables.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { planReplenishment } from '../../src/services/sales/planning/plan-replenishment.job.ts';
import { DEFAULT_PLANNING_SETTINGS } from '../../src/services/sales/planning/settings.ts';
import { copyEmptyPglite, createPostgresDatabases, ENGINES, uniqueSku } from '../helpers/system.ts';

/**
 * The planning job by hand on a real database: what it reads (orders, deliveries), what it stores, and
 * that the measurement survives closing and reopening the database.
 */
describe.each(ENGINES)('planning job on %s', (engine) => {
  let dir: string;
  let url: string | undefined;
  let database: Database<InventoryTables>;
  const open = () =>
    openDatabase<InventoryTables>({ url, dataDir: dir, migrations: inventoryMigrations, thread: false });
  const settings = { ...DEFAULT_PLANNING_SETTINGS, maxLeadTimeS: 120 };
  const job = () => planReplenishment({ db: database.db, logger: createLogger('silent'), settings })();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-planning-'));
    url = engine === 'postgres' ? (await createPostgresDatabases()).DATABASE_URL : undefined;
    if (!url) await copyEmptyPglite(dir);
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const planningOf = (sku: string) =>
    database.db.selectFrom('product_planning').selectAll().where('sku', '=', sku).executeTakeFirstOrThrow();
  const effectiveOf = (sku: string) =>
    database.db
      .selectFrom('products')
      .select(['effective_reorder_point', 'effective_reorder_quantity'])
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();

  it('counts sales once, measures the factory, plans an adaptive product and keeps it all across a restart', async () => {
    const sku = uniqueSku('JOB');
    const fixedSku = uniqueSku('JOBFIXED');
    const factory = uniqueSku('factory');
    for (const [s, policy] of [
      [sku, 'adaptive'],
      [fixedSku, 'fixed'],
    ] as const) {
      await database.db
        .insertInto('products')
        .values({
          sku: s,
          name: 'Job',
          price: '1.00',
          stock: 10_000,
          reorder_point: 2,
          reorder_quantity: 10,
          factory_id: factory,
          reorder_policy: policy,
          order_multiple: 10,
        })
        .execute();
    }
    await job();
    const fresh = await planningOf(sku);
    expect(fresh).toMatchObject({ demand_per_s: 0, lead_time_s: 60, lead_time_deliveries: 0 });

    // Thirty seconds ago the job had not counted yet; since then 10 units per second for 20 seconds.
    await sql`update product_planning set observed_until = now() - interval '30 seconds'`.execute(database.db);
    for (let s = 25; s > 5; s--) {
      for (const target of [sku, fixedSku]) {
        await database.db
          .insertInto('orders')
          .values({
            id: randomUUID(),
            sku: target,
            quantity: 10,
            customer_id: 'job',
            correlation_id: 'job',
            created_at: sql<Date>`now() - make_interval(secs => ${s})`,
          })
          .execute();
      }
    }
    // Three deliveries of about 6 s, one after a timeout (no lead time), one absurd (a timeout by its length).
    for (const lead of [5, 6, 7, null, 900]) {
      await database.db
        .insertInto('replenishments')
        .values({
          id: randomUUID(),
          sku,
          quantity: 10,
          factory_id: factory,
          status: 'completed',
          correlation_id: 'job',
          completed_at: new Date(),
          lead_time_s: lead,
        })
        .execute();
    }
    await job();
    const measured = await planningOf(sku);
    // 20 seconds at 10/s, half-life 20 s, then about five silent seconds: well above 3 and below 10.
    expect(measured.demand_per_s).toBeGreaterThan(3);
    expect(measured.demand_per_s).toBeLessThan(10);
    expect(measured).toMatchObject({ lead_time_s: 6, lead_time_deliveries: 3 });
    expect(measured.reorder_point).toBeGreaterThanOrEqual(Math.floor(measured.demand_per_s * 6));
    expect(measured.order_quantity % 10).toBe(0);
    expect(await effectiveOf(sku)).toEqual({
      effective_reorder_point: measured.reorder_point,
      effective_reorder_quantity: measured.order_quantity,
    });
    // A fixed product is planned as a suggestion only.
    expect((await planningOf(fixedSku)).reorder_point).toBe(measured.reorder_point);
    expect(await effectiveOf(fixedSku)).toEqual({ effective_reorder_point: null, effective_reorder_quantity: null });

    // Running again counts no sale twice: the estimate can only have decayed.
    await job();
    const again = await planningOf(sku);
    expect(again.demand_per_s).toBeLessThanOrEqual(measured.demand_per_s);
    expect(again.demand_per_s).toBeGreaterThan(measured.demand_per_s / 2);

    await database.close();
    database = await open();
    const reopened = await planningOf(sku);
    expect(reopened.demand_per_s).toBe(again.demand_per_s);
    await job();
    const continued = await planningOf(sku);
    expect(continued.demand_per_s).toBeGreaterThan(0);
    expect(continued.demand_per_s).toBeLessThanOrEqual(again.demand_per_s);
    expect(continued.lead_time_deliveries).toBe(3);
  });
  it('counts each line of a cart for its own sku and no line of a cancelled order', async () => {
    const [first, second, cancelledOnly] = [uniqueSku('CARTA'), uniqueSku('CARTB'), uniqueSku('CANCELLED')];
    for (const s of [first, second, cancelledOnly]) {
      await database.db
        .insertInto('products')
        .values({
          sku: s,
          name: 'Cart',
          price: '1.00',
          stock: 10_000,
          reorder_point: 0,
          reorder_quantity: 10,
          factory_id: 'cart-factory',
        })
        .execute();
    }
    await job();
    await sql`update product_planning set observed_until = now() - interval '30 seconds'
      where sku in (${first}, ${second}, ${cancelledOnly})`.execute(database.db);
    const order = async (
      lines: readonly (readonly [string, number])[],
      status: 'placed' | 'cancelled',
      secondsAgo: number,
    ) => {
      const id = randomUUID();
      const single = lines.length === 1 ? lines[0] : undefined;
      await database.db
        .insertInto('orders')
        .values({
          id,
          sku: single ? single[0] : null,
          quantity: lines.reduce((sum, [, q]) => sum + q, 0),
          customer_id: 'cart',
          correlation_id: 'cart',
          status,
          cancelled_at: status === 'cancelled' ? new Date() : null,
          created_at: sql<Date>`now() - make_interval(secs => ${secondsAgo})`,
        })
        .execute();
      if (!single) {
        await database.db
          .insertInto('order_lines')
          .values(lines.map(([sku, quantity]) => ({ order_id: id, sku, quantity })))
          .execute();
      }
    };
    // Every second for 20 seconds: a cart of 3 + 5 units, a cancelled cart of the same skus and a
    // cancelled single-sku order.
    for (let s = 25; s > 5; s--) {
      await order(
        [
          [first, 3],
          [second, 5],
        ],
        'placed',
        s,
      );
      await order(
        [
          [first, 100],
          [second, 1],
        ],
        'cancelled',
        s,
      );
      await order([[cancelledOnly, 50]], 'cancelled', s);
    }
    await job();
    const [a, b, c] = await Promise.all([planningOf(first), planningOf(second), planningOf(cancelledOnly)]);
    expect(a.demand_per_s).toBeGreaterThan(1);
    // The same seconds folded, so the two estimates stand as the cart's quantities do.
    expect(b.demand_per_s / a.demand_per_s).toBeCloseTo(5 / 3, 6);
    expect(c.demand_per_s).toBe(0);
  });

  it('counts the sales a product made before the job first saw it', async () => {
    const sku = uniqueSku('NEWBORN');
    // Created ten seconds ago and sold 20 units a second since, all before this job's first run.
    await database.db
      .insertInto('products')
      .values({
        sku,
        name: 'Newborn',
        price: '1.00',
        stock: 10_000,
        reorder_point: 0,
        reorder_quantity: 10,
        factory_id: 'newborn-factory',
        reorder_policy: 'adaptive',
        created_at: sql<Date>`now() - interval '10 seconds'`,
      })
      .execute();
    for (let s = 9; s > 1; s--) {
      await database.db
        .insertInto('orders')
        .values({
          id: randomUUID(),
          sku,
          quantity: 20,
          customer_id: 'newborn',
          correlation_id: 'newborn',
          created_at: sql<Date>`now() - make_interval(secs => ${s})`,
        })
        .execute();
    }
    await job();
    const planned = await planningOf(sku);
    expect(planned.demand_per_s).toBeGreaterThan(1);
    expect((await effectiveOf(sku)).effective_reorder_point).toBeGreaterThan(0);
  });

  it('keeps a fast estimate beside the slow one: the point follows the larger, the order the smaller', async () => {
    const sku = uniqueSku('FADING');
    await database.db
      .insertInto('products')
      .values({
        sku,
        name: 'Fading',
        price: '1.00',
        stock: 10_000,
        reorder_point: 0,
        reorder_quantity: 1,
        factory_id: 'fading-factory',
        reorder_policy: 'adaptive',
      })
      .execute();
    await job();
    // 10 units a second from 60 to 20 seconds ago, nothing since: the surge is over.
    await sql`update product_planning set observed_until = now() - interval '60 seconds' where sku = ${sku}`.execute(
      database.db,
    );
    for (let s = 60; s > 20; s--) {
      await database.db
        .insertInto('orders')
        .values({
          id: randomUUID(),
          sku,
          quantity: 10,
          customer_id: 'fading',
          correlation_id: 'fading',
          created_at: sql<Date>`now() - make_interval(secs => ${s})`,
        })
        .execute();
    }
    await job();
    const plan = await planningOf(sku);
    // Half-lives of 20 s and 5 s, twenty silent seconds: the slow one still near 4/s, the fast one under 1.
    expect(plan.demand_per_s).toBeGreaterThan(3);
    expect(plan.fast_demand_per_s).toBeLessThan(1);
    // The default lead time (60 s) is longer than the cover: the point covers it at the slow estimate, the
    // order at the fast one.
    expect(plan.reorder_point).toBeGreaterThanOrEqual(Math.floor(plan.demand_per_s * 60 * 0.9));
    expect(plan.order_quantity).toBeLessThanOrEqual(Math.ceil(plan.fast_demand_per_s * 60));
    expect(await effectiveOf(sku)).toEqual({
      effective_reorder_point: plan.reorder_point,
      effective_reorder_quantity: plan.order_quantity,
    });
  });

  it('plans on the sales of the last moment without storing them until their second has settled', async () => {
    // The order must still be in the unsettled second when the job reads it: a run that came later than
    // that (a stalled machine) proves nothing, so it is tried again on a fresh product.
    const attempt = async () => {
      const sku = uniqueSku('MOMENT');
      await database.db
        .insertInto('products')
        .values({
          sku,
          name: 'Moment',
          price: '1.00',
          stock: 10_000,
          reorder_point: 0,
          reorder_quantity: 1,
          factory_id: 'moment-factory',
          reorder_policy: 'adaptive',
        })
        .execute();
      await job();
      const started = performance.now();
      await database.db
        .insertInto('orders')
        .values({
          id: randomUUID(),
          sku,
          quantity: 50,
          customer_id: 'moment',
          correlation_id: 'moment',
          created_at: sql<Date>`now() - interval '200 milliseconds'`,
        })
        .execute();
      await job();
      return performance.now() - started < 700 ? sku : undefined;
    };
    let sku: string | undefined;
    for (let i = 0; i < 5 && !sku; i++) sku = await attempt();
    if (!sku) throw new Error('the job never ran within 700 ms of an order: the machine is too slow for this test');
    const early = await planningOf(sku);
    expect(early).toMatchObject({ demand_per_s: 0, fast_demand_per_s: 0 });
    expect(early.reorder_point).toBeGreaterThan(0);
    expect((await effectiveOf(sku)).effective_reorder_point).toBe(early.reorder_point);
    // Once its second has settled, the next run stores it, once.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await job();
    const settled = await planningOf(sku);
    expect(settled.demand_per_s).toBeGreaterThan(0);
    expect(settled.fast_demand_per_s).toBeGreaterThan(settled.demand_per_s);
    await job();
    expect((await planningOf(sku)).demand_per_s).toBeLessThanOrEqual(settled.demand_per_s);
  });
});
