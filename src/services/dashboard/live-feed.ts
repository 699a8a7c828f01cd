import type { Logger } from 'pino';

/** One open event stream, as the feed sees it. */
export interface FeedStream {
  /** Hands the bytes to the stream; resolves once its reader has taken them (the writer's backpressure). */
  write(frame: Uint8Array): Promise<unknown>;
  /** Ends the stream: its reader stopped reading. */
  close(): void;
}

/** Told what the feed does, for metrics. */
export interface FeedObserver {
  streams(open: number): void;
  write(outcome: 'sent' | 'skipped'): void;
  refused(): void;
  dropped(): void;
}

export interface LiveFeedOptions {
  /** The current snapshot as one encoded event; called once per tick whatever the number of streams. */
  readonly read: () => Promise<Uint8Array>;
  readonly intervalMs: number;
  /** Streams open at once; `join` refuses more. */
  readonly maxStreams: number;
  /** A stream whose reader has not taken a snapshot for this long is closed. */
  readonly stallTimeoutMs: number;
  readonly logger: Logger;
  readonly observer?: FeedObserver | undefined;
}

interface Member {
  readonly stream: FeedStream;
  /** When the write still in flight started; undefined when the reader has taken everything. */
  writingSince: number | undefined;
}

/**
 * One snapshot loop shared by every open dashboard: it runs only while someone listens, reads once per
 * interval whatever the number of listeners, and hands each the very same bytes. At most `maxStreams`
 * streams are open at once. A stream holds at most one snapshot in flight: a tick that finds the last
 * one not yet taken by its reader is skipped for that stream (so an unread stream costs one snapshot
 * of memory, not one per second), and a reader that takes nothing for `stallTimeoutMs` is disconnected.
 */
export class LiveFeed {
  readonly #options: LiveFeedOptions;
  readonly #members = new Set<Member>();
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #failing = false;
  #last: Uint8Array | undefined;

  constructor(options: LiveFeedOptions) {
    this.#options = options;
  }

  get streams(): number {
    return this.#members.size;
  }

  /** True when a new stream would be refused. */
  get full(): boolean {
    return this.#members.size >= this.#options.maxStreams;
  }

  /** Notes a stream refused because the feed was full. */
  refused(): void {
    this.#options.observer?.refused();
  }

  /**
   * Adds a stream: it gets every snapshot from now on (the latest one at once). Returns its leave
   * function, or undefined when `maxStreams` are open.
   */
  join(stream: FeedStream): (() => void) | undefined {
    if (this.full) {
      this.refused();
      return undefined;
    }
    const member: Member = { stream, writingSince: undefined };
    this.#members.add(member);
    this.#options.observer?.streams(this.#members.size);
    if (this.#last !== undefined) this.#deliver(member, this.#last);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.#tick(), this.#options.intervalMs);
      this.#timer.unref();
      void this.#tick();
    }
    return () => this.#leave(member);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // A stale snapshot must not greet the next listener.
    this.#last = undefined;
  }

  #leave(member: Member): void {
    if (!this.#members.delete(member)) return;
    this.#options.observer?.streams(this.#members.size);
    if (this.#members.size === 0) this.stop();
  }

  #deliver(member: Member, frame: Uint8Array): void {
    const observer = this.#options.observer;
    if (member.writingSince !== undefined) {
      observer?.write('skipped');
      if (performance.now() - member.writingSince >= this.#options.stallTimeoutMs) {
        observer?.dropped();
        this.#leave(member);
        member.stream.close();
      }
      return;
    }
    const since = performance.now();
    member.writingSince = since;
    observer?.write('sent');
    member.stream.write(frame).then(
      () => {
        if (member.writingSince === since) member.writingSince = undefined;
      },
      () => this.#leave(member),
    );
  }

  async #tick(): Promise<void> {
    // A slow read skips ticks instead of piling up.
    if (this.#reading) return;
    this.#reading = true;
    try {
      const frame = await this.#options.read();
      // A cached read may hand back the frame already sent: nothing new, nothing written.
      if (!this.#timer || frame === this.#last) return;
      this.#last = frame;
      for (const member of this.#members) this.#deliver(member, frame);
      this.#failing = false;
    } catch (error) {
      // Once per outage, not once a second (e.g. while the system shuts down under open dashboards).
      if (!this.#failing) this.#options.logger.warn({ err: error }, 'dashboard snapshot failed');
      this.#failing = true;
    } finally {
      this.#reading = false;
    }
  }
}
