import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { InventoryTables } from '../../../databases/inventory/tables.ts';
import { decide } from './decision.ts';
import { currentDemand, type DemandBucket, FAST_HALF_LIFE_SHARE, foldDemand } from './demand.ts';
import { estimateLeadTime } from './lead-time.ts';
import { databaseNowS } from './planning.repository.ts';
import type { PlanningSettings } from './settings.ts';

export interface PlanningJobDeps {
  readonly db: Kysely<InventoryTables>;
  readonly logger: Logger;
  readonly settings: PlanningSettings;
}

/**
 * Orders younger than this are folded for good by the next run: an order's timestamp is taken just
 * before its transaction commits, so the newest second may still be filling. The plan counts them
 * already, without storing them, so it rests on demand up to the moment it is made.
 */
const SETTLE_S = 1;
/** However long the job was stopped, it reads at most this much history; older silence is folded as zero. */
const MAX_CATCH_UP_S = 3600;

interface PlanningSubject {
  sku: string;
  factory_id: string;
  reorder_policy: 'fixed' | 'adaptive';
  service_level: number;
  order_multiple: number;
  max_order_quantity: number | null;
  reorder_quantity: number;
  effective_reorder_point: number | null;
  effective_reorder_quantity: number | null;
  demand_per_s: number;
  demand_variance: number;
  fast_demand_per_s: number;
  observed_until_s: number;
}

/**
 * Scheduled: folds the sales since the last run into each product's demand, estimates each factory's
 * lead time from its recent deliveries, and stores the plan (docs/planning.md) of every product in
 * product_planning. For an adaptive product it writes the plan into products.effective_reorder_point
 * and effective_reorder_quantity, which replenishment acts on; only when they change, so a product
 * row is locked as rarely as possible. Demand is the lines of placed orders plus the units refused for
 * lack of stock (refused_demand, which checkout writes and this job empties as it folds), measured
 * twice: with the configured half-life and with a quarter of it (docs/planning.md). One
 * transaction per run that locks the planning rows first, so two runs never count a second twice.
 * Returns how many adaptive products got a new plan.
 */
export function planReplenishment(deps: PlanningJobDeps) {
  const { db, settings } = deps;
  return async (): Promise<number> => {
    const changed = await db.transaction().execute(async (trx) => {
      const nowS = await databaseNowS(trx);
      const untilS = Math.floor(nowS) - SETTLE_S;
      // A product the job has not seen starts at no demand, counted from the second it was created: the
      // sales of its first seconds (before this run) are demand too.
      await sql`
        insert into product_planning (sku, observed_until, lead_time_s, reorder_point, order_quantity)
        select p.sku, to_timestamp(least(${untilS}::float8, floor(extract(epoch from p.created_at))::float8)),
          ${settings.defaultLeadTimeS}::float8, p.reorder_point,
          p.reorder_quantity
        from products p
        on conflict (sku) do nothing`.execute(trx);
      const { rows: subjects } = await sql<PlanningSubject>`
        select p.sku, p.factory_id, p.reorder_policy, p.service_level, p.order_multiple, p.max_order_quantity,
          p.reorder_quantity, p.effective_reorder_point, p.effective_reorder_quantity,
          pp.demand_per_s, pp.demand_variance, pp.fast_demand_per_s, extract(epoch from pp.observed_until)::float8 as observed_until_s
        from product_planning pp join products p on p.sku = pp.sku
        order by pp.sku
        for update of pp`.execute(trx);
      if (subjects.length === 0) return 0;
      const fromS = Math.max(Math.min(...subjects.map((s) => s.observed_until_s)), untilS - MAX_CATCH_UP_S);
      // Every line of a placed order (the lines order_items lists): a single-sku order is its own line,
      // a cart has its lines in order_lines; an order cancelled before it is read is no demand. Spelled
      // out rather than read through the view: the planner cannot push this time window into the view's
      // union and would scan every order and line on each run.
      const second = sql<number>`floor(extract(epoch from o.created_at))::float8`;
      const lineSku = sql<string>`coalesce(l.sku, o.sku)`;
      const sales = await trx
        .selectFrom('orders as o')
        .leftJoin('order_lines as l', 'l.order_id', 'o.id')
        .select([
          lineSku.as('sku'),
          second.as('at_s'),
          sql<number>`sum(coalesce(l.quantity, o.quantity))::int`.as('units'),
        ])
        .where('o.status', '=', 'placed')
        .where('o.created_at', '>=', sql<Date>`to_timestamp(${fromS}::float8)`)
        .where('o.created_at', '<', sql<Date>`to_timestamp(${nowS}::float8)`)
        .groupBy([lineSku, second])
        .execute();
      // Refused units (censored demand, place_orders() writes them): a sold-out shelf still shows demand.
      const refusals = await trx
        .selectFrom('refused_demand')
        .select(['sku', sql<number>`extract(epoch from at_second)::float8`.as('at_s'), 'units'])
        .where('at_second', '>=', sql<Date>`to_timestamp(${fromS}::float8)`)
        .where('at_second', '<', sql<Date>`to_timestamp(${nowS}::float8)`)
        .execute();
      const bucketsBySku = new Map<string, DemandBucket[]>();
      for (const bucket of [...sales, ...refusals]) {
        const list = bucketsBySku.get(bucket.sku) ?? [];
        list.push({ atS: bucket.at_s, units: bucket.units });
        bucketsBySku.set(bucket.sku, list);
      }
      const { rows: deliveries } = await sql<{ factory_id: string; lead_time_s: number }>`
        select factory_id, lead_time_s from (
          select factory_id, lead_time_s,
            row_number() over (partition by factory_id order by completed_at desc) as n
          from replenishments where lead_time_s is not null
        ) recent
        where n <= ${settings.leadTimeWindow}::int
        order by factory_id, n`.execute(trx);
      const leadSamples = new Map<string, number[]>();
      for (const d of deliveries) {
        const list = leadSamples.get(d.factory_id) ?? [];
        list.push(d.lead_time_s);
        leadSamples.set(d.factory_id, list);
      }

      const halfLifeS = settings.demandHalfLifeS;
      const fastHalfLifeS = halfLifeS * FAST_HALF_LIFE_SHARE;
      const plans = subjects.map((s) => {
        const buckets = bucketsBySku.get(s.sku) ?? [];
        const demand = foldDemand(
          { perSecond: s.demand_per_s, variance: s.demand_variance, observedUntilS: s.observed_until_s },
          buckets,
          untilS,
          halfLifeS,
        );
        const fast = foldDemand(
          { perSecond: s.fast_demand_per_s, variance: 0, observedUntilS: s.observed_until_s },
          buckets,
          untilS,
          fastHalfLifeS,
        ).perSecond;
        const lead = estimateLeadTime(leadSamples.get(s.factory_id) ?? [], settings);
        // The plan rests on demand up to this moment: the seconds not yet settled are carried into both
        // estimates for the decision only; a later run folds them for good.
        const decision = decide({
          demandPerSecond: currentDemand(demand.perSecond, buckets, demand.observedUntilS, nowS, halfLifeS),
          fastDemandPerSecond: currentDemand(fast, buckets, demand.observedUntilS, nowS, fastHalfLifeS),
          demandStdDev: Math.sqrt(demand.variance),
          leadTimeS: lead.leadTimeS,
          serviceLevel: s.service_level,
          reorderQuantity: s.reorder_quantity,
          orderMultiple: s.order_multiple,
          maxOrderQuantity: s.max_order_quantity,
          coverS: settings.coverS,
        });
        return { subject: s, demand, fast, lead, decision };
      });

      await sql`
        update product_planning pp set
          demand_per_s = x.demand_per_s, demand_variance = x.demand_variance, fast_demand_per_s = x.fast_demand_per_s,
          observed_until = to_timestamp(x.observed_until_s), lead_time_s = x.lead_time_s,
          lead_time_deliveries = x.lead_time_deliveries, reorder_point = x.reorder_point,
          order_quantity = x.order_quantity, planned_at = now()
        from jsonb_to_recordset(${JSON.stringify(
          plans.map((p) => ({
            sku: p.subject.sku,
            demand_per_s: p.demand.perSecond,
            demand_variance: p.demand.variance,
            fast_demand_per_s: p.fast,
            observed_until_s: p.demand.observedUntilS,
            lead_time_s: p.lead.leadTimeS,
            lead_time_deliveries: p.lead.deliveries,
            reorder_point: p.decision.reorderPoint,
            order_quantity: p.decision.orderQuantity,
          })),
        )}::jsonb) as x(sku text, demand_per_s float8, demand_variance float8, fast_demand_per_s float8, observed_until_s float8,
          lead_time_s float8, lead_time_deliveries int, reorder_point int, order_quantity int)
        where pp.sku = x.sku`.execute(trx);

      // Every product is now observed until untilS: older refusals are never read again.
      await trx
        .deleteFrom('refused_demand')
        .where('at_second', '<', sql<Date>`to_timestamp(${untilS}::float8)`)
        .execute();

      const moved = plans.filter(
        (p) =>
          p.subject.reorder_policy === 'adaptive' &&
          (p.subject.effective_reorder_point !== p.decision.reorderPoint ||
            p.subject.effective_reorder_quantity !== p.decision.orderQuantity),
      );
      if (moved.length > 0) {
        await sql`
          update products p set
            effective_reorder_point = x.reorder_point, effective_reorder_quantity = x.order_quantity
          from jsonb_to_recordset(${JSON.stringify(
            moved.map((p) => ({
              sku: p.subject.sku,
              reorder_point: p.decision.reorderPoint,
              order_quantity: p.decision.orderQuantity,
            })),
          )}::jsonb) as x(sku text, reorder_point int, order_quantity int)
          -- A product switched to fixed since it was read keeps the operator's values.
          where p.sku = x.sku and p.reorder_policy = 'adaptive'`.execute(trx);
      }
      return moved.length;
    });
    if (changed > 0) deps.logger.debug({ changed }, 'adaptive reorder points planned');
    return changed;
  };
}
