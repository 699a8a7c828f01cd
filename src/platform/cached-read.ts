/**
 * A read whose answer every caller shares for `maxAgeMs`, so a crowd of callers costs the source at
 * most one read per `maxAgeMs` and never two at once: a caller gets the last answer while its read
 * started less than `maxAgeMs` ago, joins the read under way, or else starts one. A failed read is
 * shared and kept just as long, so a failing source is not hammered either.
 *
 * Unlike {@link CoalescedRead} an answer may predate the call by up to `maxAgeMs` (plus the read's own
 * duration): for public, anonymous reads (health, the dashboard), never for a read after a write.
 */
export class CachedRead<T> {
  readonly #read: () => Promise<T>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #current: { readonly startedAt: number; readonly result: Promise<T>; running: boolean } | undefined;
  #reads = 0;

  constructor(read: () => Promise<T>, maxAgeMs: number, now: () => number = () => performance.now()) {
    this.#read = read;
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** How often the source was read so far. */
  get reads(): number {
    return this.#reads;
  }

  read(): Promise<T> {
    const current = this.#current;
    if (current && (current.running || this.#now() - current.startedAt < this.#maxAgeMs)) return current.result;
    this.#reads += 1;
    let result: Promise<T>;
    try {
      result = this.#read();
    } catch (error) {
      result = Promise.reject(error);
    }
    const entry = { startedAt: this.#now(), result, running: true };
    this.#current = entry;
    // Marks the shared promise handled; each caller still sees the failure.
    result.then(
      () => (entry.running = false),
      () => (entry.running = false),
    );
    return result;
  }
}
