import { type Kysely, type Migration, sql } from 'kysely';

export const createPlaceOrderFunction: Migration = {
  async up(db: Kysely<any>) {
    // The hot path of a checkout in one call. Inside a function the statements are planned once per
    // connection; sent one by one, each would be parsed and planned on every sale.
    await sql`
        create function place_order(
          p_sku text, p_quantity int, p_order_id uuid, p_customer_id text, p_correlation_id text,
          p_created_at timestamptz, p_event_id uuid, p_event jsonb, p_key text, p_request_hash text, p_response jsonb)
        returns table (
          outcome text, stock int, reorder_point int, reorder_quantity int, factory_id text,
          earlier_hash text, earlier_status int, earlier_response jsonb)
        language plpgsql as $$
        declare
          p record;
          k record;
          key_rows int := 0;
        begin
          -- 'replay': the key was used before; the caller compares the hash and replays or refuses.
          if p_key is not null then
            select i.request_hash, i.status_code, i.response into k from idempotency_keys i where i.key = p_key;
            if found then
              return query select 'replay', null::int, null::int, null::int, null::text, k.request_hash, k.status_code, k.response;
              return;
            end if;
          end if;
          update products set stock = products.stock - p_quantity, updated_at = now()
            where products.sku = p_sku and products.stock >= p_quantity
            returning products.stock, products.reorder_point, products.reorder_quantity, products.factory_id into p;
          -- 'short': nothing written; the caller tells 404 from 409.
          if not found then
            return query select 'short', null::int, null::int, null::int, null::text, null::text, null::int, null::jsonb;
            return;
          end if;
          insert into orders (id, sku, quantity, customer_id, correlation_id, created_at)
            values (p_order_id, p_sku, p_quantity, p_customer_id, p_correlation_id, p_created_at);
          insert into outbox (id, type, payload)
            values (p_event_id, 'order.placed', jsonb_set(p_event, '{data,remaining}', to_jsonb(p.stock)));
          if p_key is not null then
            insert into idempotency_keys (key, request_hash, status_code, response)
              values (p_key, p_request_hash, 201, jsonb_set(p_response, '{remaining}', to_jsonb(p.stock)))
              on conflict (key) do nothing;
            get diagnostics key_rows = row_count;
          end if;
          -- 'key_race': a concurrent transaction (PostgreSQL) holds the key; the caller rolls back and retries.
          return query select case when p_key is null or key_rows = 1 then 'placed' else 'key_race' end,
            p.stock, p.reorder_point, p.reorder_quantity, p.factory_id, null::text, null::int, null::jsonb;
        end
        $$`.execute(db);
    // A whole group-commit batch in one round trip: place_order() for each item, in order.
    await sql`
        create function place_orders(p_items jsonb)
        returns table (
          idx int, outcome text, stock int, reorder_point int, reorder_quantity int, factory_id text,
          earlier_hash text, earlier_status int, earlier_response jsonb)
        language plpgsql as $$
        declare
          item record;
        begin
          for item in select value, ordinality::int as i from jsonb_array_elements(p_items) with ordinality loop
            return query select item.i - 1, o.* from place_order(
              item.value->>'sku', (item.value->>'quantity')::int, (item.value->>'orderId')::uuid,
              item.value->>'customerId', item.value->>'correlationId', (item.value->>'createdAt')::timestamptz,
              (item.value->>'eventId')::uuid, item.value->'event', item.value->>'key', item.value->>'requestHash',
              item.value->'response') o;
          end loop;
        end
        $$`.execute(db);
  },
};
