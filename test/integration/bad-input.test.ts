import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiInit,
  callApi,
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
} from '../helpers/system.ts';

describeOnEachEngine('bad input on %s', (engine) => {
  let system: TestSystem;
  // Fixed before the cases are built, so every case carries a real sku and fails only for its own reason.
  const sku = uniqueSku('BAD');

  beforeAll(async () => {
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000' }, engine);
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 40, reorderPoint: 0 }),
      admin: true,
    });
  });
  afterAll(async () => system?.destroy());

  /** Everything a rejected request must not change. */
  async function snapshot() {
    const db = system.inventory.db;
    const count = async (table: 'orders' | 'replenishments' | 'idempotency_keys' | 'outbox' | 'products') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      products: await db.selectFrom('products').select(['sku', 'name', 'price', 'stock']).orderBy('sku').execute(),
      orders: await count('orders'),
      replenishments: await count('replenishments'),
      idempotencyKeys: await count('idempotency_keys'),
      outbox: await count('outbox'),
    };
  }

  function expectErrorShape(body: any, code: string) {
    expect(body).toMatchObject({ error: { code, message: expect.any(String) } });
  }

  const checkoutBody = (overrides: Record<string, unknown> = {}) => ({
    sku,
    quantity: 1,
    customerId: 'bob',
    ...overrides,
  });

  const json = { 'content-type': 'application/json' };
  /** The body as UTF-8, with the marker BYTES replaced by the UTF-8 encoding of a surrogate (not UTF-8). */
  const rawBody = (body: unknown) => {
    const [before, after] = JSON.stringify(body).split('BYTES') as [string, string];
    return Buffer.concat([Buffer.from(before), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(after)]);
  };

  const badCheckouts: [string, ApiInit, number, string][] = [
    ['quantity as a string', { json: checkoutBody({ quantity: '1' }) }, 400, 'invalid_request'],
    ['quantity 0', { json: checkoutBody({ quantity: 0 }) }, 400, 'invalid_request'],
    ['quantity negative', { json: checkoutBody({ quantity: -5 }) }, 400, 'invalid_request'],
    ['quantity 1001', { json: checkoutBody({ quantity: 1001 }) }, 400, 'invalid_request'],
    ['quantity fractional', { json: checkoutBody({ quantity: 1.5 }) }, 400, 'invalid_request'],
    ['quantity missing', { json: { sku: 'x', customerId: 'bob' } }, 400, 'invalid_request'],
    ['customerId empty', { json: checkoutBody({ customerId: '' }) }, 400, 'invalid_request'],
    ['customerId too long', { json: checkoutBody({ customerId: 'c'.repeat(129) }) }, 400, 'invalid_request'],
    ['customerId a number', { json: checkoutBody({ customerId: 42 }) }, 400, 'invalid_request'],
    // PostgreSQL text cannot hold NUL: this was a 500 until the chaos fuzzer found it.
    ['customerId with a NUL character', { json: checkoutBody({ customerId: 'a\u0000b' }) }, 400, 'invalid_request'],
    // A lone surrogate cannot be encoded as UTF-8: it reached the jsonb cast and was a 500.
    ['customerId a lone high surrogate', { json: checkoutBody({ customerId: '\ud800' }) }, 400, 'invalid_request'],
    [
      'customerId with a lone low surrogate',
      { json: checkoutBody({ customerId: 'a\udc00b' }) },
      400,
      'invalid_request',
    ],
    [
      'customerId a reversed surrogate pair',
      { json: checkoutBody({ customerId: '\udc00\ud800' }) },
      400,
      'invalid_request',
    ],
    ['sku a lone surrogate', { json: checkoutBody({ sku: '\ud800' }) }, 400, 'invalid_request'],
    [
      'bytes that are not UTF-8',
      { body: rawBody(checkoutBody({ customerId: 'BYTES' })), headers: json },
      400,
      'invalid_request',
    ],
    [
      'a NUL escaped in JSON',
      { body: `{"sku":"${sku}","quantity":1,"customerId":"a\\u0000"}`, headers: json },
      400,
      'invalid_request',
    ],
    [
      'quantity 2^53',
      { body: `{"sku":"${sku}","quantity":9007199254740992,"customerId":"bob"}`, headers: json },
      400,
      'invalid_request',
    ],
    [
      'quantity past 2^53',
      { body: `{"sku":"${sku}","quantity":9007199254740993,"customerId":"bob"}`, headers: json },
      400,
      'invalid_request',
    ],
    [
      'quantity 1e400 (Infinity)',
      { body: `{"sku":"${sku}","quantity":1e400,"customerId":"bob"}`, headers: json },
      400,
      'invalid_request',
    ],
    [
      'quantity -2^53 - 1',
      { body: `{"sku":"${sku}","quantity":-9007199254740993,"customerId":"bob"}`, headers: json },
      400,
      'invalid_request',
    ],
    [
      'a duplicate key whose last value is invalid',
      { body: `{"sku":"${sku}","quantity":1,"customerId":"bob","customerId":"\\ud800"}`, headers: json },
      400,
      'invalid_request',
    ],
    ['sku with SQL in it', { json: checkoutBody({ sku: "x' OR '1'='1" }) }, 400, 'invalid_request'],
    ['unknown field', { json: checkoutBody({ price: 0 }) }, 400, 'invalid_request'],
    ['body is an array', { json: [checkoutBody()] }, 400, 'invalid_request'],
    ['body is null', { body: 'null', headers: { 'content-type': 'application/json' } }, 400, 'invalid_request'],
    ['malformed JSON', { body: '{"sku": ', headers: { 'content-type': 'application/json' } }, 400, 'invalid_request'],
    ['empty body', { body: '', headers: { 'content-type': 'application/json' } }, 400, 'invalid_request'],
    [
      'text/plain body',
      { body: JSON.stringify(checkoutBody()), headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported_media_type',
    ],
    [
      'form body',
      { body: 'sku=x&quantity=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      'unsupported_media_type',
    ],
    [
      'no content type',
      { body: JSON.stringify(checkoutBody()), headers: { 'content-type': '' } },
      415,
      'unsupported_media_type',
    ],
    ['body over 64 KiB', { json: checkoutBody({ customerId: 'x'.repeat(70 * 1024) }) }, 413, 'payload_too_large'],
    [
      'Idempotency-Key over 255 characters',
      { json: checkoutBody(), headers: { 'Idempotency-Key': 'k'.repeat(256) } },
      400,
      'invalid_request',
    ],
    ['unknown sku', { json: checkoutBody({ sku: 'NO-SUCH-SKU' }) }, 404, 'product_not_found'],
  ];

  describe('bad input gets a 4xx in the contract shape and changes nothing', () => {
    it.each(badCheckouts)('POST /checkout with %s', async (_name, init, status, code) => {
      const before = await snapshot();
      const res = await system.api('/checkout', { method: 'POST', ...init });
      expect(res.status).toBe(status);
      expectErrorShape(res.body, code);
      expect(await snapshot()).toEqual(before);
    });

    it('lists one detail per invalid field', async () => {
      const res = await system.api('/checkout', { json: { sku: '', quantity: '2', customerId: '' } });
      expect(res.status).toBe(400);
      const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
      expect(fields).toEqual(['customerId', 'quantity', 'sku']);
    });

    const badProducts: [string, unknown][] = [
      ['negative stock', productBody({ stock: -1 })],
      ['price with three decimals', productBody({ price: 1.005 })],
      ['negative price', productBody({ price: -1 })],
      ['reorderQuantity 0', productBody({ reorderQuantity: 0 })],
      ['missing name', { ...productBody(), name: undefined }],
      ['stock as a string', productBody({ stock: '5' })],
      ['name with a NUL character', productBody({ name: 'Glazed\u0000' })],
      ['factoryId with a NUL character', productBody({ factoryId: '\u0000' })],
      // Stored as U+FFFD until now: a silent change of what was sent.
      ['name with a lone surrogate', productBody({ name: 'Glazed \ud83c' })],
      ['factoryId with a lone surrogate', productBody({ factoryId: '\udfff' })],
      ['stock 2^53', productBody({ stock: 2 ** 53 })],
    ];
    it.each(badProducts)('PUT /products/{sku} with %s', async (_name, body) => {
      const before = await snapshot();
      const res = await system.api(`/products/${sku}`, { method: 'PUT', json: body, admin: true });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 'invalid_request');
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ['a body that is not UTF-8', rawBody(productBody({ name: 'BYTES' }))],
      ['price 1e400 (Infinity)', JSON.stringify(productBody()).replace('"price":1.25', '"price":1e400')],
      ['stock past 2^53', JSON.stringify(productBody()).replace('"stock":50', '"stock":9007199254740993')],
    ])('PUT with %s is 400', async (_name, body) => {
      const before = await snapshot();
      const res = await system.api(`/products/${sku}`, { method: 'PUT', body, headers: json, admin: true });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 'invalid_request');
      expect(await snapshot()).toEqual(before);
    });

    it('GET /customers/{id} with percent-encoded bytes that are not UTF-8 is a 4xx', async () => {
      // The UTF-8 encoding of a lone surrogate: no text, so no customer id.
      for (const id of ['%ED%A0%80', 'a%ED%B0%80b']) {
        const res = await system.api(`/customers/${id}`);
        expect(res.status, id).toBeGreaterThanOrEqual(400);
        expect(res.status, id).toBeLessThan(500);
        expectErrorShape(res.body, res.status === 400 ? 'invalid_request' : 'customer_not_found');
      }
    });

    it('PUT with an invalid sku in the path is 400', async () => {
      const res = await system.api(`/products/${encodeURIComponent('bad sku!')}`, {
        method: 'PUT',
        json: productBody(),
        admin: true,
      });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 'invalid_request');
    });

    it('a body over 64 KiB sent without a content-length (chunked) is 413', async () => {
      const before = await snapshot();
      const big = JSON.stringify(checkoutBody({ customerId: 'y'.repeat(80 * 1024) }));
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      });
      const res = await fetch(`${system.url}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(await snapshot()).toEqual(before);
    });

    it('a duplicate key in the JSON body counts once, with its last value (as JSON.parse reads it)', async () => {
      const res = await system.api('/checkout', {
        body: `{"sku":"${sku}","quantity":1,"customerId":"dup","quantity":2}`,
        headers: json,
      });
      expect(res.status).toBe(201);
      expect(res.body.order).toMatchObject({ sku, quantity: 2, customerId: 'dup' });
    });

    it('numbers just below 2^53 where a field allows them are read exactly', async () => {
      const res = await system.api('/checkout', {
        body: `{"sku":"${sku}","quantity":1.0,"customerId":"exact"}`,
        headers: json,
      });
      expect(res.status).toBe(201);
      expect(res.body.order.quantity).toBe(1);
    });

    it('unknown routes are 404 in the error shape', async () => {
      const res = await callApi(system.url, '/nope');
      expect(res.status).toBe(404);
      expectErrorShape(res.body, 'not_found');
    });
  });
});
