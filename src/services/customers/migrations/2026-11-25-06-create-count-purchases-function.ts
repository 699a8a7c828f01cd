import { type Kysely, type Migration, sql } from 'kysely';

export const createCountPurchasesFunction: Migration = {
  async up(db: Kysely<any>) {
    // A batch counted set by set instead of order by order: one insert into the inbox, one upsert per
    // customer, one conditional promotion, whatever the batch size. Same outcomes as record_purchases():
    // an order id counts once (a repeat in the batch or a redelivery counts nothing), each counted
    // order reports the customer's total right after it, and a normal customer reaching the threshold
    // is promoted once, by the order that reached it, with its customer.promoted event in the outbox.
    // The upsert locks each customer row and returns its latest committed total and tier, so
    // concurrent batches (several consumers on PostgreSQL) still promote a customer exactly once.
    await sql`
        create function count_purchases(p_items jsonb, p_threshold int, p_now text)
        returns table (
          idx int, counted boolean, tier text, purchased_quantity int, updated_at timestamptz, promoted boolean)
        language plpgsql as $$
        declare
          v_counted jsonb;
        begin
          with items as (
            select (e.ordinality - 1)::int as idx, e.value->>'orderId' as order_id,
                   e.value->>'customerId' as customer_id, (e.value->>'quantity')::int as quantity,
                   e.value->>'correlationId' as correlation_id
            from jsonb_array_elements(p_items) with ordinality e
          ),
          firsts as (select distinct on (i.order_id) i.* from items i order by i.order_id, i.idx),
          fresh as (
            insert into processed_orders (order_id, customer_id, quantity)
            select f.order_id, f.customer_id, f.quantity from firsts f order by f.idx
            on conflict (order_id) do nothing
            returning processed_orders.order_id
          ),
          counted_items as (select f.* from firsts f join fresh using (order_id)),
          sums as (
            select c.customer_id, sum(c.quantity)::int as quantity from counted_items c group by c.customer_id
          ),
          totals as (
            insert into customers as cu (id, tier, purchased_quantity, created_at, updated_at)
            select s.customer_id, 'normal', s.quantity, p_now::timestamptz, p_now::timestamptz from sums s
            order by s.customer_id
            on conflict (id) do update
              set purchased_quantity = cu.purchased_quantity + excluded.purchased_quantity,
                  updated_at = excluded.updated_at
            returning cu.id, cu.tier, cu.purchased_quantity
          )
          select coalesce(jsonb_agg(r), '[]'::jsonb) into v_counted from (
            select c.idx, c.order_id, c.customer_id, c.correlation_id, t.tier,
                   t.purchased_quantity - s.quantity
                     + sum(c.quantity) over (partition by c.customer_id order by c.idx) as total
            from counted_items c join totals t on t.id = c.customer_id join sums s on s.customer_id = c.customer_id
          ) r;

          return query
          with running as (
            select * from jsonb_to_recordset(v_counted)
              as r(idx int, order_id text, customer_id text, correlation_id text, tier text, total int)
          ),
          crossing as (
            select distinct on (r.customer_id) r.*, gen_random_uuid() as event_id from running r
            where r.tier = 'normal' and r.total >= p_threshold order by r.customer_id, r.idx
          ),
          promoted as (
            update customers c set tier = 'vip' from crossing x
            where c.id = x.customer_id and c.tier = 'normal'
            returning c.id
          ),
          events as (
            insert into outbox (id, type, payload)
            select x.event_id, 'customer.promoted', jsonb_build_object(
              'id', x.event_id, 'type', 'customer.promoted', 'occurredAt', p_now, 'correlationId', x.correlation_id,
              'data', jsonb_build_object('customerId', x.customer_id, 'tier', 'vip', 'purchasedQuantity', x.total,
                                         'threshold', p_threshold, 'orderId', x.order_id, 'promotedAt', p_now))
            from crossing x join promoted p on p.id = x.customer_id
            returning outbox.id
          )
          select (i.idx - 1)::int, r.idx is not null,
                 case when r.idx is null then null
                      when r.tier = 'vip' or (p.id is not null and r.idx >= x.idx) then 'vip'
                      else 'normal' end,
                 r.total,
                 case when r.idx is null then null else p_now::timestamptz end,
                 coalesce(p.id is not null and r.idx = x.idx, false)
          from jsonb_array_elements(p_items) with ordinality i(value, idx)
          left join running r on r.idx = i.idx - 1
          left join crossing x on x.customer_id = r.customer_id
          left join promoted p on p.id = r.customer_id
          order by i.idx;
        end
        $$`.execute(db);
    // Replaced by count_purchases().
    await sql`drop function record_purchases(jsonb, int)`.execute(db);
    await sql`drop function record_purchase(text, text, int, int, timestamptz, uuid, jsonb)`.execute(db);
  },
};
