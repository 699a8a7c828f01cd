import { type Kysely, type Migration, sql } from 'kysely';

export const createRecordPurchaseFunction: Migration = {
  async up(db: Kysely<any>) {
    // One call per order, atomic on its own: the inbox row, the quantity and, when the threshold is
    // crossed, the promotion with its outbox event. Inside a function the statements are planned once
    // per connection instead of on every order.
    await sql`
        create function record_purchase(
          p_order_id text, p_customer_id text, p_quantity int, p_threshold int, p_now timestamptz,
          p_event_id uuid, p_promoted_event jsonb)
        returns table (counted boolean, tier text, purchased_quantity int, updated_at timestamptz, promoted boolean)
        language plpgsql as $$
        declare
          c record;
        begin
          insert into processed_orders (order_id, customer_id, quantity) values (p_order_id, p_customer_id, p_quantity)
            on conflict (order_id) do nothing;
          if not found then
            return query select false, null::text, null::int, null::timestamptz, false;
            return;
          end if;
          insert into customers as cu (id, tier, purchased_quantity, created_at, updated_at)
            values (p_customer_id, 'normal', p_quantity, p_now, p_now)
            on conflict (id) do update
              set purchased_quantity = cu.purchased_quantity + excluded.purchased_quantity, updated_at = excluded.updated_at
            returning cu.tier, cu.purchased_quantity, cu.updated_at into c;
          if c.tier = 'normal' and c.purchased_quantity >= p_threshold then
            update customers set tier = 'vip' where id = p_customer_id and customers.tier = 'normal';
            insert into outbox (id, type, payload)
              values (p_event_id, 'customer.promoted',
                      jsonb_set(p_promoted_event, '{data,purchasedQuantity}', to_jsonb(c.purchased_quantity)));
            return query select true, 'vip'::text, c.purchased_quantity, c.updated_at, true;
            return;
          end if;
          return query select true, c.tier, c.purchased_quantity, c.updated_at, false;
        end
        $$`.execute(db);
  },
};
