import { type Kysely, type Migration, sql } from 'kysely';

/**
 * A second, faster estimate of each product's demand beside the first (docs/planning.md): the same
 * exponentially weighted mean with a quarter of the half-life. The reorder point rests on the larger of
 * the two, the order quantity on the smaller. A product already planned starts it at its current
 * demand, so nothing jumps when this runs.
 */
export const fastDemandEstimate: Migration = {
  async up(db: Kysely<any>) {
    await sql`alter table product_planning add column fast_demand_per_s double precision not null default 0`.execute(
      db,
    );
    await sql`update product_planning set fast_demand_per_s = demand_per_s`.execute(db);
  },
};
