import { type Kysely, type Migration, sql } from 'kysely';

// Migrations are frozen in time: they take Kysely<any> and never import the current table types.
export const customersMigrations: Record<string, Migration> = {
  '2026-11-25-01-create-customers-and-processed-orders': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('customers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tier', 'text', (c) => c.notNull().defaultTo('normal').check(sql`tier in ('normal', 'vip')`))
        .addColumn('purchased_quantity', 'integer', (c) => c.notNull().defaultTo(0).check(sql`purchased_quantity >= 0`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('processed_orders')
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
        .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  // The same shape as the inventory outbox, so the shared OutboxRelay publishes from it unchanged.
  '2026-11-25-02-create-outbox': {
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
  '2026-11-25-03-create-promotion-deliveries': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('promotion_deliveries')
        .addColumn('customer_id', 'text', (c) => c.primaryKey())
        .addColumn('event_id', 'uuid', (c) => c.notNull())
        .addColumn('delivered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  '2026-11-25-04-create-record-purchase-function': {
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
  },
  '2026-11-25-05-create-record-purchases-function': {
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
  },
};
