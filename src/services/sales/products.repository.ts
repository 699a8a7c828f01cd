import { type Kysely, sql, type Transaction } from 'kysely';
import type { Product, ProductInput, Replenishment } from '../../contract/http.ts';
import {
  type InventoryTables,
  OPEN_REPLENISHMENT_STATUSES,
  type ProductRow,
  type ReplenishmentRow,
} from '../../databases/inventory/tables.ts';

type Db = Kysely<InventoryTables> | Transaction<InventoryTables>;

export function toReplenishment(
  row: Pick<ReplenishmentRow, 'id' | 'status' | 'quantity' | 'requested_at'>,
): Replenishment {
  return {
    id: row.id,
    status: row.status,
    quantity: row.quantity,
    requestedAt: new Date(row.requested_at).toISOString(),
  };
}

function toProduct(row: ProductRow, open: Replenishment | null): Product {
  return {
    sku: row.sku,
    name: row.name,
    price: Number(row.price),
    stock: row.stock,
    reorderPoint: row.reorder_point,
    reorderQuantity: row.reorder_quantity,
    factoryId: row.factory_id,
    replenishment: open,
  };
}

/** Open replenishments (at most one per sku, by a unique partial index), keyed by sku. */
async function openReplenishments(db: Db, skus?: readonly string[]): Promise<Map<string, Replenishment>> {
  let query = db
    .selectFrom('replenishments')
    .select(['id', 'sku', 'status', 'quantity', 'requested_at'])
    .where('status', 'in', OPEN_REPLENISHMENT_STATUSES);
  if (skus) query = query.where('sku', 'in', skus);
  const rows = await query.execute();
  return new Map(rows.map((row) => [row.sku, toReplenishment(row)]));
}

export async function listProducts(db: Db): Promise<Product[]> {
  const [rows, open] = await Promise.all([
    db.selectFrom('products').selectAll().orderBy('sku').execute(),
    openReplenishments(db),
  ]);
  return rows.map((row) => toProduct(row, open.get(row.sku) ?? null));
}

export async function findProduct(db: Db, sku: string): Promise<Product | undefined> {
  const row = await db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
  if (!row) return undefined;
  const open = await openReplenishments(db, [sku]);
  return toProduct(row, open.get(sku) ?? null);
}

/** Creates or replaces a product in one statement; `created` tells which happened. */
export async function upsertProduct(db: Db, sku: string, input: ProductInput): Promise<{ created: boolean }> {
  const values = {
    name: input.name,
    price: input.price.toFixed(2),
    stock: input.stock,
    reorder_point: input.reorderPoint,
    reorder_quantity: input.reorderQuantity,
    factory_id: input.factoryId,
  };
  const row = await db
    .insertInto('products')
    .values({ sku, ...values })
    .onConflict((oc) => oc.column('sku').doUpdateSet({ ...values, updated_at: new Date() }))
    // xmax is 0 only for a row this statement inserted, not one it updated.
    .returning(sql<boolean>`xmax = 0`.as('created'))
    .executeTakeFirstOrThrow();
  return { created: row.created };
}
