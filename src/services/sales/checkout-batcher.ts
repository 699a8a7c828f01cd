import type { Kysely } from 'kysely';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { type CheckoutAnswer, type CheckoutItem, checkout, placeOrders } from './checkout.ts';

interface Pending {
  readonly item: CheckoutItem;
  readonly resolve: (answer: CheckoutAnswer) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: checkouts that arrive while a transaction is running wait and then share the next one
 * (up to `maxBatch`), so the fixed cost of a transaction is paid once per batch instead of once per sale.
 * Each caller still gets its own answer, and only after the commit. If a batch fails as a whole
 * (an unexpected database error, a key race), its checkouts are retried one by one, so one bad
 * request never fails the others.
 */
export class CheckoutBatcher {
  readonly #db: Kysely<InventoryTables>;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  #running = false;

  constructor(db: Kysely<InventoryTables>, maxBatch: number) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  submit(item: CheckoutItem): Promise<CheckoutAnswer> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        await this.#run(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  async #run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch;
      await checkout(this.#db, only!.item).then(only!.resolve, only!.reject);
      return;
    }
    let outcomes;
    try {
      outcomes = await placeOrders(
        this.#db,
        batch.map((p) => p.item),
      );
    } catch {
      for (const pending of batch) await checkout(this.#db, pending.item).then(pending.resolve, pending.reject);
      return;
    }
    outcomes.forEach((outcome, i) => {
      const pending = batch[i]!;
      if ('error' in outcome) pending.reject(outcome.error);
      else pending.resolve(outcome.answer);
    });
  }
}
