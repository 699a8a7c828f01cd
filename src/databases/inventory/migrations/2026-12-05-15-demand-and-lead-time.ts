import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Replenishment planning (docs/planning.md):
 * - A product's reorder policy and its planning parameters. The effective reorder point and quantity
 *   are what replenishment acts on: null (the operator's reorder_point and reorder_quantity) for a
 *   `fixed` product, the planned values for an `adaptive` one. A row inserted by any other path stays
 *   `fixed` with nulls, so it behaves as before.
 * - A replenishment records its lead time (seconds from the order being sent to its stock arriving)
 *   when it completes; the index serves each factory's most recent deliveries.
 * - product_planning holds each product's measured demand (an exponentially weighted mean and variance
 *   of units per second, and the second up to which sales are counted) and the last decision, so both
 *   survive a restart.
 */
export const demandAndLeadTime: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      alter table products
        add column reorder_policy text not null default 'fixed' check (reorder_policy in ('fixed', 'adaptive')),
        add column service_level double precision not null default 0.95
          check (service_level >= 0.5 and service_level < 1),
        add column order_multiple integer not null default 1 check (order_multiple > 0),
        add column max_order_quantity integer check (max_order_quantity > 0),
        add column effective_reorder_point integer check (effective_reorder_point >= 0),
        add column effective_reorder_quantity integer check (effective_reorder_quantity > 0)`.execute(db);
    await sql`alter table replenishments add column lead_time_s double precision`.execute(db);
    await sql`
      create index replenishments_lead_times on replenishments (factory_id, completed_at desc)
        where lead_time_s is not null`.execute(db);
    await sql`
      create table product_planning (
        sku text primary key references products (sku),
        demand_per_s double precision not null default 0,
        demand_variance double precision not null default 0,
        observed_until timestamptz not null,
        lead_time_s double precision not null,
        lead_time_deliveries integer not null default 0,
        reorder_point integer not null,
        order_quantity integer not null,
        planned_at timestamptz not null default now()
      )`.execute(db);
  },
};
