import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import {
  type InventoryTables,
  OPEN_REPLENISHMENT_STATUSES,
  type ReplenishmentStatus,
} from '../../src/databases/inventory/tables.ts';
import type { FactoryJob } from '../../src/factory-simulator/simulator.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { reorderWhenReplenishmentTimesOut } from '../../src/services/warehouse/reorder-timed-out.job.ts';
import {
  copyEmptyPglite,
  createPostgresDatabases,
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
} from '../helpers/system.ts';

describeOnEachEngine('replenishment timeout on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // The factory never finishes by itself; an order unanswered for 2 s is re-requested.
    system = await startTestSystem(
      {
        FACTORY_STAGE_MS: '600000',
        REPLENISHMENT_TIMEOUT_S: '2',
        SCHEDULE_INTERVAL_S: '1',
      },
      engine,
    );
  });
  afterAll(async () => system?.destroy());

  const post = (job: FactoryJob) =>
    fetch(job.body.CallbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job.body),
    });

  it('re-orders an unanswered replenishment; a late callback of the first order is applied once, not twice', async () => {
    const sku = uniqueSku('TIMEOUT');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 2, reorderPoint: 0, reorderQuantity: 40 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 2, customerId: 't' } })).status).toBe(201);
    const jobs = () => [...system.simulator!.jobs.values()].filter((j) => j.body.MessageAttributeProductId === sku);
    await waitFor('a second factory order', async () => jobs().length >= 2, 15_000);

    const rows = await system.inventory.db
      .selectFrom('replenishments')
      .selectAll()
      .where('sku', '=', sku)
      .orderBy('requested_at')
      .execute();
    expect(rows[0]!.status).toBe('timed_out');
    expect(rows.filter((r) => (OPEN_REPLENISHMENT_STATUSES as readonly string[]).includes(r.status))).toHaveLength(1);

    // The first order's goods arrive late, twice.
    const first = jobs()[0]!;
    expect((await post(first)).status).toBe(202);
    await waitFor('the late delivery', async () => (await system.api(`/products/${sku}`)).body.stock === 40);
    const again = await post(first);
    expect(again.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await system.api(`/products/${sku}`)).body.stock).toBe(40);
    const late = await system.inventory.db
      .selectFrom('replenishments')
      .select(['status', 'lead_time_s'])
      .where('id', '=', rows[0]!.id)
      .executeTakeFirstOrThrow();
    expect(late.status).toBe('completed');
    // Its wait measured the timeout, not the factory: no lead time is recorded for planning.
    expect(late.lead_time_s).toBeNull();
  });
});

/**
 * The timeout is counted from when the order was sent (CONTRACT.md), not from when the replenishment
 * opened: one that waited long to be ordered (a factory outage, a redriven DLQ) still gets its full
 * time at the factory. The job runs here by hand on a real database, so the clock is the rows'.
 */
describeOnEachEngine('replenishment timeout clock on %s', (engine) => {
  let dir: string;
  let database: Database<InventoryTables>;
  const TIMEOUT_S = 60;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-timeout-clock-'));
    const url = engine === 'postgres' ? (await createPostgresDatabases()).DATABASE_URL : undefined;
    if (!url) await copyEmptyPglite(dir);
    database = await openDatabase<InventoryTables>({
      url,
      dataDir: dir,
      migrations: inventoryMigrations,
      thread: false,
    });
  });
  afterAll(async () => {
    await database?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const job = () =>
    reorderWhenReplenishmentTimesOut({
      db: database.db,
      logger: createLogger('silent'),
      outboxSignal: () => {},
      replenishmentTimeoutS: TIMEOUT_S,
    })();

  /** A product with one open replenishment in `status`, its clocks `ago` seconds back. */
  async function open(
    status: ReplenishmentStatus,
    ago: { requested: number; sent: number | null },
  ): Promise<{ sku: string; id: string }> {
    const sku = uniqueSku('CLOCK');
    const id = randomUUID();
    await database.db
      .insertInto('products')
      .values({ sku, name: 'Clock', price: '1.00', stock: 0, reorder_point: 0, reorder_quantity: 10, factory_id: 'f' })
      .execute();
    const at = (s: number | null) => (s === null ? null : sql<Date>`now() - make_interval(secs => ${s})`);
    await database.db
      .insertInto('replenishments')
      .values({
        id,
        sku,
        quantity: 10,
        factory_id: 'f',
        status,
        correlation_id: 'clock',
        requested_at: at(ago.requested) as never,
        ordered_at: (status === 'ordered' || status === 'unconfirmed' ? at(ago.sent) : null) as never,
        ...(status === 'ordering' ? { order_claimed_at: at(ago.sent) as never, order_attempts: 1 } : {}),
      } as never)
      .execute();
    return { sku, id };
  }

  const statusOf = async (id: string) =>
    (await database.db.selectFrom('replenishments').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it.each(['ordered', 'unconfirmed', 'ordering'] as const)(
    'a replenishment %s recently but requested long ago is not timed out; once sent long ago, it is',
    async (status) => {
      const fresh = await open(status, { requested: 3600, sent: TIMEOUT_S / 2 });
      const stale = await open(status, { requested: 3600, sent: TIMEOUT_S + 5 });
      await job();
      expect(await statusOf(fresh.id)).toBe(status);
      expect(await statusOf(stale.id)).toBe('timed_out');
      // The timed-out one was requested again: one open replenishment for its sku, a new one.
      const reopened = await database.db
        .selectFrom('replenishments')
        .select(['id', 'status'])
        .where('sku', '=', stale.sku)
        .where('status', '=', 'requested')
        .execute();
      expect(reopened).toHaveLength(1);
      expect(reopened[0]!.id).not.toBe(stale.id);
    },
  );

  it('a replenishment still requested counts from when it was requested', async () => {
    const fresh = await open('requested', { requested: TIMEOUT_S / 2, sent: null });
    const stale = await open('requested', { requested: TIMEOUT_S + 5, sent: null });
    await job();
    expect(await statusOf(fresh.id)).toBe('requested');
    expect(await statusOf(stale.id)).toBe('timed_out');
  });

  it('orders again the planned quantity (filled up to the plan) of an adaptive product, the operator one of a fixed product', async () => {
    const adaptive = await open('ordered', { requested: 3600, sent: TIMEOUT_S + 5 });
    const fixed = await open('ordered', { requested: 3600, sent: TIMEOUT_S + 5 });
    await database.db
      .updateTable('products')
      .set({ reorder_policy: 'adaptive', effective_reorder_point: 40, effective_reorder_quantity: 77 })
      .where('sku', '=', adaptive.sku)
      .execute();
    await job();
    const reordered = async (sku: string) =>
      (
        await database.db
          .selectFrom('replenishments')
          .select('quantity')
          .where('sku', '=', sku)
          .where('status', '=', 'requested')
          .executeTakeFirstOrThrow()
      ).quantity;
    // The planned quantity plus the shortfall below the effective point: stock 0, so 77 + 40.
    expect(await reordered(adaptive.sku)).toBe(117);
    expect(await reordered(fixed.sku)).toBe(10);
  });
});
