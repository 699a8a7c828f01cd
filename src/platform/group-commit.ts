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
  /** Runs one item alone: used for a batch of one, and to retry each item of a batch that failed whole. */
  readonly runOne: (item: I) => Promise<O>;
}

/**
 * Group commit: work that arrives while a batch runs waits and then shares the next one, so the fixed
 * cost of a database round trip and a transaction is paid once per batch instead of once per item.
 * Each caller still gets its own outcome, only after the commit. A batch that fails as a whole is
 * retried item by item, so one bad item never fails the others.
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

  async #run(batch: Pending<I, O>[]): Promise<void> {
    const { runBatch, runOne } = this.#options;
    const alone = async (pending: Pending<I, O>) => runOne(pending.item).then(pending.resolve, pending.reject);
    if (batch.length === 1) return alone(batch[0]!);
    let outcomes: O[];
    try {
      outcomes = await runBatch(batch.map((p) => p.item));
    } catch {
      for (const pending of batch) await alone(pending);
      return;
    }
    for (const [i, pending] of batch.entries()) pending.resolve(outcomes[i]!);
  }
}
