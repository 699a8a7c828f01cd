import { describe, expect, it } from 'vitest';
import { isPromotion, tierFor } from './vip-rule.ts';

describe('VIP rule', () => {
  it('promotes at exactly the threshold, not one below', () => {
    expect(tierFor('normal', 99, 100)).toBe('normal');
    expect(tierFor('normal', 100, 100)).toBe('vip');
    expect(tierFor('normal', 250, 100)).toBe('vip');
  });

  it('never demotes a VIP', () => {
    expect(tierFor('vip', 0, 100)).toBe('vip');
    expect(tierFor('vip', 99, 100)).toBe('vip');
  });

  it('counts a promotion only on the purchase that crosses the threshold', () => {
    expect(isPromotion('normal', 100, 100)).toBe(true);
    expect(isPromotion('normal', 99, 100)).toBe(false);
    expect(isPromotion('vip', 150, 100)).toBe(false);
  });

  it('follows a configured threshold', () => {
    expect(tierFor('normal', 5, 5)).toBe('vip');
    expect(tierFor('normal', 4, 5)).toBe('normal');
  });
});
