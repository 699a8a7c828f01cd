import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { MAX_EVENTS_PER_BUNDLE } from '../../src/platform/event-bundle.ts';
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
import { copyEmptyPglite } from '../helpers/system.ts';

describe('bulk events travel in bundles through the real topic and queues', () => {
  let dir: string;
  let emulator: QueueEmulator;
  let clients: AwsClients;
  let inventory: Database<OutboxDatabase>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-bundles-'));
    emulator = await startQueueEmulator({ port: 0, dataDir: path.join(dir, 'queues') });
    clients = createAwsClients(emulator.endpoint);
    await copyEmptyPglite(path.join(dir, 'inventory'));
    inventory = await openDatabase<OutboxDatabase>({
      dataDir: path.join(dir, 'inventory'),
      migrations: inventoryMigrations,
    });
  });
  afterAll(async () => {
    await inventory?.close();
    clients?.sqs.destroy();
    clients?.sns.destroy();
    await emulator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('order.placed goes several to a message, a replenishment alone, and every event arrives once', async () => {
    const messaging = await provisionMessaging(clients, topology);
    const db = inventory.db as Kysely<any>;
    const orders = 30;
    for (let i = 0; i < orders; i++) {
      await appendToOutbox(
        db,
        'order.placed',
        {
          orderId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          sku: 'CP-502101',
          quantity: 1,
          customerId: `c-${i}`,
          remaining: 100 - i,
          createdAt: new Date().toISOString(),
        },
        `corr-${i}`,
      );
    }
    await appendToOutbox(
      db,
      'replenishment.requested',
      {
        replenishmentId: '00000000-0000-4000-8000-000000000999',
        sku: 'CP-502101',
        quantity: 100,
        factoryId: 'factory-1',
        stock: 70,
        requestedAt: new Date().toISOString(),
      },
      'corr-r',
    );
    const relay = new OutboxRelay({
      db: inventory.db,
      sns: clients.sns,
      topicArn: messaging.topicArn,
      logger: createLogger('silent'),
      ...eventLanes(topology.events),
    });
    expect(await relay.drain()).toBe(orders + 1);

    const purchases = await receiveAll(messaging.queues.get('customer-purchases')!.url);
    expect(purchases).toHaveLength(Math.ceil(orders / MAX_EVENTS_PER_BUNDLE));
    const events = purchases.flatMap((body) => JSON.parse(body) as { type: string; data: { orderId: string } }[]);
    expect(events.every((e) => e.type === 'order.placed')).toBe(true);
    expect(new Set(events.map((e) => e.data.orderId)).size).toBe(orders);

    const factoryOrders = await receiveAll(messaging.queues.get('factory-orders')!.url);
    expect(factoryOrders).toHaveLength(1);
    expect(JSON.parse(factoryOrders[0]!)).toMatchObject({ type: 'replenishment.requested' });
  });

  /** Every message body now in the queue (bounded: a few short polls). */
  async function receiveAll(queueUrl: string): Promise<string[]> {
    const bodies: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      bodies.push(...Messages.map((m) => m.Body!));
    }
    return bodies;
  }
});
