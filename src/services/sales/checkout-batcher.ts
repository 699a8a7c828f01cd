import type { Kysely } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { GroupCommit } from '../../platform/group-commit.ts';
import {
  type CheckoutAnswer,
  type CheckoutItem,
  type CheckoutOptions,
  type CheckoutOutcome,
  checkout,
  placeOrders,
} from './checkout.ts';

/**
 * Checkouts in group commit: concurrent ones share one transaction and one place_orders() call (up to
 * `maxBatch`); each still gets its own answer or contract error, only after the commit. A batch the
 * database refuses as a whole is split until the item at fault fails alone.
 */
export function createCheckoutBatcher(db: Kysely<InventoryTables>, maxBatch: number, options: CheckoutOptions) {
  const group = new GroupCommit<CheckoutItem, CheckoutOutcome>({
    maxBatch,
    runBatch: (items) => placeOrders(db, items, options),
    // Alone, checkout() also retries a deadlock or an Idempotency-Key race; its errors become the outcome.
    runOne: (item) =>
      checkout(db, item, options).then(
        (answer) => ({ answer }),
        (error: unknown) => {
          if (error instanceof AppError) return { error };
          throw error;
        },
      ),
  });
  return async (item: CheckoutItem): Promise<CheckoutAnswer> => {
    const outcome = await group.submit(item);
    if ('error' in outcome) throw outcome.error;
    return outcome.answer;
  };
}
