interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (outcome: O) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitOptions<I, O> {
  /** Items per batch at most. */
  readonly maxBatch: number;
  /** Runs a whole batch in one transaction; answers one outcome per item, in order. */
  readonly runBatch: (items: readonly I[]) => Promise<O[]>;
  /** Runs one item alone: used for a batch of one, and for an item left alone by splitting a failed batch. */
  readonly runOne: (item: I) => Promise<O>;
}

/**
 * Group commit: work that arrives while a batch runs waits and then shares the next one, so the fixed
 * cost of a database round trip and a transaction is paid once per batch instead of once per item.
 * Each caller still gets its own outcome, only after the commit. A batch that fails as a whole is
 * split in halves and retried (bisection), so one bad item fails alone while the others commit in
 * O(log n) batches instead of one transaction each.
 */
export class GroupCommit<I, O> {
  readonly #options: GroupCommitOptions<I, O>;
  readonly #queue: Pending<I, O>[] = [];
  #running = false;

  constructor(options: GroupCommitOptions<I, O>) {
    this.#options = options;
  }

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        // An embedded database answers through microtasks only, so without this turn of the event loop
        // no new request would ever be read while a batch runs, and every batch would hold one item.
        await new Promise((resolve) => setImmediate(resolve));
        await this.#run(this.#queue.splice(0, this.#options.maxBatch));
      }
    } finally {
      this.#running = false;
    }
  }

  /**
   * A batch that fails as a whole is split in halves, each tried as a batch of its own: one bad item
   * ends up alone (run by runOne) and fails with its own error, while the others commit in a few
   * batches. Halves run in order, so earlier items commit first.
   */
  async #run(batch: readonly Pending<I, O>[]): Promise<void> {
    const { runBatch, runOne } = this.#options;
    if (batch.length === 1) {
      const pending = batch[0]!;
      return runOne(pending.item).then(pending.resolve, pending.reject);
    }
    let outcomes: O[];
    try {
      outcomes = await runBatch(batch.map((p) => p.item));
    } catch {
      const half = Math.ceil(batch.length / 2);
      await this.#run(batch.slice(0, half));
      await this.#run(batch.slice(half));
      return;
    }
    for (const [i, pending] of batch.entries()) pending.resolve(outcomes[i]!);
  }
}
