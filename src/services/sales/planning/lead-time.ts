import type { PlanningSettings } from './settings.ts';

export interface LeadTimeEstimate {
  /** Seconds from the order being sent to the factory to its stock arriving. */
  readonly leadTimeS: number;
  /** Deliveries the estimate rests on (after dropping timeouts and outliers); 0 while on the default. */
  readonly deliveries: number;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Scales the median absolute deviation to a standard deviation for normally distributed samples. */
const MAD_TO_SIGMA = 1.4826;
/** A sample further than this many (robust) standard deviations from the median is an outlier. */
const OUTLIER_SIGMAS = 3;
/** The spread is taken as at least this share of the median lead time. */
const MIN_RELATIVE_SPREAD = 0.1;

/**
 * A factory's lead time from its recent deliveries (most recent first, at most `leadTimeWindow` used):
 * the median of those that are neither a timeout (slower than `maxLeadTimeS`, or not a positive
 * number) nor an outlier (beyond three robust standard deviations, from the median absolute
 * deviation, and at least a tenth of the median); when that would leave fewer than `minDeliveries`,
 * the median of all of them. With fewer than `minDeliveries` valid deliveries it is the configured
 * default.
 * Pure: the same samples always give the same estimate.
 */
export function estimateLeadTime(
  recentS: readonly number[],
  settings: Pick<PlanningSettings, 'defaultLeadTimeS' | 'minDeliveries' | 'leadTimeWindow' | 'maxLeadTimeS'>,
): LeadTimeEstimate {
  const valid = recentS
    .slice(0, settings.leadTimeWindow)
    .filter((s) => Number.isFinite(s) && s > 0 && s <= settings.maxLeadTimeS)
    .sort((a, b) => a - b);
  if (valid.length === 0 || valid.length < settings.minDeliveries) {
    return { leadTimeS: settings.defaultLeadTimeS, deliveries: 0 };
  }
  const center = median(valid);
  // Jitter of a tenth of the lead time is no outlier, however alike the other deliveries were.
  const spread = Math.max(
    MAD_TO_SIGMA * median(valid.map((s) => Math.abs(s - center)).sort((a, b) => a - b)),
    MIN_RELATIVE_SPREAD * center,
  );
  const kept = valid.filter((s) => Math.abs(s - center) <= OUTLIER_SIGMAS * spread);
  // Too few left to judge by: the median of them all is robust enough.
  const basis = kept.length >= settings.minDeliveries ? kept : valid;
  return { leadTimeS: median(basis), deliveries: basis.length };
}
