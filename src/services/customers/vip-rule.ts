import type { CustomerTier } from './tables.ts';

/**
 * The tier a customer holds after buying: `vip` once cumulative quantity reaches the threshold
 * (inclusive), and `vip` stays `vip` — the rule only ever promotes.
 */
export function tierFor(current: CustomerTier, purchasedQuantity: number, vipThreshold: number): CustomerTier {
  if (current === 'vip') return 'vip';
  return purchasedQuantity >= vipThreshold ? 'vip' : 'normal';
}

/** True when this purchase is the one that turns a normal customer into a VIP. */
export function isPromotion(current: CustomerTier, purchasedQuantity: number, vipThreshold: number): boolean {
  return current === 'normal' && tierFor(current, purchasedQuantity, vipThreshold) === 'vip';
}
