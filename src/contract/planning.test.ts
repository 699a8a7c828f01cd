import { describe, expect, it } from 'vitest';
import { projectedStockOut } from './planning.ts';

describe('projectedStockOut', () => {
  const now = new Date('2026-12-05T12:00:00Z');
  it('is when the stock runs out at the measured pace', () => {
    expect(projectedStockOut(100, 2, now)?.toISOString()).toBe('2026-12-05T12:00:50.000Z');
  });
  it('is null when nothing sells', () => {
    expect(projectedStockOut(100, 0, now)).toBeNull();
  });
  it('is null, not an invalid date, when a large stock outlasts any date at a demand near zero', () => {
    expect(projectedStockOut(1_000_000_000, 2e-6, now)).toBeNull();
    expect(projectedStockOut(1_000_000, 2e-6, now)).toBeNull();
    expect(projectedStockOut(100_000, 2e-6, now)?.toISOString()).toMatch(/^\d{4}-/);
  });
});
