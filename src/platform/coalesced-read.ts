interface NextRound<T> {
  readonly result: Promise<T>;
  readonly start: () => void;
}

/**
 * Concurrent identical reads share one query without ever answering from before the caller asked:
 * a read that arrives while a query runs joins the next one, which starts as soon as the running one
 * is done; everyone arriving meanwhile shares it. So each answer reflects every write committed before
 * its call, and a crowd of readers costs one query at a time instead of one each.
 */
export class CoalescedRead<T> {
  readonly #query: () => Promise<T>;
  #running: Promise<void> | null = null;
  #next: NextRound<T> | null = null;

  constructor(query: () => Promise<T>) {
    this.#query = query;
  }

  read(): Promise<T> {
    if (!this.#running) return this.#run();
    if (!this.#next) {
      let start!: () => void;
      const result = new Promise<void>((resolve) => (start = resolve)).then(() => this.#run());
      this.#next = { result, start };
    }
    return this.#next.result;
  }

  #run(): Promise<T> {
    const result = this.#query();
    const settled = result.then(
      () => {},
      () => {},
    );
    this.#running = settled;
    void settled.then(() => {
      this.#running = null;
      const next = this.#next;
      this.#next = null;
      next?.start();
    });
    return result;
  }
}

/** One {@link CoalescedRead} per key (e.g. per sku), forgotten when idle. */
export class CoalescedReads<K, T> {
  readonly #query: (key: K) => Promise<T>;
  readonly #reads = new Map<K, { read: CoalescedRead<T>; pending: number }>();

  constructor(query: (key: K) => Promise<T>) {
    this.#query = query;
  }

  async read(key: K): Promise<T> {
    let entry = this.#reads.get(key);
    if (!entry) {
      entry = { read: new CoalescedRead(() => this.#query(key)), pending: 0 };
      this.#reads.set(key, entry);
    }
    entry.pending += 1;
    try {
      return await entry.read.read();
    } finally {
      entry.pending -= 1;
      if (entry.pending === 0) this.#reads.delete(key);
    }
  }
}
