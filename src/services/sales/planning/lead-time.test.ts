import { describe, expect, it } from 'vitest';
import { estimateLeadTime } from './lead-time.ts';

const settings = { defaultLeadTimeS: 60, minDeliveries: 3, leadTimeWindow: 20, maxLeadTimeS: 300 };

describe('estimateLeadTime', () => {
  it('is the configured default with no history', () => {
    expect(estimateLeadTime([], settings)).toEqual({ leadTimeS: 60, deliveries: 0 });
  });

  it('stays on the default until enough deliveries are seen', () => {
    expect(estimateLeadTime([10, 12], settings)).toEqual({ leadTimeS: 60, deliveries: 0 });
    expect(estimateLeadTime([10, 12, 11], settings)).toEqual({ leadTimeS: 11, deliveries: 3 });
  });

  it('is the median of a steady factory', () => {
    expect(estimateLeadTime([40, 42, 38, 41, 39], settings)).toEqual({ leadTimeS: 40, deliveries: 5 });
  });

  it('ignores timeouts and samples that are not a duration', () => {
    const estimate = estimateLeadTime([40, 900, 41, Number.NaN, -3, 0, 39], settings);
    expect(estimate).toEqual({ leadTimeS: 40, deliveries: 3 });
  });

  it('drops an outlier that is no timeout', () => {
    // 250 s is within the timeout but far from the factory's usual pace; a mean would say 74 s.
    const estimate = estimateLeadTime([40, 42, 38, 41, 250, 39], settings);
    expect(estimate.leadTimeS).toBe(40);
    expect(estimate.deliveries).toBe(5);
  });

  it('takes the median of all when dropping outliers would leave too few', () => {
    expect(estimateLeadTime([0.05, 0.06, 0.5], settings)).toEqual({ leadTimeS: 0.06, deliveries: 3 });
  });

  it('treats jitter of a fast, regular factory as no outlier', () => {
    expect(estimateLeadTime([10, 10, 10, 10, 10.5], settings)).toEqual({ leadTimeS: 10, deliveries: 5 });
  });

  it('follows a factory that became slower, from its most recent deliveries', () => {
    const recentFirst = [...Array(20).fill(90), ...Array(20).fill(30)];
    expect(estimateLeadTime(recentFirst, settings)).toEqual({ leadTimeS: 90, deliveries: 20 });
  });

  it('keeps every sample when they all agree (no spread to judge outliers by)', () => {
    expect(estimateLeadTime([5, 5, 5, 5], settings)).toEqual({ leadTimeS: 5, deliveries: 4 });
  });
});
