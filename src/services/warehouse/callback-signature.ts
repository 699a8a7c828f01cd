import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a CallbackUrl vouches for: the factory may only deliver this count of this sku for this replenishment. */
export interface SignedCallback {
  readonly replenishmentId: string;
  readonly sku: string;
  readonly quantity: number;
}

export function signCallback(secret: string, callback: SignedCallback): string {
  return createHmac('sha256', secret)
    .update(`${callback.replenishmentId}\n${callback.sku}\n${callback.quantity}`)
    .digest('base64url');
}

/** Constant-time check of a presented signature. */
export function verifyCallbackSignature(secret: string, callback: SignedCallback, presented: string): boolean {
  const expected = Buffer.from(signCallback(secret, callback));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `{publicUrl}/factory/callbacks/{id}?signature=…`: the URL handed to the factory. */
export function callbackUrl(publicUrl: string, secret: string, callback: SignedCallback): string {
  const base = publicUrl.replace(/\/+$/, '');
  const signature = signCallback(secret, callback);
  return `${base}/factory/callbacks/${encodeURIComponent(callback.replenishmentId)}?signature=${signature}`;
}
