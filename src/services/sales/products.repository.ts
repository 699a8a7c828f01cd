import { type Kysely, sql, type Transaction } from 'kysely';
import type { Product, ProductInput, Replenishment } from '../../contract/http.ts';
import type { InventoryTables, ProductRow, ReplenishmentRow } from '../../databases/inventory/tables.ts';
import { readStoredPlanning, type StoredPlanning, toProductPlanning } from './planning/planning.repository.ts';
import { DEFAULT_SERVICE_LEVEL, type PlanningSettings } from './planning/settings.ts';

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

type ProductFields = Pick<
  ProductRow,
  'sku' | 'name' | 'price' | 'stock' | 'reorder_point' | 'reorder_quantity' | 'factory_id'
>;

function toProduct(
  row: ProductFields,
  open: Replenishment | null,
  stored: StoredPlanning,
  settings: PlanningSettings,
  now: Date,
): Product {
  return {
    sku: row.sku,
    name: row.name,
    price: Number(row.price),
    stock: row.stock,
    reorderPoint: row.reorder_point,
    reorderQuantity: row.reorder_quantity,
    factoryId: row.factory_id,
    replenishment: open,
    reorderPolicy: stored.reorderPolicy,
    serviceLevel: stored.serviceLevel,
    orderMultiple: stored.orderMultiple,
    maxOrderQuantity: stored.maxOrderQuantity,
    planning: toProductPlanning(stored, row.stock, settings, now),
  };
}

/** What products_with_open_replenishment() answers: a product and its open replenishment, if any. */
type ProductWithOpenReplenishmentRow = ProductFields & {
  r_id: string | null;
  r_status: ReplenishmentRow['status'] | null;
  r_quantity: number | null;
  r_requested_at: Date | null;
};

/**
 * Products with their open replenishment, in one call of products_with_open_replenishment() (see the
 * migrations): a product has at most one open (unique partial index), so the left join yields one row
 * per product. All products, or the one with `sku`.
 */
async function productsWithOpenReplenishment(db: Db, settings: PlanningSettings, sku?: string): Promise<Product[]> {
  const [{ rows }, planning] = await Promise.all([
    sql<ProductWithOpenReplenishmentRow>`select * from products_with_open_replenishment(${sku ?? null})`.execute(db),
    readStoredPlanning(db, sku),
  ]);
  const now = new Date();
  return rows.flatMap(({ r_id, r_status, r_quantity, r_requested_at, ...product }) => {
    // A product created between the two reads is shown by the next one.
    const stored = planning.get(product.sku);
    if (!stored) return [];
    return [
      toProduct(
        product,
        r_id && r_status && r_quantity !== null && r_requested_at
          ? toReplenishment({ id: r_id, status: r_status, quantity: r_quantity, requested_at: r_requested_at })
          : null,
        stored,
        settings,
        now,
      ),
    ];
  });
}

export function listProducts(db: Db, settings: PlanningSettings): Promise<Product[]> {
  return productsWithOpenReplenishment(db, settings);
}

export async function findProduct(db: Db, sku: string, settings: PlanningSettings): Promise<Product | undefined> {
  const [product] = await productsWithOpenReplenishment(db, settings, sku);
  return product;
}

/**
 * Creates or replaces a product in one statement; `created` tells which happened. Planning fields left
 * out take their defaults (a fixed policy: reorderPoint and reorderQuantity, as before). A product that
 * stays adaptive keeps its planned reorder point and quantity until the planning job's next run; any
 * other clears them, so replenishment acts on the operator's values.
 */
export async function upsertProduct(db: Db, sku: string, input: ProductInput): Promise<{ created: boolean }> {
  const reorderPolicy = input.reorderPolicy ?? 'fixed';
  const values = {
    name: input.name,
    price: input.price.toFixed(2),
    stock: input.stock,
    reorder_point: input.reorderPoint,
    reorder_quantity: input.reorderQuantity,
    factory_id: input.factoryId,
    reorder_policy: reorderPolicy,
    service_level: input.serviceLevel ?? DEFAULT_SERVICE_LEVEL,
    order_multiple: input.orderMultiple ?? 1,
    max_order_quantity: input.maxOrderQuantity ?? null,
  };
  const keepsPlan = sql<boolean>`products.reorder_policy = 'adaptive' and excluded.reorder_policy = 'adaptive'`;
  const row = await db
    .insertInto('products')
    .values({ sku, ...values, effective_reorder_point: null, effective_reorder_quantity: null })
    .onConflict((oc) =>
      oc.column('sku').doUpdateSet({
        ...values,
        effective_reorder_point: sql<number | null>`case when ${keepsPlan} then products.effective_reorder_point end`,
        effective_reorder_quantity: sql<
          number | null
        >`case when ${keepsPlan} then products.effective_reorder_quantity end`,
        updated_at: new Date(),
      }),
    )
    // xmax is 0 only for a row this statement inserted, not one it updated.
    .returning(sql<boolean>`xmax = 0`.as('created'))
    .executeTakeFirstOrThrow();
  return { created: row.created };
}
