import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inventoryMigrations } from '../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../src/databases/inventory/tables.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { placeOrders } from '../src/services/sales/checkout.ts';

/**
 * The database ceilings, measured in their own process on a file-backed PGlite like the system's:
 * - `update`: only the conditional decrement, one statement per loop;
 * - `checkout`: exactly what one checkout runs (decrement, order, outbox, idempotency key), one per transaction;
 * - `checkout-batched`: the same, 20 checkouts sharing one transaction (group commit).
 * Prints one JSON line of operations per second.
 */
const seconds = Number(process.argv[2] ?? 3);
const dir = await mkdtemp(path.join(tmpdir(), 'donut-db-ceiling-'));
// In this thread, as the issue defines the ceiling: the database alone, no message passing.
const inventory = await openDatabase<InventoryTables>({ dataDir: dir, migrations: inventoryMigrations, thread: false });
const db = inventory.db;
await db
  .insertInto('products')
  .values({
    sku: 'CEIL',
    name: 'ceiling',
    price: '1.00',
    stock: 1_000_000_000,
    reorder_point: 0,
    reorder_quantity: 1,
    factory_id: 'f',
  })
  .execute();

async function timed(run: () => Promise<number>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let done = 0;
  while (performance.now() < deadline) done += await run();
  return done / ((performance.now() - start) / 1000);
}

let n = 0;
const request = () => ({
  request: { sku: 'CEIL', quantity: 1, customerId: `c${n % 1000}` },
  idempotencyKey: `k-${++n}`,
  correlationId: `corr-${n}`,
});

const update = await timed(async () => {
  await db
    .updateTable('products')
    .set((eb) => ({ stock: eb('stock', '-', 1) }))
    .where('sku', '=', 'CEIL')
    .where('stock', '>=', 1)
    .execute();
  return 1;
});
const checkout = await timed(async () => {
  await placeOrders(db, [request()], { idempotencyTtlS: 86_400 });
  return 1;
});
const batched = await timed(async () => {
  await placeOrders(db, Array.from({ length: 20 }, request), { idempotencyTtlS: 86_400 });
  return 20;
});
process.stdout.write(`${JSON.stringify({ update, checkout, checkoutBatched: batched })}\n`);
await inventory.close();
await rm(dir, { recursive: true, force: true });
