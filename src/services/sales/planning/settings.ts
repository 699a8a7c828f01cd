/**
 * The knobs of replenishment planning (docs/planning.md). Defaults suit the embedded shop and its fast
 * factory simulator; every one can be overridden where the sales service is built.
 */
export interface PlanningSettings {
  /** Half-life of the demand estimate: how fast it follows a surge and forgets it afterwards. */
  readonly demandHalfLifeS: number;
  /** Lead time assumed for a factory until it has delivered `minDeliveries` times. */
  readonly defaultLeadTimeS: number;
  /** Deliveries a factory must have made before its measured lead time replaces the default. */
  readonly minDeliveries: number;
  /** The most recent deliveries per factory the lead-time estimate looks at. */
  readonly leadTimeWindow: number;
  /** An order should cover demand for this long (besides covering the lead time itself). */
  readonly coverS: number;
  /** A delivery slower than this is a timeout, not a lead time: REPLENISHMENT_TIMEOUT_S. */
  readonly maxLeadTimeS: number;
}

export const DEFAULT_SERVICE_LEVEL = 0.95;

export const DEFAULT_PLANNING_SETTINGS: PlanningSettings = {
  demandHalfLifeS: 20,
  defaultLeadTimeS: 60,
  minDeliveries: 3,
  leadTimeWindow: 20,
  coverS: 40,
  maxLeadTimeS: 300,
};
