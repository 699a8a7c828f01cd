import { type Kysely, type Migration, sql } from 'kysely';
import { replenishmentOrderClaims } from './migrations/2026-12-05-12-replenishment-order-claims.ts';
import { checkoutKeysPerCustomer } from './migrations/2026-12-05-13-checkout-keys-per-customer.ts';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
export const inventoryMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-products': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('products')
        .addColumn('sku', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('price', sql`numeric(12,2)`, (c) => c.notNull().check(sql`price >= 0`))
        .addColumn('stock', 'integer', (c) => c.notNull().check(sql`stock >= 0`))
        .addColumn('reorder_point', 'integer', (c) => c.notNull().check(sql`reorder_point >= 0`))
        .addColumn('reorder_quantity', 'integer', (c) => c.notNull().check(sql`reorder_quantity > 0`))
        .addColumn('factory_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db
        .insertInto('products')
        .values({
          sku: 'CP-502101',
          name: 'Chocolate Plain Donut',
          price: '2.50',
          stock: 100,
          reorder_point: 10,
          reorder_quantity: 100,
          factory_id: 'factory-1',
        })
        .execute();
    },
  },
  '2026-11-25-02-create-orders-and-idempotency-keys': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('orders')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
        .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('correlation_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('orders_sku_created_at').on('orders').columns(['sku', 'created_at']).execute();
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer', (c) => c.notNull())
        .addColumn('response', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  '2026-11-25-03-create-replenishments': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('replenishments')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
        .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
        .addColumn('factory_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('requested', 'ordered', 'completed', 'timed_out')`),
        )
        .addColumn('factory_order_id', 'text')
        .addColumn('produced_quantity', 'integer')
        .addColumn('correlation_id', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('ordered_at', 'timestamptz')
        .addColumn('completed_at', 'timestamptz')
        .execute();
      // "At most one open replenishment per product" is a database fact, not a hope.
      await db.schema
        .createIndex('replenishments_one_open_per_sku')
        .on('replenishments')
        .column('sku')
        .unique()
        .where(sql<boolean>`status in ('requested', 'ordered')`)
        .execute();
    },
  },
  '2026-11-25-04-create-outbox': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('outbox')
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('id', 'uuid', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('published_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('outbox_unpublished')
        .on('outbox')
        .column('seq')
        .where(sql<boolean>`published_at is null`)
        .execute();
    },
  },
  '2026-11-25-05-create-place-order-function': {
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
  },
  '2026-11-25-06-index-orders-by-time': {
    async up(db: Kysely<any>) {
      // The dashboard reads the newest orders and the last minute's throughput once a second.
      await db.schema.createIndex('orders_created_at').on('orders').column('created_at').execute();
    },
  },
  '2026-11-25-07-index-unpublished-outbox-by-type': {
    async up(db: Kysely<any>) {
      // The relay's priority lane reads unpublished rows of a few rare types behind a large backlog.
      await db.schema
        .createIndex('outbox_unpublished_by_type')
        .on('outbox')
        .columns(['type', 'seq'])
        .where(sql<boolean>`published_at is null`)
        .execute();
    },
  },
  '2026-11-26-08-create-products-with-open-replenishment-function': {
    async up(db: Kysely<any>) {
      // GET /products runs hundreds of times a second during a sale; sent as a statement, PGlite parses
      // and plans the join on every read (0.48 ms), in a function once per connection (0.28 ms).
      await sql`
        create function products_with_open_replenishment(p_sku text)
        returns table (
          sku text, name text, price numeric, stock int, reorder_point int, reorder_quantity int, factory_id text,
          r_id uuid, r_status text, r_quantity int, r_requested_at timestamptz)
        language plpgsql stable as $$
        #variable_conflict use_column
        begin
          if p_sku is null then
            return query
              select p.sku, p.name, p.price, p.stock, p.reorder_point, p.reorder_quantity, p.factory_id,
                     r.id, r.status, r.quantity, r.requested_at
              from products p
              left join replenishments r on r.sku = p.sku and r.status in ('requested', 'ordered')
              order by p.sku;
          else
            return query
              select p.sku, p.name, p.price, p.stock, p.reorder_point, p.reorder_quantity, p.factory_id,
                     r.id, r.status, r.quantity, r.requested_at
              from products p
              left join replenishments r on r.sku = p.sku and r.status in ('requested', 'ordered')
              where p.sku = p_sku;
          end if;
        end
        $$`.execute(db);
    },
  },
  '2026-11-26-09-place-orders-in-one-function': {
    async up(db: Kysely<any>) {
      // place_orders() with place_order()'s body inline: one nested query and one function call less per
      // checkout, and the items read as typed columns in one pass. Same statements, same order, same
      // answers. The batched checkout ceiling on PGlite: ~5,100 -> ~5,700-6,200/s.
      await sql`
        create or replace function place_orders(p_items jsonb)
        returns table (
          idx int, outcome text, stock int, reorder_point int, reorder_quantity int, factory_id text,
          earlier_hash text, earlier_status int, earlier_response jsonb)
        language plpgsql as $$
        declare
          it record;
          p record;
          k record;
          n int := -1;
          key_rows int;
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
                return query select n, 'replay', null::int, null::int, null::int, null::text,
                  k.request_hash, k.status_code, k.response;
                continue;
              end if;
            end if;
            update products set stock = products.stock - it.quantity, updated_at = now()
              where products.sku = it.sku and products.stock >= it.quantity
              returning products.stock, products.reorder_point, products.reorder_quantity, products.factory_id into p;
            -- 'short': nothing written; the caller tells 404 from 409.
            if not found then
              return query select n, 'short', null::int, null::int, null::int, null::text, null::text, null::int, null::jsonb;
              continue;
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
            end if;
            -- 'key_race': a concurrent transaction (PostgreSQL) holds the key; the caller rolls back and retries.
            return query select n, case when it.key is null or key_rows = 1 then 'placed' else 'key_race' end,
              p.stock, p.reorder_point, p.reorder_quantity, p.factory_id, null::text, null::int, null::jsonb;
          end loop;
        end
        $$`.execute(db);
      await sql`drop function place_order(text, int, uuid, text, text, timestamptz, uuid, jsonb, text, text, jsonb)`.execute(
        db,
      );
    },
  },
  '2026-11-26-10-place-orders-opens-replenishments': {
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
  },
  '2026-11-27-11-place-orders-decrements-each-sku-once': {
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
  },
  '2026-12-05-12-replenishment-order-claims': replenishmentOrderClaims,
  '2026-12-05-13-checkout-keys-per-customer': checkoutKeysPerCustomer,
};
