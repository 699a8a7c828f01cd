import { type Kysely, type Migration, sql } from 'kysely';

export const placeOrdersDecrementsEachSkuOnce: Migration = {
  async up(db: Kysely<any>) {
    // Measured per statement inside place_orders() (pg_stat_statements, 64 checkouts per call): the
    // decrement ~20 us a checkout, the order insert ~25 us, the outbox insert ~22 us. Two indexes
    // nobody reads go: orders by (sku, created_at) (the dashboard reads orders by time alone), and the
    // unique index on outbox event ids (a fresh random UUID each, which consumers deduplicate on).
    await sql`drop index orders_sku_created_at`.execute(db);
    await sql`alter table outbox drop constraint outbox_id_key`.execute(db);
    // A batch whose Idempotency-Keys are all new and distinct (every batch, in practice) decrements
    // each sku once, by its items' total, with the same conditional update: if the total fits, every
    // item fits in turn, and each one's stock after it is counted down from the stock before the
    // batch. A sku whose total does not fit is left as it was and its items go one by one, as before.
    // Other batches (a repeated or known key: a replay) go item by item, exactly as before.
    await sql`
        create or replace function place_orders(p_items jsonb, p_replenishments jsonb)
        returns table (
          idx int, outcome text, stock int, earlier_hash text, earlier_status int, earlier_response jsonb,
          r_id uuid, r_status text, r_quantity int, r_requested_at timestamptz)
        language plpgsql as $$
        declare
          it record;
          k record;
          n int := -1;
          key_rows int;
          v_stock int;
          v_reorder_point int;
          v_reorder_quantity int;
          v_factory_id text;
          -- Skus decremented once for the whole batch, and per sku its stock before its next item.
          grouped boolean;
          v_keys text[];
          v_key text;
          g_skus text[] := '{}';
          g_stock int[];
          g_reorder_point int[];
          g_reorder_quantity int[];
          g_factory_id text[];
          g int;
          -- Skus known to have an open replenishment in this call: one check per sku, not one per sale.
          open_skus text[] := '{}';
          -- The last shortage looked up, for a crowd of refusals of one sku.
          short_sku text;
          short_stock int;
          short_r replenishments;
        begin
          select count(x.key) = count(distinct x.key), coalesce(array_agg(x.key) filter (where x.key is not null), '{}')
            into grouped, v_keys
            from jsonb_to_recordset(p_items) as x(key text);
          -- Key by key: one index probe each (a set query here gets planned as a scan of the whole table).
          if grouped then
            foreach v_key in array v_keys loop
              perform from idempotency_keys i where i.key = v_key;
              if found then
                grouped := false;
                exit;
              end if;
            end loop;
          end if;
          if grouped then
            with totals as (
              select x.sku, sum(x.quantity) as quantity
              from jsonb_to_recordset(p_items) as x(sku text, quantity int)
              group by x.sku
            ),
            decremented as (
              update products set stock = products.stock - t.quantity, updated_at = now()
                from totals t
                where products.sku = t.sku and products.stock >= t.quantity
                returning products.sku, products.stock + t.quantity as before, products.reorder_point,
                  products.reorder_quantity, products.factory_id
            )
            select coalesce(array_agg(d.sku), '{}'), array_agg(d.before), array_agg(d.reorder_point),
                   array_agg(d.reorder_quantity), array_agg(d.factory_id)
              into g_skus, g_stock, g_reorder_point, g_reorder_quantity, g_factory_id
              from decremented d;
          end if;
          for it in select * from jsonb_to_recordset(p_items) as x(
              sku text, quantity int, "orderId" uuid, "customerId" text, "correlationId" text,
              "createdAt" timestamptz, "eventId" uuid, event jsonb, key text, "requestHash" text, response jsonb)
          loop
            n := n + 1;
            key_rows := 0;
            -- 'replay': the key was used before; the caller compares the hash and replays or refuses.
            if it.key is not null and not grouped then
              select i.request_hash, i.status_code, i.response into k from idempotency_keys i where i.key = it.key;
              if found then
                return query select n, 'replay', null::int, k.request_hash, k.status_code, k.response,
                  null::uuid, null::text, null::int, null::timestamptz;
                continue;
              end if;
            end if;
            g := array_position(g_skus, it.sku);
            if g is not null then
              g_stock[g] := g_stock[g] - it.quantity;
              v_stock := g_stock[g];
              v_reorder_point := g_reorder_point[g];
              v_reorder_quantity := g_reorder_quantity[g];
              v_factory_id := g_factory_id[g];
            else
              update products set stock = products.stock - it.quantity, updated_at = now()
                where products.sku = it.sku and products.stock >= it.quantity
                returning products.stock, products.reorder_point, products.reorder_quantity, products.factory_id
                into v_stock, v_reorder_point, v_reorder_quantity, v_factory_id;
              if not found then
                -- 'missing' (404), or 'short' (409): nothing of the item's own is written, but the shortage
                -- opens a replenishment if none is open, and the refusal says what is available.
                if short_sku is distinct from it.sku then
                  select pr.stock, pr.reorder_quantity, pr.factory_id into v_stock, v_reorder_quantity, v_factory_id
                    from products pr where pr.sku = it.sku;
                  if not found then
                    return query select n, 'missing', null::int, null::text, null::int, null::jsonb,
                      null::uuid, null::text, null::int, null::timestamptz;
                    continue;
                  end if;
                  short_r := insert_replenishment_if_none(
                    it.sku, v_reorder_quantity, v_factory_id, v_stock, it."correlationId", p_replenishments->it.sku);
                  if short_r.id is null then
                    select * into short_r from replenishments rp
                      where rp.sku = it.sku and rp.status in ('requested', 'ordered');
                  end if;
                  short_sku := it.sku;
                  short_stock := v_stock;
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
            end if;
            insert into orders (id, sku, quantity, customer_id, correlation_id, created_at)
              values (it."orderId", it.sku, it.quantity, it."customerId", it."correlationId", it."createdAt");
            insert into outbox (id, type, payload)
              values (it."eventId", 'order.placed', jsonb_set(it.event, '{data,remaining}', to_jsonb(v_stock)));
            if it.key is not null then
              insert into idempotency_keys (key, request_hash, status_code, response)
                values (it.key, it."requestHash", 201, jsonb_set(it.response, '{remaining}', to_jsonb(v_stock)))
                on conflict (key) do nothing;
              get diagnostics key_rows = row_count;
              -- A concurrent transaction (PostgreSQL) committed the key first: undo the whole statement;
              -- the caller retries, and then replays that request's answer.
              if key_rows = 0 then
                raise exception 'Idempotency-Key taken by a concurrent request' using errcode = 'serialization_failure';
              end if;
            end if;
            -- Below the reorder point every sale would ask again; once per sku per call is enough.
            if v_stock <= v_reorder_point and not (it.sku = any(open_skus)) then
              perform insert_replenishment_if_none(
                it.sku, v_reorder_quantity, v_factory_id, v_stock, it."correlationId", p_replenishments->it.sku);
              open_skus := open_skus || it.sku;
            end if;
            return query select n, 'placed', v_stock, null::text, null::int, null::jsonb,
              null::uuid, null::text, null::int, null::timestamptz;
          end loop;
        end
        $$`.execute(db);
  },
};
