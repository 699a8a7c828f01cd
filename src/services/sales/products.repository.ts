import { type Kysely, sql, type Transaction } from 'kysely';
import type { Product, ProductInput, Replenishment } from '../../contract/http.ts';
import type { InventoryTables, ProductRow, ReplenishmentRow } from '../../databases/inventory/tables.ts';

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

function toProduct(row: ProductFields, open: Replenishment | null): Product {
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
async function productsWithOpenReplenishment(db: Db, sku?: string): Promise<Product[]> {
  const { rows } = await sql<ProductWithOpenReplenishmentRow>`select * from products_with_open_replenishment(${
    sku ?? null
  })`.execute(db);
  return rows.map(({ r_id, r_status, r_quantity, r_requested_at, ...product }) =>
    toProduct(
      product,
      r_id && r_status && r_quantity !== null && r_requested_at
        ? toReplenishment({ id: r_id, status: r_status, quantity: r_quantity, requested_at: r_requested_at })
        : null,
    ),
  );
}

export function listProducts(db: Db): Promise<Product[]> {
  return productsWithOpenReplenishment(db);
}

export async function findProduct(db: Db, sku: string): Promise<Product | undefined> {
  const [product] = await productsWithOpenReplenishment(db, sku);
  return product;
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
