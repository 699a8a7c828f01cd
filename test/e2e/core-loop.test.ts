import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../src/databases/inventory/tables.ts';
import { FactorySimulator } from '../../src/factory-simulator/simulator.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { freePort, type SpawnedSystem, spawnSystem } from '../helpers/spawned.ts';
import { callApi, waitFor } from '../helpers/system.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'donut-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Everything in a compile cache directory, as text: the stripped TypeScript entries hold their source. */
async function cachedSources(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  const contents = await Promise.all(files.map((file) => readFile(path.join(file.parentPath, file.name), 'latin1')));
  return contents.join('\n');
}

/**
 * A preload for Node's options that, when the main thread exits, writes the builtin modules Node loaded to
 * `file`: to see what a start loaded without changing it.
 */
async function loadedModulesAtExit(file: string): Promise<string> {
  const preload = path.join(path.dirname(file), 'loaded-modules.mjs');
  await writeFile(
    preload,
    `import { writeFileSync } from 'node:fs';
    import { isMainThread } from 'node:worker_threads';
    if (isMainThread) process.on('exit', () => writeFileSync(${JSON.stringify(file)}, JSON.stringify(process.moduleLoadList)));`,
  );
  return `--import=${pathToFileURL(preload).href}`;
}

const SKU = 'CP-502101';

async function sellOut(system: SpawnedSystem): Promise<number> {
  const { stock } = (await system.api(`/products/${SKU}`)).body as { stock: number };
  let sold = 0;
  while (sold < stock) {
    const quantity = Math.min(40, stock - sold);
    const res = await system.api('/checkout', { json: { sku: SKU, quantity, customerId: 'e2e' } });
    expect(res.status).toBe(201);
    sold += quantity;
  }
  const short = await system.api('/checkout', { json: { sku: SKU, quantity: 1, customerId: 'e2e' } });
  expect(short.status).toBe(409);
  expect(short.body.available).toBe(0);
  return sold;
}

describe('the system started as `npm start` runs it', () => {
  it('buy to stock-out -> one factory order -> the simulator calls back -> stock restored, replenishment closed', async () => {
    const [port, factoryPort] = [await freePort(), await freePort()];
    const loadedModules = path.join(await tempDir(), 'loaded-modules.json');
    const system = await spawnSystem({
      PORT: String(port),
      FACTORY_PORT: String(factoryPort),
      DATA_DIR: await tempDir(),
      FACTORY_STAGE_MS: '100',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${await loadedModulesAtExit(loadedModules)}`.trim(),
    });
    cleanups.push(() => system.stop());

    const seeded = (await system.api(`/products/${SKU}`)).body;
    expect(seeded).toMatchObject({ sku: SKU, replenishment: null });

    // Node runs with the launcher's settings (scripts/start.sh), in the process the launcher started:
    // V8's semi-space flag, Node's compile cache, glibc's allocator variables (each unless already set).
    const cmdline = (await readFile(`/proc/${system.child.pid}/cmdline`, 'utf8')).split('\0');
    expect(cmdline).toContain('--max-semi-space-size=8');
    const environ = (await readFile(`/proc/${system.child.pid}/environ`, 'utf8')).split('\0');
    const launcherSettings = {
      NODE_COMPILE_CACHE: path.join(tmpdir(), 'node-compile-cache'),
      MALLOC_ARENA_MAX: '2',
      MALLOC_TRIM_THRESHOLD_: '131072',
      MALLOC_MMAP_THRESHOLD_: '131072',
    };
    for (const [name, value] of Object.entries(launcherSettings)) {
      expect(environ).toContain(`${name}=${process.env[name] ?? value}`);
    }
    // Nothing experimental by default: the memory trim (node:ffi) is off unless MEMORY_TRIM_INTERVAL_MS is set.
    expect(system.output()).not.toContain('malloc_trim');
    expect(system.output()).not.toContain('ExperimentalWarning');

    await sellOut(system);

    const factoryOrders = async () =>
      (await callApi(`http://127.0.0.1:${factoryPort}`, '/_simulator/orders')).body.orders as {
        body: Record<string, unknown>;
      }[];
    const restocked = await waitFor('the restock', async () => {
      const product = (await system.api(`/products/${SKU}`)).body;
      return product.replenishment === null && product.stock > 0 ? product : undefined;
    });
    expect(restocked.stock).toBe(seeded.reorderQuantity);
    const orders = await factoryOrders();
    expect(orders).toHaveLength(1);
    expect(orders[0]!.body).toMatchObject({
      MessageAttributeProductId: SKU,
      MessageAttributeProductCnt: seeded.reorderQuantity,
    });

    // SIGTERM shuts down cleanly.
    expect(await system.stop()).toBe(0);
    const builtins = JSON.parse(await readFile(loadedModules, 'utf8')) as string[];
    expect(builtins.length).toBeGreaterThan(0);
    expect(builtins.filter((name) => /\bffi\b/.test(name))).toEqual([]);
  });

  it('SIGKILL with a replenishment open: after restart the callback still completes it, no confirmed order lost', async () => {
    // The factory lives outside the system, as the real one does, so it survives the crash. It does not
    // retry a failed callback, so production (4 stages) must outlast a restart on a busy CI machine.
    const simulator = new FactorySimulator({ stageMs: 3000 });
    const factoryUrl = await simulator.listen(0);
    cleanups.push(() => simulator.close());
    const env = {
      PORT: String(await freePort()),
      DATA_DIR: await tempDir(),
      FACTORY_URL: factoryUrl,
      NODE_COMPILE_CACHE: await tempDir(),
    };

    const first = await spawnSystem(env);
    cleanups.push(() => first.stop());
    const sold = await sellOut(first);
    await waitFor('the factory order', async () => simulator.jobs.size === 1);
    const open = (await first.api(`/products/${SKU}`)).body.replenishment;
    expect(open).toMatchObject({ status: 'ordered' });
    await first.kill();
    // The start wrote its compile cache, every thread its own part, though it never got to exit: the
    // second start loads its TypeScript already stripped (the sales service on the main thread, the
    // queue emulator's thread, the inventory database's thread).
    const cached = await cachedSources(env.NODE_COMPILE_CACHE);
    const sources = ["app.post('/checkout'", 'hostDatabases(databases);', 'hostDatabases(parentPort'];
    expect(sources.filter((source) => !cached.includes(source))).toEqual([]);

    const second = await spawnSystem(env);
    cleanups.push(() => second.stop());
    const restocked = await waitFor('the restock after restart', async () => {
      const product = (await second.api(`/products/${SKU}`)).body;
      return product.replenishment === null ? product : undefined;
    });
    expect(restocked.stock).toBe(open.quantity);
    const job = [...simulator.jobs.values()][0]!;
    expect(job.callbacks.map((c) => c.status)).toEqual([202]);
    expect(simulator.jobs.size).toBe(1);
    expect((await second.api('/health')).status).toBe(200);
    expect(await second.stop()).toBe(0);

    // Every confirmed order survived the crash, exactly once.
    const inventory = await openDatabase<InventoryTables>({
      dataDir: path.join(env.DATA_DIR, 'inventory'),
      migrations: inventoryMigrations,
    });
    try {
      const orders = await inventory.db.selectFrom('orders').select(['quantity']).where('sku', '=', SKU).execute();
      expect(orders.reduce((sum, o) => sum + o.quantity, 0)).toBe(sold);
      const replenishments = await inventory.db.selectFrom('replenishments').selectAll().execute();
      expect(replenishments.map((r) => r.status)).toEqual(['completed']);
    } finally {
      await inventory.close();
    }
  });
});
