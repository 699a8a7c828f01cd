import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createSesClient, type MailSink, startMailSink } from '../../src/platform/local/mail-sink.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { pauseAdsMail } from '../../src/services/notifications/ads-mail.ts';
import { MailSendError, NotificationInFlightError } from '../../src/services/notifications/errors.ts';
import { notificationsMigrations } from '../../src/services/notifications/migrations.ts';
import { claimNotification } from '../../src/services/notifications/notifications.repository.ts';
import { sendAdsMailWhenReplenishmentChanges } from '../../src/services/notifications/send-ads-mail.consumer.ts';
import type { NotificationsTables } from '../../src/services/notifications/tables.ts';

/** The pause/resume consumer on a real PGlite database and a real SES sink, driven record by record. */
describe('ads mail consumer sends each mail once', () => {
  let dir: string;
  let database: Database<NotificationsTables>;
  let sink: MailSink;
  let ses: SESv2Client;
  const mailTo = { to: 'ads@donut-states.example', from: 'shelves@donut-states.example' };
  const sendTimeoutMs = 1000;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-notify-'));
    database = await openDatabase<NotificationsTables>({
      dataDir: path.join(dir, 'db'),
      migrations: notificationsMigrations,
    });
    sink = await startMailSink({ port: 0, dir: path.join(dir, 'mail') });
    ses = createSesClient(sink.endpoint);
  });
  afterAll(async () => {
    ses?.destroy();
    await sink?.stop();
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const consumer = (client: SESv2Client = ses) =>
    sendAdsMailWhenReplenishmentChanges({
      db: database.db,
      ses: client,
      logger: createLogger('silent'),
      mail: mailTo,
      sendTimeoutMs,
    });

  const requested = () => {
    const data = {
      replenishmentId: randomUUID(),
      sku: 'CP-502101',
      quantity: 100,
      factoryId: 'factory-1',
      stock: 0,
      requestedAt: new Date().toISOString(),
    };
    const body = JSON.stringify({
      id: randomUUID(),
      type: 'replenishment.requested',
      occurredAt: data.requestedAt,
      correlationId: 'c-1',
      data,
    });
    return { data, record: { messageId: randomUUID(), body } as SQSRecord };
  };
  const mailsFor = async (id: string) => (await sink.list()).filter((m) => m.text?.includes(id));
  const row = (id: string) =>
    database.db.selectFrom('notifications').selectAll().where('replenishment_id', '=', id).executeTakeFirstOrThrow();

  it('sends once and treats a later redelivery as done', async () => {
    const { data, record } = requested();
    await consumer()(record);
    await consumer()(record);
    expect(await mailsFor(data.replenishmentId)).toHaveLength(1);
    expect(await row(data.replenishmentId)).toMatchObject({
      status: 'sent',
      attempts: 1,
      kind: 'pause_ads',
      to_address: mailTo.to,
    });
  });

  it('sends one mail when the same event arrives three times at once; the losers fail and later find it sent', async () => {
    const { data, record } = requested();
    const handle = consumer();
    const results = await Promise.allSettled([handle(record), handle(record), handle(record)]);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(NotificationInFlightError);
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    // The queue redelivers the failed ones; by then the mail is marked sent.
    await handle(record);
    expect(await mailsFor(data.replenishmentId)).toHaveLength(1);
  });

  it('leaves a live claim alone and takes over one whose owner died mid-send', async () => {
    const { data, record } = requested();
    const mail = pauseAdsMail(data);
    // Another delivery is sending right now.
    await claimNotification(database.db, { mail, to: mailTo.to, correlationId: 'c-1', leaseMs: 60_000 });
    await expect(consumer()(record)).rejects.toBeInstanceOf(NotificationInFlightError);
    expect(await mailsFor(data.replenishmentId)).toHaveLength(0);

    // Its owner crashed: the lease lapses and the next delivery sends (at least once, never lost).
    await database.db
      .updateTable('notifications')
      .set({ claimed_until: new Date(Date.now() - 1000) })
      .where('replenishment_id', '=', data.replenishmentId)
      .execute();
    await consumer()(record);
    expect(await mailsFor(data.replenishmentId)).toHaveLength(1);
    expect(await row(data.replenishmentId)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('releases the claim when SES fails, so the retry sends without waiting for the lease', async () => {
    const { data, record } = requested();
    const down = createSesClient('http://127.0.0.1:9', 'us-east-1');
    try {
      await expect(consumer(down)(record)).rejects.toBeInstanceOf(MailSendError);
    } finally {
      down.destroy();
    }
    expect(await row(data.replenishmentId)).toMatchObject({ status: 'sending', claimed_until: null });
    await consumer()(record);
    expect(await mailsFor(data.replenishmentId)).toHaveLength(1);
    expect(await row(data.replenishmentId)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('fails a record that is not a replenishment event', async () => {
    const body = JSON.stringify({ id: 'x', type: 'order.placed', occurredAt: '', correlationId: 'c', data: {} });
    await expect(consumer()({ messageId: 'm', body } as SQSRecord)).rejects.toThrow(/cannot handle a order.placed/);
    await expect(consumer()({ messageId: 'm', body: 'not json' } as SQSRecord)).rejects.toThrow();
  });
});
