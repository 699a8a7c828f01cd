import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { InventoryTables } from '../../databases/inventory/tables.ts';

export interface KeyExpiryDeps {
  readonly db: Kysely<InventoryTables>;
  readonly logger: Logger;
  /** IDEMPOTENCY_TTL_S: a key stored longer ago than this is forgotten. */
  readonly idempotencyTtlS: number;
  /** Keys deleted per statement (one short transaction each, so checkouts are never held up long). */
  readonly batchSize?: number;
  /** Statements per run at most; what is left waits for the next run. */
  readonly maxBatches?: number;
}

const BATCH_SIZE = 1000;
const MAX_BATCHES = 200;

/**
 * Scheduled: deletes Idempotency-Keys older than the TTL, oldest first, in bounded batches (each its
 * own statement and transaction), and stops after `maxBatches` or when none is left. Checkout does not
 * depend on it: place_orders() already treats an expired key as never used. Idempotent; safe to run
 * concurrently with checkouts. Returns how many keys it deleted.
 */
export function forgetExpiredIdempotencyKeys(deps: KeyExpiryDeps) {
  const batchSize = deps.batchSize ?? BATCH_SIZE;
  const maxBatches = deps.maxBatches ?? MAX_BATCHES;
  return async (): Promise<number> => {
    let forgotten = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      // The cutoff is the database's clock, the one place_orders() compares with.
      const { numAffectedRows } = await sql`
        delete from idempotency_keys
        where (customer_id, key) in (
          select customer_id, key from idempotency_keys
          where created_at < now() - make_interval(secs => ${deps.idempotencyTtlS}::int)
          order by created_at
          limit ${batchSize}::int
        )`.execute(deps.db);
      const deleted = Number(numAffectedRows ?? 0);
      forgotten += deleted;
      if (deleted < batchSize) break;
    }
    if (forgotten > 0) deps.logger.info({ forgotten }, 'expired Idempotency-Keys forgotten');
    return forgotten;
  };
}
