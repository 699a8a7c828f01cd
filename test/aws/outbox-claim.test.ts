import type { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import { migrateToLatest, postgresDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { appendToOutbox, type OutboxDatabase, OutboxRelay } from '../../src/platform/outbox.ts';
import { createPostgresDatabases } from '../helpers/system.ts';

/** A topic that takes its time, so two relays really overlap. */
function slowTopic(published: string[]): SNSClient {
  return {
    send: async (command: PublishBatchCommand) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (const entry of command.input.PublishBatchRequestEntries ?? []) published.push(entry.Id!);
      return { Successful: [], Failed: [] };
    },
  } as unknown as SNSClient;
}

describe('outbox relays side by side (one per Lambda)', () => {
  it('publish every committed row exactly once when they claim their rows', async () => {
    const { DATABASE_URL } = await createPostgresDatabases();
    const db = postgresDatabase<OutboxDatabase>({ connectionString: DATABASE_URL, max: 10 });
    try {
      await migrateToLatest(db, inventoryMigrations);
      for (let i = 0; i < 40; i++) {
        await appendToOutbox(
          db,
          'order.placed',
          {
            orderId: `o-${i}`,
            sku: 'CP-502101',
            quantity: 1,
            customerId: 'c-1',
            remaining: 1,
            createdAt: new Date().toISOString(),
          },
          `corr-${i}`,
        );
      }
      const published: string[] = [];
      const relays = [1, 2, 3].map(
        () =>
          new OutboxRelay({
            db,
            sns: slowTopic(published),
            topicArn: 'arn:aws:sns:eu-west-1:123456789012:donut-events',
            logger: createLogger('silent'),
            batchSize: 10,
            claimRows: true,
          }),
      );
      const counts = await Promise.all(relays.map((relay) => relay.drain()));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
      expect(published).toHaveLength(40);
      expect(new Set(published).size).toBe(40);
      const left = await db.selectFrom('outbox').select('seq').where('published_at', 'is', null).execute();
      expect(left).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});
