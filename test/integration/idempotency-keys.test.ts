import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnEachEngine, productBody, startTestSystem, type TestSystem, uniqueSku } from '../helpers/system.ts';

// Short enough to outlive in a test; the clean-up job never runs here, so expiry is place_orders()' own.
const TTL_S = 2;

describeOnEachEngine('Idempotency-Keys per customer, remembered for IDEMPOTENCY_TTL_S, on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem(
      { FACTORY_STAGE_MS: '600000', IDEMPOTENCY_TTL_S: String(TTL_S), SCHEDULE_INTERVAL_S: '3600' },
      engine,
    );
  });
  afterAll(async () => system?.destroy());

  async function createProduct(stock = 50): Promise<string> {
    const sku = uniqueSku('IDEM');
    const put = await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock, reorderPoint: 0 }),
      admin: true,
    });
    expect(put.status).toBe(201);
    return sku;
  }

  const buy = (key: string, body: { sku: string; quantity: number; customerId: string }) =>
    system.api('/checkout', { json: body, headers: { 'Idempotency-Key': key } });

  async function state(sku: string) {
    const orders = await system.inventory.db.selectFrom('orders').select(['id']).where('sku', '=', sku).execute();
    return { stock: (await system.api(`/products/${sku}`)).body.stock as number, orders: orders.length };
  }

  it('the same key from two customers is two keys: two orders, both 201', async () => {
    const sku = await createProduct();
    const key = `shared-${sku}`;
    const alice = await buy(key, { sku, quantity: 1, customerId: 'alice' });
    const bob = await buy(key, { sku, quantity: 1, customerId: 'bob' });
    expect([alice.status, bob.status]).toEqual([201, 201]);
    expect(bob.headers.get('idempotent-replayed')).toBeNull();
    expect(bob.body.order).toMatchObject({ customerId: 'bob' });
    expect(bob.body.order.id).not.toBe(alice.body.order.id);
    expect(await state(sku)).toEqual({ stock: 48, orders: 2 });
    // Each customer's key still replays that customer's own order.
    const again = await buy(key, { sku, quantity: 1, customerId: 'bob' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(bob.body);
    expect(await state(sku)).toEqual({ stock: 48, orders: 2 });
  });

  it('the same customer and key with another sku or quantity is 422 idempotency_key_reused and changes nothing', async () => {
    const sku = await createProduct();
    const other = await createProduct();
    const key = `reuse-${sku}`;
    expect((await buy(key, { sku, quantity: 2, customerId: 'carol' })).status).toBe(201);
    for (const body of [
      { sku: other, quantity: 2, customerId: 'carol' },
      { sku, quantity: 3, customerId: 'carol' },
    ]) {
      const reused = await buy(key, body);
      expect(reused.status, JSON.stringify(body)).toBe(422);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
    }
    expect(await state(sku)).toEqual({ stock: 48, orders: 1 });
    expect(await state(other)).toEqual({ stock: 50, orders: 0 });
  });

  it('a key older than the TTL is not replayed, even before the clean-up ran: the request is new', async () => {
    const sku = await createProduct();
    const key = `expiring-${sku}`;
    const body = { sku, quantity: 1, customerId: 'dave' };
    const first = await buy(key, body);
    expect(first.status).toBe(201);
    expect((await buy(key, body)).headers.get('idempotent-replayed')).toBe('true');
    await new Promise((resolve) => setTimeout(resolve, TTL_S * 1000 + 500));
    const stored = await system.inventory.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('key', '=', key)
      .execute();
    expect(stored).toHaveLength(1); // not cleaned up: place_orders() itself ignores it
    const later = await buy(key, body);
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(later.body.order.id).not.toBe(first.body.order.id);
    expect(await state(sku)).toEqual({ stock: 48, orders: 2 });
    // The key now remembers the new order.
    const replay = await buy(key, body);
    expect(replay.body).toEqual(later.body);
    expect(await state(sku)).toEqual({ stock: 48, orders: 2 });
  });

  it('a key older than the TTL may carry another request: 201, not 422', async () => {
    const sku = await createProduct();
    const key = `expired-other-${sku}`;
    expect((await buy(key, { sku, quantity: 1, customerId: 'erin' })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, TTL_S * 1000 + 500));
    const other = await buy(key, { sku, quantity: 4, customerId: 'erin' });
    expect(other.status).toBe(201);
    expect(other.body).toMatchObject({ order: { quantity: 4 }, remaining: 45 });
    expect((await buy(key, { sku, quantity: 1, customerId: 'erin' })).status).toBe(422);
  });
});
