// Over 300 lines on purpose: a migration carries whole the functions it replaces (schema.sql has today's).
import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Demand counts refused units, and an adaptive order fills up to its plan (docs/planning.md):
 * - refused_demand holds, per product and second, the units checkouts asked for and were refused for lack
 *   of stock (the demand a sold-out shelf hides). place_orders() adds each call's refusals with one upsert
 *   per sku: a single-sku refusal its quantity, a refused cart each line that did not fit. A second counts
 *   at most the product's reorder_quantity. The planning job folds these units with the sales and deletes
 *   the seconds it has folded.
 * - insert_replenishment_if_none() orders an adaptive product (effective_reorder_quantity set) up to its
 *   plan's level: opened below the effective reorder point, the order adds the shortfall to the planned
 *   quantity, rounded up to order_multiple and capped by max_order_quantity as the plan is. A fixed
 *   product orders its quantity as before.
 * Everything else in place_orders() is as in 2026-12-06-16-checkout-reads-effective-reorder-point.
 */
export const refusedDemandAndOrderUpTo: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      create table refused_demand (
        sku text not null references products (sku),
        at_second timestamptz not null,
        units integer not null check (units > 0),
        primary key (sku, at_second)
      )`.execute(db);
    await sql`
      create or replace function insert_replenishment_if_none(p_sku text, p_quantity integer, p_factory_id text,
        p_stock integer, p_correlation_id text, p_new jsonb)
      returns replenishments
      language plpgsql as $$
      declare
        r replenishments;
        pr record;
        v_quantity int := p_quantity;
        v_cap int;
      begin
        select effective_reorder_point, effective_reorder_quantity, order_multiple, max_order_quantity into pr
          from products where sku = p_sku;
        if pr.effective_reorder_quantity is not null and p_stock < pr.effective_reorder_point then
          v_quantity := ceil((p_quantity + pr.effective_reorder_point - greatest(p_stock, 0))::numeric
            / pr.order_multiple)::int * pr.order_multiple;
          if pr.max_order_quantity is not null then
            v_cap := coalesce(nullif(pr.max_order_quantity / pr.order_multiple * pr.order_multiple, 0),
              pr.max_order_quantity);
            v_quantity := least(v_quantity, greatest(v_cap, p_quantity));
          end if;
        end if;
        insert into replenishments (id, sku, quantity, factory_id, status, correlation_id)
          values ((p_new->>'replenishmentId')::uuid, p_sku, v_quantity, p_factory_id, 'requested', p_correlation_id)
          -- The unique partial index replenishments_one_open_per_sku decides races: the loser inserts nothing.
          on conflict (sku) where status in ('requested', 'ordering', 'unconfirmed', 'ordered') do nothing
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
    await sql`
      create or replace function place_orders(p_items jsonb, p_replenishments jsonb, p_key_ttl_s int)
      returns table (
        idx int, outcome text, stock int, earlier_hash text, earlier_status int, earlier_response jsonb,
        r_id uuid, r_status text, r_quantity int, r_requested_at timestamptz, line_sku text)
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
        -- A key stored before this moment is forgotten: absent to lookups, overwritten by a new order.
        v_cutoff timestamptz := now() - make_interval(secs => p_key_ttl_s);
        -- Skus decremented once for the whole batch, and per sku its stock before its next item.
        grouped boolean;
        v_customers text[];
        v_keys text[];
        j int;
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
        -- A cart: its lines in sku order, what each found, and its answer's remaining stock per sku.
        l record;
        c_skus text[];
        c_quantities int[];
        c_stocks int[];
        c_reorder_points int[];
        c_reorder_quantities int[];
        c_factory_ids text[];
        c int;
        c_total int;
        c_missing boolean;
        c_short boolean;
        c_remaining jsonb;
        -- Units refused per sku in this call (censored demand), written once per sku at the end.
        rf_skus text[] := '{}';
        rf_units int[] := '{}';
        rf int;
      begin
        select count(x.key) = count(distinct (x."customerId", x.key)) filter (where x.key is not null),
               coalesce(array_agg(x."customerId") filter (where x.key is not null), '{}'),
               coalesce(array_agg(x.key) filter (where x.key is not null), '{}')
          into grouped, v_customers, v_keys
          from jsonb_to_recordset(p_items) as x("customerId" text, key text);
        -- Key by key: one index probe each (a set query here gets planned as a scan of the whole table).
        if grouped then
          for j in 1 .. coalesce(array_length(v_keys, 1), 0) loop
            perform from idempotency_keys i
              where i.customer_id = v_customers[j] and i.key = v_keys[j] and i.created_at >= v_cutoff;
            if found then
              grouped := false;
              exit;
            end if;
          end loop;
        end if;
        if grouped then
          with totals as (
            select x.sku, sum(x.quantity) as quantity
            from jsonb_to_recordset(p_items) as x(sku text, quantity int, lines jsonb)
            where x.lines is null
            group by x.sku
          ),
          decremented as (
            update products set stock = products.stock - t.quantity, updated_at = now()
              from totals t
              where products.sku = t.sku and products.stock >= t.quantity
              returning products.sku, products.stock + t.quantity as before,
                coalesce(products.effective_reorder_point, products.reorder_point) as reorder_point,
                coalesce(products.effective_reorder_quantity, products.reorder_quantity) as reorder_quantity,
                products.factory_id
          )
          select coalesce(array_agg(d.sku), '{}'), array_agg(d.before), array_agg(d.reorder_point),
                 array_agg(d.reorder_quantity), array_agg(d.factory_id)
            into g_skus, g_stock, g_reorder_point, g_reorder_quantity, g_factory_id
            from decremented d;
        end if;
        for it in select * from jsonb_to_recordset(p_items) as x(
            sku text, quantity int, "orderId" uuid, "customerId" text, "correlationId" text,
            "createdAt" timestamptz, "eventId" uuid, event jsonb, key text, "requestHash" text, response jsonb,
            lines jsonb)
        loop
          n := n + 1;
          key_rows := 0;
          -- 'replay': the customer used the key before; the caller compares the hash and replays or refuses.
          if it.key is not null and not grouped then
            select i.request_hash, i.status_code, i.response into k from idempotency_keys i
              where i.customer_id = it."customerId" and i.key = it.key and i.created_at >= v_cutoff;
            if found then
              return query select n, 'replay', null::int, k.request_hash, k.status_code, k.response,
                null::uuid, null::text, null::int, null::timestamptz, it.sku;
              continue;
            end if;
          end if;
          if it.lines is not null then
            -- A cart, all or nothing. Its rows are locked in sku order, the one order every cart and
            -- cancellation takes, so carts sharing skus in any order wait for each other, never deadlock.
            c_skus := '{}'; c_quantities := '{}'; c_stocks := '{}'; c_reorder_points := '{}';
            c_reorder_quantities := '{}'; c_factory_ids := '{}';
            c_missing := false;
            c_short := false;
            for l in select x.sku, x.quantity from jsonb_to_recordset(it.lines) as x(sku text, quantity int) order by x.sku
            loop
              select pr.stock, coalesce(pr.effective_reorder_point, pr.reorder_point),
                  coalesce(pr.effective_reorder_quantity, pr.reorder_quantity), pr.factory_id
                into v_stock, v_reorder_point, v_reorder_quantity, v_factory_id
                from products pr where pr.sku = l.sku for update;
              if not found then
                c_missing := true;
                return query select n, 'missing', null::int, null::text, null::int, null::jsonb,
                  null::uuid, null::text, null::int, null::timestamptz, l.sku;
                continue;
              end if;
              c_skus := c_skus || l.sku;
              c_quantities := c_quantities || l.quantity;
              c_stocks := c_stocks || v_stock;
              c_reorder_points := c_reorder_points || v_reorder_point;
              c_reorder_quantities := c_reorder_quantities || v_reorder_quantity;
              c_factory_ids := c_factory_ids || v_factory_id;
              if v_stock < l.quantity then
                c_short := true;
              end if;
            end loop;
            if c_missing then
              continue;
            end if;
            if c_short then
              -- One shortage per line that did not fit, each opening its sku's replenishment as a refused
              -- single-sku checkout would.
              for c in 1 .. array_length(c_skus, 1) loop
                if c_stocks[c] < c_quantities[c] then
                  rf := array_position(rf_skus, c_skus[c]);
                  if rf is null then
                    rf_skus := rf_skus || c_skus[c];
                    rf_units := rf_units || c_quantities[c];
                  else
                    rf_units[rf] := rf_units[rf] + c_quantities[c];
                  end if;
                  short_r := null;
                  if c_stocks[c] <= c_reorder_points[c] then
                    short_r := insert_replenishment_if_none(c_skus[c], c_reorder_quantities[c], c_factory_ids[c],
                      c_stocks[c], it."correlationId", p_replenishments->c_skus[c]);
                  end if;
                  if short_r.id is null then
                    select * into short_r from replenishments rp
                      where rp.sku = c_skus[c] and rp.status in ('requested', 'ordering', 'unconfirmed', 'ordered');
                  end if;
                  if short_r.id is not null then
                    open_skus := open_skus || c_skus[c];
                  end if;
                  return query select n, 'short', c_stocks[c], null::text, null::int, null::jsonb,
                    short_r.id, short_r.status, short_r.quantity, short_r.requested_at, c_skus[c];
                end if;
              end loop;
              continue;
            end if;
            c_remaining := '{}';
            select sum(q)::int into c_total from unnest(c_quantities) q;
            -- The order first: its lines refer to it.
            insert into orders (id, sku, quantity, customer_id, correlation_id, created_at)
              values (it."orderId", null, c_total, it."customerId", it."correlationId", it."createdAt");
            for c in 1 .. array_length(c_skus, 1) loop
              update products set stock = products.stock - c_quantities[c], updated_at = now()
                where products.sku = c_skus[c];
              v_stock := c_stocks[c] - c_quantities[c];
              c_remaining := c_remaining || jsonb_build_object(c_skus[c], v_stock);
              -- The batch's single-sku sales of this sku count down from here on.
              g := array_position(g_skus, c_skus[c]);
              if g is not null then
                g_stock[g] := g_stock[g] - c_quantities[c];
              end if;
              if short_sku = c_skus[c] then
                short_sku := null;
              end if;
              insert into order_lines (order_id, sku, quantity) values (it."orderId", c_skus[c], c_quantities[c]);
              if v_stock <= c_reorder_points[c] and not (c_skus[c] = any(open_skus)) then
                perform insert_replenishment_if_none(c_skus[c], c_reorder_quantities[c], c_factory_ids[c],
                  v_stock, it."correlationId", p_replenishments->c_skus[c]);
                open_skus := open_skus || c_skus[c];
              end if;
              return query select n, 'placed', v_stock, null::text, null::int, null::jsonb,
                null::uuid, null::text, null::int, null::timestamptz, c_skus[c];
            end loop;
            insert into outbox (id, type, payload) values (it."eventId", 'order.placed', it.event);
            if it.key is not null then
              insert into idempotency_keys as i (customer_id, key, request_hash, status_code, response, created_at)
                values (it."customerId", it.key, it."requestHash", 201,
                  jsonb_set(it.response, '{remaining}', c_remaining), now())
                on conflict (customer_id, key) do update
                  set request_hash = excluded.request_hash, status_code = excluded.status_code,
                      response = excluded.response, created_at = excluded.created_at
                  where i.created_at < v_cutoff;
              get diagnostics key_rows = row_count;
              if key_rows = 0 then
                raise exception 'Idempotency-Key taken by a concurrent request' using errcode = 'serialization_failure';
              end if;
            end if;
            continue;
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
              returning products.stock, coalesce(products.effective_reorder_point, products.reorder_point),
                coalesce(products.effective_reorder_quantity, products.reorder_quantity), products.factory_id
              into v_stock, v_reorder_point, v_reorder_quantity, v_factory_id;
            if not found then
              -- 'missing' (404), or 'short' (409): nothing of the item's own is written. A shortage at or
              -- below the reorder point opens a replenishment if none is open; one above it opens nothing
              -- (a too-large order says nothing about the shelf). The refusal says what is available.
              if short_sku is distinct from it.sku then
                select pr.stock, coalesce(pr.effective_reorder_point, pr.reorder_point),
                    coalesce(pr.effective_reorder_quantity, pr.reorder_quantity), pr.factory_id
                  into v_stock, v_reorder_point, v_reorder_quantity, v_factory_id
                  from products pr where pr.sku = it.sku;
                if not found then
                  return query select n, 'missing', null::int, null::text, null::int, null::jsonb,
                    null::uuid, null::text, null::int, null::timestamptz, it.sku;
                  continue;
                end if;
                short_r := null;
                if v_stock <= v_reorder_point then
                  short_r := insert_replenishment_if_none(
                    it.sku, v_reorder_quantity, v_factory_id, v_stock, it."correlationId", p_replenishments->it.sku);
                end if;
                if short_r.id is null then
                  select * into short_r from replenishments rp
                    where rp.sku = it.sku and rp.status in ('requested', 'ordering', 'unconfirmed', 'ordered');
                end if;
                short_sku := it.sku;
                short_stock := v_stock;
                if short_r.id is not null then
                  open_skus := open_skus || it.sku;
                end if;
              end if;
              rf := array_position(rf_skus, it.sku);
              if rf is null then
                rf_skus := rf_skus || it.sku;
                rf_units := rf_units || it.quantity;
              else
                rf_units[rf] := rf_units[rf] + it.quantity;
              end if;
              return query select n, 'short', short_stock, null::text, null::int, null::jsonb,
                short_r.id, short_r.status, short_r.quantity, short_r.requested_at, it.sku;
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
            insert into idempotency_keys as i (customer_id, key, request_hash, status_code, response, created_at)
              values (it."customerId", it.key, it."requestHash", 201,
                jsonb_set(it.response, '{remaining}', to_jsonb(v_stock)), now())
              on conflict (customer_id, key) do update
                set request_hash = excluded.request_hash, status_code = excluded.status_code,
                    response = excluded.response, created_at = excluded.created_at
                where i.created_at < v_cutoff;
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
            null::uuid, null::text, null::int, null::timestamptz, it.sku;
        end loop;
        -- The refused units join this second's bucket, one upsert per sku, last so its row stays locked
        -- for as short a time as possible. A second counts at most one operator batch (reorder_quantity)
        -- per sku, however many units were asked: refusals cost a client nothing, so they may not grow
        -- the demand estimate without bound.
        if cardinality(rf_skus) > 0 then
          insert into refused_demand as rd (sku, at_second, units)
            select u.sku, date_trunc('second', now()), least(u.units, p.reorder_quantity)
            from unnest(rf_skus, rf_units) as u(sku, units) join products p on p.sku = u.sku
            order by u.sku
            on conflict (sku, at_second) do update
              set units = least(rd.units + excluded.units,
                (select p.reorder_quantity from products p where p.sku = rd.sku));
        end if;
      end
      $$`.execute(db);
  },
};
