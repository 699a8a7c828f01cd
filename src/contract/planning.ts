// How the planning views (GET /products, GET /ops/replenishment-plan, the dashboard) project a stock-out.

/** The last instant an RFC 3339 timestamp (a four-digit year) can name. */
const LAST_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * When the shelf empties at the measured demand, or null when nothing is selling. A large stock at a
 * demand decayed almost to nothing runs out after any date a timestamp can name: null too, rather than
 * an invalid date that fails whoever formats it.
 */
export function projectedStockOut(stock: number, demandPerSecond: number, now: Date): Date | null {
  if (!(demandPerSecond > 1e-6)) return null;
  const atMs = now.getTime() + (Math.max(0, stock) / demandPerSecond) * 1000;
  return atMs <= LAST_TIMESTAMP_MS ? new Date(atMs) : null;
}
