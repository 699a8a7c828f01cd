import { describe, expect, it } from 'vitest';
import { callbackUrl, signCallback, verifyCallbackSignature } from './callback-signature.ts';

const order = { replenishmentId: '6f1c1a34-8a4d-4b9e-9a57-0f6c3a1b2c3d', sku: 'CP-502101', quantity: 100 };

describe('callback signature', () => {
  it('verifies a signature it made', () => {
    expect(verifyCallbackSignature('s3cret-s3cret-s3cret', order, signCallback('s3cret-s3cret-s3cret', order))).toBe(
      true,
    );
  });

  it('rejects another secret, another id, sku or quantity', () => {
    const signature = signCallback('s3cret-s3cret-s3cret', order);
    expect(verifyCallbackSignature('other-secret-other', order, signature)).toBe(false);
    expect(verifyCallbackSignature('s3cret-s3cret-s3cret', { ...order, quantity: 1000 }, signature)).toBe(false);
    expect(verifyCallbackSignature('s3cret-s3cret-s3cret', { ...order, sku: 'CP-502102' }, signature)).toBe(false);
    expect(verifyCallbackSignature('s3cret-s3cret-s3cret', { ...order, replenishmentId: 'x' }, signature)).toBe(false);
    expect(verifyCallbackSignature('s3cret-s3cret-s3cret', order, '')).toBe(false);
  });

  it('builds the CallbackUrl under the public URL, without a doubled slash', () => {
    const url = new URL(callbackUrl('https://shop.example/', 'k-k-k-k-k-k-k-k-k', order));
    expect(url.origin).toBe('https://shop.example');
    expect(url.pathname).toBe(`/factory/callbacks/${order.replenishmentId}`);
    expect(url.searchParams.get('signature')).toBe(signCallback('k-k-k-k-k-k-k-k-k', order));
  });
});
