import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../src/databases/inventory/tables.ts';
import { FactorySimulator } from '../../src/factory-simulator/simulator.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { topology } from '../../src/topology.ts';
import { copyEmptyPglite } from '../chaos/harness.ts';
import { freePort, type SpawnedSystem, spawnSystem } from '../helpers/spawned.ts';
import { createPostgresDatabases, ENGINES, productBody, waitFor } from '../helpers/system.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/**
 * `npm start` is SIGKILLed the moment the factory accepts its order, before the system can record the
 * answer. After the restart the queue delivers the event again: the system cannot know whether the
 * factory took the order, so it must not order again, but wait for the callback. The factory (outside
 * the system, ignoring Idempotency-Key as a legacy one may) ends with one production job.
 */
describe.each(ENGINES)('SIGKILL right after the factory accepted an order, on %s', (engine) => {
  it('restarts without ordering again: one production job, one restock', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-e2e-kill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const databases = engine === 'postgres' ? await createPostgresDatabases() : {};
    if (engine === 'pglite') {
      await Promise.all(
        topology.databases.map((d) => copyEmptyPglite(path.join(dataDir, d.name), inject('pgliteTemplate'))),
      );
    }
    let victim: SpawnedSystem | undefined;
    // Production never finishes by itself: the test delivers the callback once the system is back.
    const simulator = new FactorySimulator({
      stageMs: 600_000,
      faults: { ignoreIdempotencyKey: true },
      log: (message) => {
        if (message === 'factory order received' && victim) {
          victim.child.kill('SIGKILL');
          victim = undefined;
        }
      },
    });
    const factoryUrl = await simulator.listen(0);
    cleanups.push(() => simulator.close());
    const port = await freePort();
    const env = {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      FACTORY_URL: factoryUrl,
      FACTORY_TIMEOUT_MS: '1000',
      QUEUE_VISIBILITY_TIMEOUT_S: '2',
      ...databases,
    };

    const first = await spawnSystem(env);
    cleanups.push(() => first.kill());
    const sku = 'KILL-1';
    await first.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 2, reorderPoint: 0, reorderQuantity: 30 }),
      admin: true,
    });
    victim = first;
    // The sale commits before its event reaches the factory; the kill may cut its answer short.
    await first.api('/checkout', { json: { sku, quantity: 2, customerId: 'kill' } }).catch(() => undefined);
    await waitFor(
      'the factory order and the kill',
      async () => simulator.jobs.size === 1 && (first.child.exitCode !== null || first.child.signalCode !== null),
      30_000,
    );
    await first.kill();

    const second = await spawnSystem(env);
    cleanups.push(() => second.stop());
    // The event comes again once its message is visible; let every delivery the queue would make happen.
    await waitFor(
      'factory-orders to drain',
      async () => {
        const { queues } = (await second.api('/ops/queues', { admin: true })).body as {
          queues: { name: string; messages: number; inFlight: number }[];
        };
        const queue = queues.find((q) => q.name === 'factory-orders')!;
        return queue.messages + queue.inFlight === 0;
      },
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(simulator.jobs.size).toBe(1);
    const product = (await second.api(`/products/${sku}`)).body;
    expect(product).toMatchObject({ stock: 0, replenishment: { status: 'unconfirmed' } });

    // The factory finishes and calls back: the order completes once.
    const job = [...simulator.jobs.values()][0]!;
    const callback = await fetch(job.body.CallbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job.body),
    });
    expect(callback.status).toBe(202);
    await waitFor('the restock', async () => (await second.api(`/products/${sku}`)).body.replenishment === null);
    expect((await second.api(`/products/${sku}`)).body.stock).toBe(30);
    expect(simulator.jobs.size).toBe(1);
    expect(await second.stop()).toBe(0);

    const inventory = await openDatabase<InventoryTables>({
      url: databases.DATABASE_URL,
      dataDir: path.join(dataDir, 'inventory'),
      migrations: inventoryMigrations,
    });
    try {
      const replenishments = await inventory.db
        .selectFrom('replenishments')
        .selectAll()
        .where('sku', '=', sku)
        .execute();
      expect(replenishments).toHaveLength(1);
      expect(replenishments[0]).toMatchObject({ status: 'completed', produced_quantity: 30, order_attempts: 1 });
      const completed = await inventory.db
        .selectFrom('outbox')
        .select('payload')
        .where('type', '=', 'replenishment.completed')
        .execute();
      expect(completed).toHaveLength(1);
    } finally {
      await inventory.close();
    }
  }, 300_000);
});
