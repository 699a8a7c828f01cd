import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { FactoryOrderBody } from './factory.ts';
import { CheckoutRequest, CustomerId, IdempotencyKey, ProductInput, Sku, StorableText, Text } from './http.ts';

const ILL_FORMED = ['\ud800', '\udfff', 'a\ud83cb', 'x\udc00', '\udc00\ud800'];
const NUL = ['\u0000', 'a\u0000b'];

/** Every request schema with a valid example, and which of its text fields reach a PostgreSQL text column. */
const REQUESTS: { name: string; schema: z.ZodType; valid: Record<string, unknown>; stored: string[] }[] = [
  {
    name: 'POST /checkout',
    schema: CheckoutRequest,
    valid: { sku: 'CP-502101', quantity: 1, customerId: 'alice' },
    stored: ['sku', 'customerId'],
  },
  {
    name: 'PUT /products/{sku}',
    schema: ProductInput,
    valid: { name: 'Glazed', price: 1.5, stock: 3, reorderPoint: 1, reorderQuantity: 5, factoryId: 'f-1' },
    stored: ['name', 'factoryId'],
  },
  {
    name: 'POST /factory/callbacks/{id}',
    schema: FactoryOrderBody,
    valid: {
      MessageGroupId: 'stock-arrival-group',
      MessageAttributeProductId: 'CP-502101',
      MessageAttributeProductCnt: 5,
      MessageAttributeFactoryId: 'factory-1',
      MessageAttributeRequester: 'donut-states',
      CallbackUrl: 'http://localhost:3000/factory/callbacks/x?signature=y',
    },
    stored: [],
  },
];

/** Path parameters and headers, each with a valid value. */
const VALUES: { name: string; schema: z.ZodType; valid: string; stored: boolean }[] = [
  { name: 'sku (path)', schema: Sku, valid: 'CP-502101', stored: true },
  { name: 'Idempotency-Key (header)', schema: IdempotencyKey, valid: 'key-1', stored: true },
  { name: 'customer id (path)', schema: CustomerId, valid: 'alice', stored: true },
];

const wellFormedIssue = (error: z.ZodError | undefined, path: PropertyKey[]) =>
  error?.issues.some((i) => JSON.stringify(i.path) === JSON.stringify(path) && /well-formed/.test(i.message));

describe('every text field of every request schema', () => {
  for (const { name, schema, valid, stored } of REQUESTS) {
    const textFields = Object.keys(valid).filter((k) => typeof valid[k] === 'string');

    it(`${name}: the valid example passes`, () => {
      expect(schema.safeParse(valid).success).toBe(true);
    });

    it.each(textFields)(`${name}: %s refuses ill-formed UTF-16 (lone surrogates), as not well-formed`, (field) => {
      for (const bad of ILL_FORMED) {
        const value = `${String(valid[field]).slice(0, 3)}${bad}`;
        const result = schema.safeParse({ ...valid, [field]: value });
        expect(result.success, JSON.stringify(value)).toBe(false);
        expect(wellFormedIssue(result.error, [field]), JSON.stringify(result.error?.issues)).toBe(true);
      }
    });

    if (stored.length > 0) {
      it.each(stored)(`${name}: %s, stored as text, refuses NUL`, (field) => {
        for (const bad of NUL) expect(schema.safeParse({ ...valid, [field]: bad }).success).toBe(false);
      });
    }
  }

  it.each(VALUES)('$name refuses ill-formed UTF-16 and NUL, and takes its valid value', ({ schema, valid, stored }) => {
    expect(schema.safeParse(valid).success).toBe(true);
    for (const bad of ILL_FORMED) {
      const result = schema.safeParse(`${valid}${bad}`);
      expect(result.success).toBe(false);
      expect(wellFormedIssue(result.error, [])).toBe(true);
    }
    if (stored) for (const bad of NUL) expect(schema.safeParse(`${valid}${bad}`).success).toBe(false);
  });

  it('takes a surrogate pair (an emoji) as the well-formed text it is', () => {
    expect(Text.safeParse('donut \u{1F369}').success).toBe(true);
    expect(StorableText.safeParse('donut \ud83c\udf69').success).toBe(true);
    expect(CheckoutRequest.safeParse({ sku: 'CP-502101', quantity: 1, customerId: '\u{1F369}' }).success).toBe(true);
  });
});
