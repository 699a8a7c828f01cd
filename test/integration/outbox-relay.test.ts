import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BatchRequestTooLongException,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type PublishBatchResponse,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { unpackEvents } from '../../src/platform/event-bundle.ts';
import { provisionMessaging } from '../../src/platform/local/provision.ts';
import {
  type AwsClients,
  createAwsClients,
  type QueueEmulator,
  startQueueEmulator,
} from '../../src/platform/local/queue-emulator.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { appendToOutbox, eventLanes, type OutboxDatabase, OutboxRelay } from '../../src/platform/outbox.ts';
import { topology } from '../../src/topology.ts';
import { copyEmptyPglite, createPostgresDatabases, ENGINES, waitFor } from '../helpers/system.ts';

/** SNS's limit on one PublishBatch call: all its messages and their attributes together. */
const BATCH_LIMIT = 256 * 1024;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:donut-events';
const logger = createLogger('silent');

/** An entry's size as SNS counts it: the message, and each attribute's name, type and value, in UTF-8. */
function entryBytes(entry: PublishBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.Message ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/**
 * A customer id of 128 characters (the contract's limit, counted as JavaScript and zod count) that takes
 * the most room in an event: control characters, six bytes each once JSON escapes them. One in 25 is
 * donuts instead, four bytes each in UTF-8, so multi-byte text is seen to arrive intact.
 */
function bulkyCustomerId(i: number): string {
  const prefix = `${i}-`;
  if (i % 25 !== 0) return prefix.padEnd(128, '\u0007');
  // A donut is two UTF-16 code units: never cut one in half.
  return `${prefix}${'🍩'.repeat(Math.floor((128 - prefix.length) / 2))}`.padEnd(128, '.');
}

async function appendOrders(db: Kysely<any>, count: number, customerId: (i: number) => string = (i) => `c-${i}`) {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < count; i++) {
      await appendToOutbox(
        trx,
        'order.placed',
        {
          orderId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          sku: 'CP-502101',
          quantity: 1,
          customerId: customerId(i),
          remaining: 1000 - i,
          createdAt: new Date().toISOString(),
        },
        `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
      );
    }
  });
}

interface Call {
  readonly entries: readonly PublishBatchRequestEntry[];
  readonly bytes: number;
}

/** An SNS client stand-in: `answer` decides each PublishBatch call's fate; every call is recorded. */
function fakeTopic(answer: (call: Call, index: number) => Promise<PublishBatchResponse>): {
  sns: SNSClient;
  calls: Call[];
} {
  const calls: Call[] = [];
  const sns = {
    send: async (command: PublishBatchCommand) => {
      const entries = command.input.PublishBatchRequestEntries ?? [];
      const call = { entries, bytes: entries.reduce((sum, entry) => sum + entryBytes(entry), 0) };
      calls.push(call);
      return answer(call, calls.length - 1);
    },
  } as unknown as SNSClient;
  return { sns, calls };
}

const acceptAll = async (call: Call): Promise<PublishBatchResponse> => ({
  Successful: call.entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
  Failed: [],
});

/** The order ids a list of published entries carries, bundles unpacked, in the order they were published. */
function orderIds(entries: readonly PublishBatchRequestEntry[]): string[] {
  return entries.flatMap((entry) =>
    unpackEvents(entry.Message!).map((body) => (JSON.parse(body) as { data: { orderId: string } }).data.orderId),
  );
}

describe.each(ENGINES)('the outbox relay on %s', (engine) => {
  let dir: string;
  let database: Database<OutboxDatabase>;
  let db: Kysely<OutboxDatabase>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-relay-'));
    const url = engine === 'postgres' ? (await createPostgresDatabases()).DATABASE_URL : undefined;
    if (!url) await copyEmptyPglite(path.join(dir, 'inventory'));
    database = await openDatabase<OutboxDatabase>({
      url,
      dataDir: path.join(dir, 'inventory'),
      migrations: inventoryMigrations,
    });
    db = database.db;
  });
  afterAll(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });
  // Each test starts from an empty outbox (migrations write events of their own).
  beforeEach(async () => {
    await db.deleteFrom('outbox').execute();
  });

  const unpublished = async () =>
    (await db.selectFrom('outbox').select('seq').where('published_at', 'is', null).orderBy('seq').execute()).map(
      (row) => String(row.seq),
    );
  const allSeqs = async () =>
    (await db.selectFrom('outbox').select('seq').orderBy('seq').execute()).map((row) => String(row.seq));

  it('marks no row before the topic took it: a topic that throws leaves every row for the next sweep', async () => {
    await appendOrders(db as Kysely<any>, 25);
    const seqs = await allSeqs();
    let markedWhileTopicDown = -1;
    const accepted: string[] = [];
    const { sns, calls } = fakeTopic(async (call, index) => {
      if (index === 0) {
        markedWhileTopicDown = seqs.length - (await unpublished()).length;
        throw new Error('the topic is down');
      }
      accepted.push(...call.entries.map((entry) => entry.Id!));
      return acceptAll(call);
    });
    const relay = new OutboxRelay({ db, sns, topicArn: TOPIC_ARN, logger, sweepIntervalMs: 50 });
    relay.start();
    try {
      await waitFor('every row published', async () => (await unpublished()).length === 0);
    } finally {
      await relay.stop();
    }
    expect(markedWhileTopicDown).toBe(0);
    expect(calls.length).toBeGreaterThan(1);
    expect(accepted.sort()).toEqual([...seqs].sort());
  });

  it('keeps the entries the topic answered Failed unpublished; the next sweep publishes them', async () => {
    await appendOrders(db as Kysely<any>, 25);
    const seqs = await allSeqs();
    const refused = [seqs[1]!, seqs[4]!];
    const accepted: string[] = [];
    let refusing = true;
    const { sns } = fakeTopic(async (call) => {
      const failed = refusing ? call.entries.filter((entry) => refused.includes(entry.Id!)) : [];
      const successful = call.entries.filter((entry) => !failed.includes(entry));
      accepted.push(...successful.map((entry) => entry.Id!));
      return {
        Successful: successful.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
        Failed: failed.map((entry) => ({
          Id: entry.Id,
          Code: 'InternalError',
          SenderFault: false,
          Message: 'try again',
        })),
      };
    });
    const relay = new OutboxRelay({ db, sns, topicArn: TOPIC_ARN, logger });
    await expect(relay.drain()).rejects.toThrow(/refused/);
    const left = await unpublished();
    for (const seq of refused) expect(left).toContain(seq);
    // What the topic took is marked, and only that.
    expect(seqs.filter((seq) => !left.includes(seq)).sort()).toEqual([...accepted].sort());

    refusing = false;
    expect(await relay.drain()).toBe(left.length);
    expect(await unpublished()).toEqual([]);
    expect(accepted.sort()).toEqual([...seqs].sort());
  });

  it('keeps every PublishBatch call within 256 KiB however large the events, and publishes them all once', async () => {
    await appendOrders(db as Kysely<any>, 300, bulkyCustomerId);
    const { sns, calls } = fakeTopic(acceptAll);
    const relay = new OutboxRelay({ db, sns, topicArn: TOPIC_ARN, logger, ...eventLanes(topology.events) });
    expect(await relay.drain()).toBe(300);
    const entries = calls.flatMap((call) => call.entries);
    // Ten bundles of these events to a call would be over the limit: the budget is what split them.
    expect(calls.slice(0, -1).some((call) => call.entries.length < 10)).toBe(true);
    for (const call of calls) {
      expect(call.entries.length).toBeLessThanOrEqual(10);
      expect(call.bytes).toBeLessThanOrEqual(BATCH_LIMIT);
    }
    const ids = orderIds(entries);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
  });

  it('splits a call the topic refuses as too long, publishing everything once and in order', async () => {
    await appendOrders(db as Kysely<any>, 300, bulkyCustomerId);
    // A topic that counts more strictly than the relay's budget (a quarter of it: two or three bundles).
    const published: PublishBatchRequestEntry[] = [];
    const { sns, calls } = fakeTopic(async (call) => {
      if (call.bytes > BATCH_LIMIT / 4) {
        throw new BatchRequestTooLongException({ message: 'Batch request too long', $metadata: {} });
      }
      published.push(...call.entries);
      return acceptAll(call);
    });
    const relay = new OutboxRelay({ db, sns, topicArn: TOPIC_ARN, logger, ...eventLanes(topology.events) });
    expect(await relay.drain()).toBe(300);
    expect(calls.some((call) => call.bytes > BATCH_LIMIT / 4)).toBe(true);
    const ids = orderIds(published);
    expect(ids).toHaveLength(300);
    expect(ids).toEqual([...ids].sort());
    expect(await unpublished()).toEqual([]);
  });
});

describe.each(ENGINES)('large events through the real queue emulator on %s', (engine) => {
  let dir: string;
  let emulator: QueueEmulator;
  let clients: AwsClients;
  let database: Database<OutboxDatabase>;
  const callBytes: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-relay-emulator-'));
    emulator = await startQueueEmulator({ port: 0, dataDir: path.join(dir, 'queues') });
    clients = createAwsClients(emulator.endpoint);
    clients.sns.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'PublishBatchCommand') {
          const input = args.input as { PublishBatchRequestEntries?: PublishBatchRequestEntry[] };
          callBytes.push((input.PublishBatchRequestEntries ?? []).reduce((sum, e) => sum + entryBytes(e), 0));
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const url = engine === 'postgres' ? (await createPostgresDatabases()).DATABASE_URL : undefined;
    if (!url) await copyEmptyPglite(path.join(dir, 'inventory'));
    database = await openDatabase<OutboxDatabase>({
      url,
      dataDir: path.join(dir, 'inventory'),
      migrations: inventoryMigrations,
    });
  });
  afterAll(async () => {
    await database?.close();
    clients?.sqs.destroy();
    clients?.sns.destroy();
    await emulator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the local topic refuses a PublishBatch call over 256 KiB as SNS does, which the emulator alone does not', async () => {
    const { topicArn } = await provisionMessaging(clients, topology);
    const entry = (id: string) => ({ Id: id, Message: 'x'.repeat(140 * 1024) });
    await expect(
      clients.sns.send(
        new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [entry('a'), entry('b')] }),
      ),
    ).rejects.toBeInstanceOf(BatchRequestTooLongException);
    const one = await clients.sns.send(
      new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [entry('a')] }),
    );
    expect(one.Successful).toHaveLength(1);
  });

  it('300 orders with 128-character customer ids are all delivered, each call within 256 KiB', async () => {
    const messaging = await provisionMessaging(clients, topology);
    await database.db.deleteFrom('outbox').execute();
    await appendOrders(database.db as Kysely<any>, 300, bulkyCustomerId);
    const relay = new OutboxRelay({
      db: database.db,
      sns: clients.sns,
      topicArn: messaging.topicArn,
      logger,
      ...eventLanes(topology.events),
    });
    expect(await relay.drain()).toBe(300);
    expect(Math.max(...callBytes)).toBeLessThanOrEqual(BATCH_LIMIT);

    const queueUrl = messaging.queues.get('customer-purchases')!.url;
    const delivered = new Map<string, string>();
    for (let attempt = 0; attempt < 100 && delivered.size < 300; attempt++) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of Messages) {
        for (const body of unpackEvents(message.Body!)) {
          const { data } = JSON.parse(body) as { data: { orderId: string; customerId: string } };
          delivered.set(data.orderId, data.customerId);
        }
      }
    }
    expect(delivered.size).toBe(300);
    for (let i = 0; i < 300; i++) {
      expect(delivered.get(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)).toBe(bulkyCustomerId(i));
    }
  });
});
