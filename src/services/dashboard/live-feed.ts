import type { Logger } from 'pino';

export type FeedListener = (data: string) => void;

/**
 * One snapshot loop shared by every open dashboard: it runs only while someone listens, reads the
 * system once per interval whatever the number of listeners, and hands each the same JSON.
 */
export class LiveFeed {
  readonly #read: () => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  readonly #listeners = new Set<FeedListener>();
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #failing = false;
  #last: string | undefined;

  constructor(read: () => Promise<unknown>, intervalMs: number, logger: Logger) {
    this.#read = read;
    this.#intervalMs = intervalMs;
    this.#logger = logger;
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Calls `listener` with every snapshot from now on (the latest one at once); returns the unsubscribe. */
  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    if (this.#last !== undefined) listener(this.#last);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.#tick(), this.#intervalMs);
      this.#timer.unref();
      void this.#tick();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // A stale snapshot must not greet the next listener.
    this.#last = undefined;
  }

  async #tick(): Promise<void> {
    // A slow read skips ticks instead of piling up.
    if (this.#reading) return;
    this.#reading = true;
    try {
      const data = JSON.stringify(await this.#read());
      if (!this.#timer) return;
      this.#last = data;
      for (const listener of this.#listeners) listener(data);
      this.#failing = false;
    } catch (error) {
      // Once per outage, not once a second (e.g. while the system shuts down under open dashboards).
      if (!this.#failing) this.#logger.warn({ err: error }, 'dashboard snapshot failed');
      this.#failing = true;
    } finally {
      this.#reading = false;
    }
  }
}
