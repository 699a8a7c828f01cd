import { describe, expect, it } from 'vitest';
import { hashRequest, isRetryable } from './checkout.ts';

describe('hashRequest', () => {
  const request = { sku: 'CP-502101', quantity: 2, customerId: 'alice' };

  it('is the same for the same request, whatever the order of its fields', () => {
    expect(hashRequest({ customerId: 'alice', quantity: 2, sku: 'CP-502101' })).toBe(hashRequest(request));
  });

  it.each([
    ['sku', { ...request, sku: 'CP-502102' }],
    ['quantity', { ...request, quantity: 3 }],
    ['customerId', { ...request, customerId: 'bob' }],
  ])('covers %s: another value is another request', (_field, other) => {
    expect(hashRequest(other)).not.toBe(hashRequest(request));
  });

  it('cannot be fooled by moving text between fields', () => {
    expect(hashRequest({ sku: 'A', quantity: 1, customerId: 'B,1' })).not.toBe(
      hashRequest({ sku: 'A,1', quantity: 1, customerId: 'B' }),
    );
  });
});

describe('isRetryable', () => {
  it('retries a deadlock (40P01) and a serialization failure (40001), nothing else', () => {
    expect(isRetryable({ code: '40P01' })).toBe(true);
    expect(isRetryable({ code: '40001' })).toBe(true);
    for (const error of [{ code: '23505' }, { code: '22P02' }, new Error('x'), null, undefined, 'text']) {
      expect(isRetryable(error)).toBe(false);
    }
  });
});
