import { randomUUID } from 'node:crypto';
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import { type ColumnType, type Generated, type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { EventData, EventEnvelope, EventType } from '../contract/events.ts';
import { packEvents } from './event-bundle.ts';

export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  type: string;
  payload: ColumnType<unknown, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  published_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface OutboxDatabase {
  outbox: OutboxTable;
}

/** A new event envelope: a fresh id, the time now. */
export function outboxEnvelope<T extends EventType>(type: T, data: EventData<T>, correlationId: string): EventEnvelope {
  return { id: randomUUID(), type, occurredAt: new Date().toISOString(), correlationId, data };
}

/**
 * Writes an event to the outbox inside the caller's transaction: it is published if and only if
 * that transaction commits.
 */
export async function appendToOutbox<T extends EventType>(
  // Any database with an `outbox` table; typed loosely so each service's own table set fits.
  trx: Kysely<any>,
  type: T,
  data: EventData<T>,
  correlationId: string,
): Promise<EventEnvelope> {
  const envelope = outboxEnvelope(type, data, correlationId);
  await (trx as unknown as Kysely<OutboxDatabase>)
    .insertInto('outbox')
    .values({ id: envelope.id, type, payload: JSON.stringify(envelope) })
    .execute();
  return envelope;
}

export interface OutboxRelayOptions {
  readonly db: Kysely<OutboxDatabase>;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly logger: Logger;
  /** How often to sweep for rows a crash or a failed publish left behind. */
  readonly sweepIntervalMs?: number;
  readonly batchSize?: number;
  /** Called for each event once the topic accepted it (metrics). */
  readonly onPublished?: (type: string, body: string) => void;
  /**
   * Claim each batch with `FOR UPDATE SKIP LOCKED` in a transaction held until the rows are marked, so
   * relays running side by side (one per Lambda on AWS) do not publish the same rows. Off by default:
   * the embedded system runs one relay per database.
   */
  readonly claimRows?: boolean;
  /**
   * Event types published ahead of everything else (a priority lane): a rare, time-critical event such
   * as a replenishment must not wait behind a backlog of orders. Order holds within each lane.
   */
  readonly urgentTypes?: readonly string[];
  /** Event types published several to a message (see event-bundle.ts): the high-volume ones. */
  readonly bundledTypes?: readonly string[];
}

/**
 * The relay's lanes from the topology's event declarations: events marked `bulk` are bundled and wait
 * behind the others, which take the priority lane.
 */
export function eventLanes(
  events: readonly { readonly name: string; readonly bulk?: boolean }[],
): Pick<OutboxRelayOptions, 'urgentTypes' | 'bundledTypes'> {
  return {
    urgentTypes: events.filter((e) => !e.bulk).map((e) => e.name),
    bundledTypes: events.filter((e) => e.bulk).map((e) => e.name),
  };
}

/**
 * Publishes committed outbox rows to the topic, oldest first, then marks them published.
 * At least once: a crash between publish and mark publishes again, so every consumer is idempotent.
 * `signal()` wakes it right after a commit; a periodic sweep catches anything left behind.
 */
export class OutboxRelay {
  readonly #options: Required<OutboxRelayOptions>;
  readonly #bundled: ReadonlySet<string>;
  #running: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: OutboxRelayOptions) {
    this.#options = {
      sweepIntervalMs: 1000,
      batchSize: 500,
      onPublished: () => {},
      claimRows: false,
      urgentTypes: [],
      bundledTypes: [],
      ...options,
    };
    this.#bundled = new Set(this.#options.bundledTypes);
  }

  start(): void {
    this.#timer = setInterval(() => this.signal(), this.#options.sweepIntervalMs);
    this.#timer.unref();
    this.signal();
  }

  /** Asks for a drain; coalesces with one already running. */
  readonly signal = (): void => {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drainLoop().finally(() => {
      this.#running = null;
    });
  };

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /**
   * Publishes everything pending now; resolves when the outbox is empty (used by tests and shutdown).
   * `signal` bounds the wait: once it aborts, the call to the topic in flight is cancelled and this
   * rejects, leaving every row the topic did not accept for the next sweep (a claimed batch is
   * released by its transaction's rollback).
   */
  async drain(signal?: AbortSignal): Promise<number> {
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      const published = await this.#publishBatch(signal);
      total += published;
      if (published === 0) return total;
    }
  }

  async #drainLoop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.drain();
      } catch (error) {
        // Rows stay unpublished; the next sweep retries them.
        this.#options.logger.warn({ err: error }, 'outbox relay could not publish; will retry');
        return;
      }
    } while (this.#again && !this.#stopped);
  }

  async #publishBatch(signal: AbortSignal | undefined): Promise<number> {
    const { db, claimRows } = this.#options;
    return claimRows
      ? db.transaction().execute((trx) => this.#publishFrom(trx, true, signal))
      : this.#publishFrom(db, false, signal);
  }

  async #publishFrom(db: Kysely<OutboxDatabase>, claim: boolean, signal: AbortSignal | undefined): Promise<number> {
    const { sns, topicArn, batchSize, urgentTypes } = this.#options;
    const select = (limit: number, lane?: 'urgent' | 'rest') => {
      let query = db
        .selectFrom('outbox')
        // As text: the body is published as it is, never parsed and serialized again.
        .select(['seq', 'id', 'type', sql<string>`payload::text`.as('payload')])
        .where('published_at', 'is', null)
        .orderBy('seq')
        .limit(limit);
      if (lane === 'urgent') query = query.where('type', 'in', urgentTypes);
      if (lane === 'rest') query = query.where('type', 'not in', urgentTypes);
      return (claim ? query.forUpdate().skipLocked() : query).execute();
    };
    let rows = await select(batchSize, urgentTypes.length === 0 ? undefined : 'urgent');
    if (urgentTypes.length > 0 && rows.length < batchSize) {
      rows = [...rows, ...(await select(batchSize - rows.length, 'rest'))];
    }
    if (rows.length === 0) return 0;
    const messages = packEvents(
      rows.map((row) => ({
        row,
        type: row.type,
        body: row.payload,
      })),
      this.#bundled,
    );
    // Calls within SNS's limits, one after another, stopping at the first failure; then one update marks
    // what the topic accepted. A call the topic still finds too long is split in two and tried again.
    const pending = publishBatches(
      messages.map((message) => ({
        message,
        entry: {
          Id: messageId(message),
          Message: message.body,
          MessageAttributes: { type: { DataType: 'String', StringValue: message.type } },
        },
      })),
    );
    const results: PromiseSettledResult<{ published: typeof rows; failed: { Message?: string | undefined }[] }>[] = [];
    while (pending.length > 0) {
      const call = pending.shift()!;
      try {
        const result = await sns.send(
          new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: call.map((c) => c.entry) }),
          { abortSignal: signal },
        );
        const failed = new Set((result.Failed ?? []).map((f) => f.Id));
        results.push({
          status: 'fulfilled',
          value: {
            published: call.filter((c) => !failed.has(c.entry.Id)).flatMap((c) => c.message.events.map((e) => e.row)),
            failed: result.Failed ?? [],
          },
        });
        if (failed.size > 0) break;
      } catch (reason) {
        if (isBatchTooLong(reason) && call.length > 1) {
          const half = Math.ceil(call.length / 2);
          pending.unshift(call.slice(0, half), call.slice(half));
          continue;
        }
        results.push({ status: 'rejected', reason });
        break;
      }
    }
    const published = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.published : []));
    if (published.length > 0) {
      await db
        .updateTable('outbox')
        .set({ published_at: new Date() })
        .where(
          'seq',
          'in',
          published.map((row) => row.seq),
        )
        .execute();
      for (const row of published) this.#options.onPublished(row.type, row.payload);
    }
    // Whatever was not accepted stays unpublished; the next sweep tries it again.
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
    const refused = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.failed : []));
    if (refused.length > 0)
      throw new Error(`topic refused ${refused.length} events: ${refused[0]?.Message ?? 'unknown'}`);
    return rows.length;
  }
}

/** A message's id in a PublishBatch: the outbox sequence number of its first event. */
function messageId(message: { events: readonly { row: { seq: number } }[] }): string {
  return String(message.events[0]!.row.seq);
}

/** SNS's limits on one PublishBatch call: entries, and bytes of all messages with their attributes together. */
const PUBLISH_BATCH_MAX_ENTRIES = 10;
export const PUBLISH_BATCH_MAX_BYTES = 256 * 1024;

/** An entry's size as SNS counts it: the message, and each attribute's name, type and value, in UTF-8 bytes. */
export function publishEntryBytes(entry: PublishBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.Message ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    if (value.StringValue !== undefined) bytes += Buffer.byteLength(value.StringValue);
    if (value.BinaryValue !== undefined) bytes += value.BinaryValue.byteLength;
  }
  return bytes;
}

/**
 * Splits entries, in order, into PublishBatch calls of at most ten entries and 256 KiB together. An
 * entry over the limit on its own gets a call of its own, where the topic answers for it alone.
 */
export function publishBatches<T extends { readonly entry: PublishBatchRequestEntry }>(items: readonly T[]): T[][] {
  const calls: T[][] = [];
  let call: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = publishEntryBytes(item.entry);
    if (call.length > 0 && (call.length >= PUBLISH_BATCH_MAX_ENTRIES || bytes + size > PUBLISH_BATCH_MAX_BYTES)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(item);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

/** SNS's answer to a PublishBatch call whose entries are too long together (the SDK's name, or the wire code). */
function isBatchTooLong(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'BatchRequestTooLongException' || name === 'BatchRequestTooLong';
}
