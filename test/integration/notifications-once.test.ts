import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationsTables } from '../../src/databases/notifications/tables.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createSesClient, type MailSink, startMailSink } from '../../src/platform/local/mail-sink.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { pauseAdsMail, resumeAdsMail } from '../../src/services/notifications/ads-mail.ts';
import { MailSendError, NotificationInFlightError } from '../../src/services/notifications/errors.ts';
import { notificationsMigrations } from '../../src/services/notifications/migrations.ts';
import { claimNotification } from '../../src/services/notifications/notifications.repository.ts';
import { sendAdsMailWhenReplenishmentChanges } from '../../src/services/notifications/send-ads-mail.consumer.ts';
import { copyEmptyPglite, createPostgresDatabases, describeOnEachEngine } from '../helpers/system.ts';

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
    await copyEmptyPglite(path.join(dir, 'db'));
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

/** Pause and resume of one replenishment, driven record by record: the pause never goes out after the resume. */
describeOnEachEngine('ads mail consumer keeps pause before resume on %s', (engine) => {
  let dir: string;
  let database: Database<NotificationsTables>;
  let sink: MailSink;
  let ses: SESv2Client;
  const mailTo = { to: 'ads@donut-states.example', from: 'shelves@donut-states.example' };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-notify-order-'));
    const url = engine === 'postgres' ? (await createPostgresDatabases()).NOTIFICATIONS_DATABASE_URL : undefined;
    if (!url) await copyEmptyPglite(path.join(dir, 'db'));
    database = await openDatabase<NotificationsTables>({
      url,
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
      sendTimeoutMs: 1000,
    });

  const replenishment = () => {
    const replenishmentId = randomUUID();
    const requestedAt = new Date(Date.now() - 60_000).toISOString();
    const envelope = (type: string, data: object) =>
      ({
        messageId: randomUUID(),
        body: JSON.stringify({ id: randomUUID(), type, occurredAt: requestedAt, correlationId: 'c-2', data }),
      }) as SQSRecord;
    const requested = {
      replenishmentId,
      sku: 'CP-502101',
      quantity: 100,
      factoryId: 'factory-1',
      stock: 0,
      requestedAt,
    };
    return {
      replenishmentId,
      requested,
      pause: envelope('replenishment.requested', requested),
      resume: envelope('replenishment.completed', {
        replenishmentId,
        sku: 'CP-502101',
        quantity: 100,
        stock: 100,
        requestedAt,
        completedAt: new Date().toISOString(),
      }),
    };
  };
  const kindsMailed = async (id: string) =>
    (await sink.list()).filter((m) => m.text?.includes(id)).map((m) => m.subject.split(' ')[0]);
  const statuses = async (id: string) =>
    database.db
      .selectFrom('notifications')
      .select(['kind', 'status'])
      .where('replenishment_id', '=', id)
      .orderBy('kind')
      .execute();

  it('drops a pause that failed before its resume went out, and keeps dropping it', async () => {
    const r = replenishment();
    const down = createSesClient('http://127.0.0.1:9', 'us-east-1');
    try {
      await expect(consumer(down)(r.pause)).rejects.toBeInstanceOf(MailSendError);
    } finally {
      down.destroy();
    }
    await consumer()(r.resume);
    await consumer()(r.pause);
    await consumer()(r.pause);
    expect(await kindsMailed(r.replenishmentId)).toEqual(['Resume']);
    expect(await statuses(r.replenishmentId)).toEqual([
      { kind: 'pause_ads', status: 'dropped' },
      { kind: 'resume_ads', status: 'sent' },
    ]);
  });

  it('drops a pause first delivered after its resume, and also while that resume is still being sent', async () => {
    const late = replenishment();
    await consumer()(late.resume);
    await consumer()(late.pause);
    expect(await kindsMailed(late.replenishmentId)).toEqual(['Resume']);
    expect(await statuses(late.replenishmentId)).toEqual([
      { kind: 'pause_ads', status: 'dropped' },
      { kind: 'resume_ads', status: 'sent' },
    ]);

    const concurrent = replenishment();
    await claimNotification(database.db, {
      mail: resumeAdsMail(JSON.parse(concurrent.resume.body).data),
      to: mailTo.to,
      correlationId: 'c-2',
      leaseMs: 60_000,
    });
    await consumer()(concurrent.pause);
    expect(await kindsMailed(concurrent.replenishmentId)).toEqual([]);
    expect((await statuses(concurrent.replenishmentId))[0]).toEqual({ kind: 'pause_ads', status: 'dropped' });
  });

  it('holds the resume back while its pause is being sent, then sends it after the pause', async () => {
    const r = replenishment();
    const pauseClaim = await claimNotification(database.db, {
      mail: pauseAdsMail(r.requested),
      to: mailTo.to,
      correlationId: 'c-2',
      leaseMs: 60_000,
    });
    expect(pauseClaim.outcome).toBe('claimed');
    await expect(consumer()(r.resume)).rejects.toBeInstanceOf(NotificationInFlightError);
    expect(await kindsMailed(r.replenishmentId)).toEqual([]);

    // The pause's owner dies mid-send: once its lease lapses the resume goes out, and the pause stays unsent.
    await database.db
      .updateTable('notifications')
      .set({ claimed_until: new Date(Date.now() - 1000) })
      .where('replenishment_id', '=', r.replenishmentId)
      .execute();
    await consumer()(r.resume);
    await consumer()(r.pause);
    expect(await kindsMailed(r.replenishmentId)).toEqual(['Resume']);
  });

  it('leaves a pause that was sent as sent when it is redelivered after the resume', async () => {
    const r = replenishment();
    await consumer()(r.pause);
    await consumer()(r.resume);
    await consumer()(r.pause);
    expect(await kindsMailed(r.replenishmentId)).toEqual(['Pause', 'Resume']);
    expect(await statuses(r.replenishmentId)).toEqual([
      { kind: 'pause_ads', status: 'sent' },
      { kind: 'resume_ads', status: 'sent' },
    ]);
  });

  it('sends pause and resume once each when both arrive at the same moment, pause never after resume', async () => {
    for (let round = 0; round < 5; round++) {
      const r = replenishment();
      const handle = consumer();
      const first = await Promise.allSettled([handle(r.pause), handle(r.resume)]);
      for (const result of first) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(NotificationInFlightError);
      }
      // The queue redelivers a held-back resume.
      await handle(r.resume);
      await handle(r.pause);
      const kinds = await kindsMailed(r.replenishmentId);
      expect(kinds.at(-1)).toBe('Resume');
      expect(kinds.filter((k) => k === 'Resume')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'Pause').length).toBeLessThanOrEqual(1);
    }
  });
});
