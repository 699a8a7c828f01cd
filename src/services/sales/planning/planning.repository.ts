import { type Kysely, sql, type Transaction } from 'kysely';
import type { ProductPlanning } from '../../../contract/http.ts';
import { projectedStockOut } from '../../../contract/planning.ts';
import type { InventoryTables, ProductPlanningRow, ReorderPolicy } from '../../../databases/inventory/tables.ts';
import { decide } from './decision.ts';
import type { PlanningSettings } from './settings.ts';

type Db = Kysely<InventoryTables> | Transaction<InventoryTables>;

/** A product's planning parameters and its last plan, as stored. */
export interface StoredPlanning {
  readonly sku: string;
  readonly reorderPolicy: ReorderPolicy;
  readonly serviceLevel: number;
  readonly orderMultiple: number;
  readonly maxOrderQuantity: number | null;
  readonly reorderPoint: number;
  readonly reorderQuantity: number;
  readonly effectiveReorderPoint: number | null;
  readonly effectiveReorderQuantity: number | null;
  /** Null until the planning job has seen the product. */
  readonly plan: Pick<
    ProductPlanningRow,
    | 'demand_per_s'
    | 'demand_variance'
    | 'lead_time_s'
    | 'lead_time_deliveries'
    | 'reorder_point'
    | 'order_quantity'
    | 'planned_at'
  > | null;
}

/** Planning parameters and the last plan of every product, or of the one with `sku`; one query. */
export async function readStoredPlanning(db: Db, sku?: string): Promise<Map<string, StoredPlanning>> {
  let query = db
    .selectFrom('products as p')
    .leftJoin('product_planning as pp', 'pp.sku', 'p.sku')
    .select([
      'p.sku',
      'p.reorder_policy',
      'p.service_level',
      'p.order_multiple',
      'p.max_order_quantity',
      'p.reorder_point',
      'p.reorder_quantity',
      'p.effective_reorder_point',
      'p.effective_reorder_quantity',
      'pp.demand_per_s',
      'pp.demand_variance',
      'pp.lead_time_s',
      'pp.lead_time_deliveries',
      'pp.reorder_point as planned_reorder_point',
      'pp.order_quantity as planned_order_quantity',
      'pp.planned_at',
    ]);
  if (sku !== undefined) query = query.where('p.sku', '=', sku);
  const rows = await query.execute();
  return new Map(
    rows.map((r) => [
      r.sku,
      {
        sku: r.sku,
        reorderPolicy: r.reorder_policy,
        serviceLevel: r.service_level,
        orderMultiple: r.order_multiple,
        maxOrderQuantity: r.max_order_quantity,
        reorderPoint: r.reorder_point,
        reorderQuantity: r.reorder_quantity,
        effectiveReorderPoint: r.effective_reorder_point,
        effectiveReorderQuantity: r.effective_reorder_quantity,
        plan:
          r.planned_at === null
            ? null
            : {
                demand_per_s: r.demand_per_s!,
                demand_variance: r.demand_variance!,
                lead_time_s: r.lead_time_s!,
                lead_time_deliveries: r.lead_time_deliveries!,
                reorder_point: r.planned_reorder_point!,
                order_quantity: r.planned_order_quantity!,
                planned_at: r.planned_at,
              },
      },
    ]),
  );
}

/**
 * The `planning` view of a product: what is measured and planned, and what is in force. A product the
 * job has not seen yet shows no demand, the default lead time and the plan for those.
 */
export function toProductPlanning(
  stored: StoredPlanning,
  stock: number,
  settings: PlanningSettings,
  now: Date,
): ProductPlanning {
  const plan = stored.plan;
  const demandPerSecond = plan?.demand_per_s ?? 0;
  const demandStdDev = Math.sqrt(Math.max(0, plan?.demand_variance ?? 0));
  const leadTimeS = plan?.lead_time_s ?? settings.defaultLeadTimeS;
  const suggestion = plan
    ? { reorderPoint: plan.reorder_point, orderQuantity: plan.order_quantity }
    : decide({
        demandPerSecond,
        demandStdDev,
        leadTimeS,
        serviceLevel: stored.serviceLevel,
        reorderQuantity: stored.reorderQuantity,
        orderMultiple: stored.orderMultiple,
        maxOrderQuantity: stored.maxOrderQuantity,
        coverS: settings.coverS,
      });
  const adaptive = stored.reorderPolicy === 'adaptive';
  const stockOut = projectedStockOut(stock, demandPerSecond, now);
  return {
    demandPerSecond,
    demandStdDev,
    leadTimeS,
    leadTimeDeliveries: plan?.lead_time_deliveries ?? 0,
    effectiveReorderPoint: adaptive ? (stored.effectiveReorderPoint ?? stored.reorderPoint) : stored.reorderPoint,
    orderQuantity: adaptive ? (stored.effectiveReorderQuantity ?? stored.reorderQuantity) : stored.reorderQuantity,
    suggestedReorderPoint: suggestion.reorderPoint,
    suggestedOrderQuantity: suggestion.orderQuantity,
    projectedStockOutAt: stockOut ? stockOut.toISOString() : null,
    plannedAt: plan ? new Date(plan.planned_at).toISOString() : null,
  };
}

/** The database's clock (the start of the current transaction) in epoch seconds, fractional. */
export async function databaseNowS(db: Db): Promise<number> {
  const { rows } = await sql<{ now_s: number }>`select extract(epoch from now())::float8 as now_s`.execute(db);
  return rows[0]!.now_s;
}
