import { type Kysely, type Migration, sql } from 'kysely';

export const createRecordPurchasesFunction: Migration = {
  async up(db: Kysely<any>) {
    // A batch of orders in one round trip and one transaction: record_purchase() for each, in order.
    await sql`
        create function record_purchases(p_items jsonb, p_threshold int)
        returns table (
          idx int, counted boolean, tier text, purchased_quantity int, updated_at timestamptz, promoted boolean)
        language plpgsql as $$
        declare
          item record;
        begin
          for item in select value, ordinality::int as i from jsonb_array_elements(p_items) with ordinality loop
            return query select item.i - 1, r.* from record_purchase(
              item.value->>'orderId', item.value->>'customerId', (item.value->>'quantity')::int, p_threshold,
              (item.value->>'now')::timestamptz, (item.value->>'eventId')::uuid, item.value->'event') r;
          end loop;
        end
        $$`.execute(db);
  },
};
