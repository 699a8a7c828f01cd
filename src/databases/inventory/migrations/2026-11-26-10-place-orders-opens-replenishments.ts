import { type Kysely, type Migration, sql } from 'kysely';

export const placeOrdersOpensReplenishments: Migration = {
  async up(db: Kysely<any>) {
    // A batch of checkouts becomes one statement: place_orders() also opens the replenishment a sale
    // or a shortage calls for, which the caller did in more statements of the same transaction. One
    // statement is its own transaction, so the embedded database's thread never waits on the caller
    // in the middle of one. The caller passes, per sku, the ids and the event envelope to use if a
    // replenishment is opened; the database fills in what only it knows.
    await sql`
        create function insert_replenishment_if_none(
          p_sku text, p_quantity int, p_factory_id text, p_stock int, p_correlation_id text, p_new jsonb)
        returns replenishments
        language plpgsql as $$
        declare
          r replenishments;
        begin
          insert into replenishments (id, sku, quantity, factory_id, status, correlation_id)
            values ((p_new->>'replenishmentId')::uuid, p_sku, p_quantity, p_factory_id, 'requested', p_correlation_id)
            -- The unique partial index replenishments_one_open_per_sku decides races: the loser inserts nothing.
            on conflict (sku) where status in ('requested', 'ordered') do nothing
            returning * into r;
          if found then
            insert into outbox (id, type, payload)
              values ((p_new->'event'->>'id')::uuid, 'replenishment.requested',
                p_new->'event' || jsonb_build_object(
                  'correlationId', p_correlation_id,
                  'data', jsonb_build_object(
                    'replenishmentId', r.id, 'sku', r.sku, 'quantity', r.quantity, 'factoryId', r.factory_id,
                    'stock', p_stock,
                    'requestedAt', to_char(r.requested_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))));
          end if;
          return r;
        end
        $$`.execute(db);
    await sql`drop function place_orders(jsonb)`.execute(db);
    await sql`
        create function place_orders(p_items jsonb, p_replenishments jsonb)
        returns table (
          idx int, outcome text, stock int, earlier_hash text, earlier_status int, earlier_response jsonb,
          r_id uuid, r_status text, r_quantity int, r_requested_at timestamptz)
        language plpgsql as $$
        declare
          it record;
          p record;
          k record;
          r replenishments;
          n int := -1;
          key_rows int;
          -- Skus known to have an open replenishment in this call: one check per sku, not one per sale.
          open_skus text[] := '{}';
          -- The last shortage looked up, for a crowd of refusals of one sku.
          short_sku text;
          short_stock int;
          short_r replenishments;
        begin
          for it in select * from jsonb_to_recordset(p_items) as x(
              sku text, quantity int, "orderId" uuid, "customerId" text, "correlationId" text,
              "createdAt" timestamptz, "eventId" uuid, event jsonb, key text, "requestHash" text, response jsonb)
          loop
            n := n + 1;
            key_rows := 0;
            -- 'replay': the key was used before; the caller compares the hash and replays or refuses.
            if it.key is not null then
              select i.request_hash, i.status_code, i.response into k from idempotency_keys i where i.key = it.key;
              if found then
                return query select n, 'replay', null::int, k.request_hash, k.status_code, k.response,
                  null::uuid, null::text, null::int, null::timestamptz;
                continue;
              end if;
            end if;
            update products set stock = products.stock - it.quantity, updated_at = now()
              where products.sku = it.sku and products.stock >= it.quantity
              returning products.stock, products.reorder_point, products.reorder_quantity, products.factory_id into p;
            if not found then
              -- 'missing' (404), or 'short' (409): nothing of the item's own is written, but the shortage
              -- opens a replenishment if none is open, and the refusal says what is available.
              if short_sku is distinct from it.sku then
                select pr.stock, pr.reorder_quantity, pr.factory_id into p from products pr where pr.sku = it.sku;
                if not found then
                  return query select n, 'missing', null::int, null::text, null::int, null::jsonb,
                    null::uuid, null::text, null::int, null::timestamptz;
                  continue;
                end if;
                short_r := insert_replenishment_if_none(
                  it.sku, p.reorder_quantity, p.factory_id, p.stock, it."correlationId", p_replenishments->it.sku);
                if short_r.id is null then
                  select * into short_r from replenishments rp
                    where rp.sku = it.sku and rp.status in ('requested', 'ordered');
                end if;
                short_sku := it.sku;
                short_stock := p.stock;
                open_skus := open_skus || it.sku;
              end if;
              return query select n, 'short', short_stock, null::text, null::int, null::jsonb,
                short_r.id, short_r.status, short_r.quantity, short_r.requested_at;
              continue;
            end if;
            -- A sale changed the stock a refusal reports: look it up again at the next shortage.
            if short_sku = it.sku then
              short_sku := null;
            end if;
            insert into orders (id, sku, quantity, customer_id, correlation_id, created_at)
              values (it."orderId", it.sku, it.quantity, it."customerId", it."correlationId", it."createdAt");
            insert into outbox (id, type, payload)
              values (it."eventId", 'order.placed', jsonb_set(it.event, '{data,remaining}', to_jsonb(p.stock)));
            if it.key is not null then
              insert into idempotency_keys (key, request_hash, status_code, response)
                values (it.key, it."requestHash", 201, jsonb_set(it.response, '{remaining}', to_jsonb(p.stock)))
                on conflict (key) do nothing;
              get diagnostics key_rows = row_count;
              -- A concurrent transaction (PostgreSQL) committed the key first: undo the whole statement;
              -- the caller retries, and then replays that request's answer.
              if key_rows = 0 then
                raise exception 'Idempotency-Key taken by a concurrent request' using errcode = 'serialization_failure';
              end if;
            end if;
            -- Below the reorder point every sale would ask again; once per sku per call is enough.
            if p.stock <= p.reorder_point and not (it.sku = any(open_skus)) then
              perform insert_replenishment_if_none(
                it.sku, p.reorder_quantity, p.factory_id, p.stock, it."correlationId", p_replenishments->it.sku);
              open_skus := open_skus || it.sku;
            end if;
            return query select n, 'placed', p.stock, null::text, null::int, null::jsonb,
              null::uuid, null::text, null::int, null::timestamptz;
          end loop;
        end
        $$`.execute(db);
  },
};
