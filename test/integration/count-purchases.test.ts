import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomersTables } from '../../src/databases/customers/tables.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { recordPurchases } from '../../src/services/customers/customers.repository.ts';
import { customersMigrations } from '../../src/services/customers/index.ts';
import { copyEmptyPglite, createPostgresDatabases, ENGINES } from '../helpers/system.ts';

const purchase = (orderId: string, customerId: string, quantity: number) => ({
  orderId,
  customerId,
  quantity,
  correlationId: `corr-${orderId}`,
});

describe.each(ENGINES)('counting purchases in batches on %s', (engine) => {
  let dir: string;
  let customers: Database<CustomersTables>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-count-purchases-'));
    const url = engine === 'postgres' ? (await createPostgresDatabases()).CUSTOMERS_DATABASE_URL : undefined;
    if (!url) await copyEmptyPglite(dir);
    customers = await openDatabase<CustomersTables>({ url, dataDir: dir, migrations: customersMigrations });
  });
  afterAll(async () => {
    await customers?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts each order once, reports running totals, and promotes at the order that reaches the threshold', async () => {
    const first = await recordPurchases(
      customers.db,
      [
        purchase('o1', 'ada', 60),
        purchase('o2', 'bob', 5),
        purchase('o1', 'ada', 60), // the same order again in the batch: counts nothing
        purchase('o3', 'ada', 30),
        purchase('o4', 'ada', 20), // 110: this one promotes
        purchase('o5', 'ada', 1),
      ],
      100,
    );
    expect(first.map((o) => (o.counted ? [o.customer.purchasedQuantity, o.customer.tier, o.promoted] : null))).toEqual([
      [60, 'normal', false],
      [5, 'normal', false],
      null,
      [90, 'normal', false],
      [110, 'vip', true],
      [111, 'vip', false],
    ]);
    // A redelivered order counts nothing; bob crosses exactly at 100 in a later batch.
    const second = await recordPurchases(
      customers.db,
      [purchase('o5', 'ada', 1), purchase('o6', 'bob', 95), purchase('o7', 'ada', 1)],
      100,
    );
    expect(second.map((o) => (o.counted ? [o.customer.purchasedQuantity, o.customer.tier, o.promoted] : null))).toEqual(
      [null, [100, 'vip', true], [112, 'vip', false]],
    );

    const rows = await customers.db
      .selectFrom('customers')
      .select(['id', 'tier', 'purchased_quantity'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'ada', tier: 'vip', purchased_quantity: 112 },
      { id: 'bob', tier: 'vip', purchased_quantity: 100 },
    ]);
    const events = await customers.db.selectFrom('outbox').select(['id', 'type', 'payload']).orderBy('seq').execute();
    expect(events.map((e) => e.payload)).toEqual([
      {
        id: events[0]!.id,
        type: 'customer.promoted',
        occurredAt: expect.any(String),
        correlationId: 'corr-o4',
        data: {
          customerId: 'ada',
          tier: 'vip',
          purchasedQuantity: 110,
          threshold: 100,
          orderId: 'o4',
          promotedAt: expect.any(String),
        },
      },
      {
        id: events[1]!.id,
        type: 'customer.promoted',
        occurredAt: expect.any(String),
        correlationId: 'corr-o6',
        data: {
          customerId: 'bob',
          tier: 'vip',
          purchasedQuantity: 100,
          threshold: 100,
          orderId: 'o6',
          promotedAt: expect.any(String),
        },
      },
    ]);
    const processed = await customers.db.selectFrom('processed_orders').select('order_id').execute();
    expect(processed.map((p) => p.order_id).sort()).toEqual(['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7']);
  });

  it('promotes a customer once when concurrent batches cross the threshold together', async () => {
    const batches = Array.from({ length: 8 }, (_, i) => [purchase(`c-${i}`, 'cy', 20)]);
    const outcomes = (await Promise.all(batches.map((batch) => recordPurchases(customers.db, batch, 100)))).flat();
    expect(outcomes.filter((o) => o.counted && o.promoted)).toHaveLength(1);
    const cy = await customers.db.selectFrom('customers').selectAll().where('id', '=', 'cy').executeTakeFirstOrThrow();
    expect(cy).toMatchObject({ tier: 'vip', purchased_quantity: 160 });
    const promotions = await customers.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'customer.promoted')
      .execute();
    expect(
      promotions.filter((p) => (p.payload as { data: { customerId: string } }).data.customerId === 'cy'),
    ).toHaveLength(1);
  });
});
