import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMail } from '../../src/platform/local/mail-sink.ts';
import {
  callApi,
  ENGINES,
  productBody,
  queueDepth,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
  waitForQueueDrained,
} from '../helpers/system.ts';

describe.each(ENGINES)('ads notifications on %s', (engine) => {
  let system: TestSystem;
  let sku: string;
  let replenishmentId: string;

  const mailsFor = async (id: string): Promise<StoredMail[]> =>
    (await system.mail.list()).filter((mail) => mail.text?.includes(id));

  /** The event exactly as the outbox published it, to deliver it again. */
  const publishedEvent = async (type: string, id: string): Promise<string> => {
    const rows = await system.inventory.db.selectFrom('outbox').select(['payload']).where('type', '=', type).execute();
    const row = rows.find((r) => (r.payload as { data: { replenishmentId: string } }).data.replenishmentId === id);
    if (!row) throw new Error(`no ${type} event for ${id}`);
    return typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
  };

  beforeAll(async () => {
    system = await startTestSystem({}, engine);
    sku = uniqueSku('AD');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 6, reorderPoint: 0, reorderQuantity: 20 }),
      admin: true,
    });
    // Buy the shelf empty: one replenishment opens, the fast simulator delivers, stock comes back.
    expect((await system.api('/checkout', { json: { sku, quantity: 4, customerId: 'ads-a' } })).status).toBe(201);
    expect((await system.api('/checkout', { json: { sku, quantity: 2, customerId: 'ads-b' } })).status).toBe(201);
    const opened = await waitFor(
      'a replenishment',
      async () => (await system.api(`/products/${sku}`)).body.replenishment,
    );
    replenishmentId = opened.id;
    await waitFor('the restock', async () => {
      const product = (await system.api(`/products/${sku}`)).body;
      return product.stock === 20 && product.replenishment === null;
    });
    await waitFor('the resume mail', async () =>
      (await mailsFor(replenishmentId)).some((m) => m.subject.startsWith('Resume ads')),
    );
    await waitForQueueDrained(system, 'ad-notifications');
  });
  afterAll(async () => system?.destroy());

  it('sends exactly one pause and one resume mail for a replenishment, with its sku, id and quantity', async () => {
    const mails = await mailsFor(replenishmentId);
    expect(mails.map((m) => m.subject)).toEqual([
      `Pause ads for ${sku}: out of stock, replenishment requested`,
      `Resume ads for ${sku}: back in stock (20)`,
    ]);
    const [pause, resume] = mails as [StoredMail, StoredMail];
    for (const mail of mails) {
      expect(mail.to).toEqual(['ad-manager@donut-states.example']);
      expect(mail.from).toBe('shelves@donut-states.example');
      expect(mail.text).toMatch(new RegExp(`Product \\(sku\\): +${sku}\\n`));
      expect(mail.text).toMatch(new RegExp(`Replenishment id: +${replenishmentId}\\n`));
      expect(mail.text).toMatch(/Quantity ordered: +20\n/);
      expect(mail.text).toMatch(/Requested at: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    }
    expect(pause.text).toMatch(/Stock now: +0\n/);
    expect(resume.text).toMatch(/Stock now: +20\n/);
    expect(resume.text).toMatch(/Replenishment took: +\S/);
  });

  it('lists the mails on GET /ops/notifications for the admin, 401 without or with a wrong token', async () => {
    const res = await system.api('/ops/notifications', { admin: true });
    expect(res.status).toBe(200);
    const mine = res.body.notifications.filter(
      (n: { replenishmentId: string }) => n.replenishmentId === replenishmentId,
    );
    const [pause, resume] = await mailsFor(replenishmentId);
    expect(mine).toEqual([
      {
        id: expect.any(String),
        kind: 'pause_ads',
        to: 'ad-manager@donut-states.example',
        subject: pause!.subject,
        sku,
        replenishmentId,
        sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      {
        id: expect.any(String),
        kind: 'resume_ads',
        to: 'ad-manager@donut-states.example',
        subject: resume!.subject,
        sku,
        replenishmentId,
        sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);

    const anonymous = await system.api('/ops/notifications');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthorized');
    const wrong = await callApi(system.url, '/ops/notifications', {
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status).toBe(401);
  });

  it('sends no second mail when replenishment.requested or replenishment.completed is delivered again', async () => {
    const queueUrl = system.messaging.queues.get('ad-notifications')!.url;
    const requested = await publishedEvent('replenishment.requested', replenishmentId);
    const completed = await publishedEvent('replenishment.completed', replenishmentId);
    for (const body of [requested, requested, completed]) {
      await system.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    }
    await waitForQueueDrained(system, 'ad-notifications');
    // Drained because each redelivery succeeded as a no-op, not because it failed into the DLQ.
    expect(await queueDepth(system, system.messaging.queues.get('ad-notifications')!.deadLetter.url)).toBe(0);

    expect((await mailsFor(replenishmentId)).map((m) => m.subject.split(' ')[0])).toEqual(['Pause', 'Resume']);
    const rows = await system.notifications.db
      .selectFrom('notifications')
      .select(['kind', 'status', 'attempts'])
      .where('replenishment_id', '=', replenishmentId)
      .orderBy('kind')
      .execute();
    expect(rows).toEqual([
      { kind: 'pause_ads', status: 'sent', attempts: 1 },
      { kind: 'resume_ads', status: 'sent', attempts: 1 },
    ]);
  });

  it('reports the mail sink and both new databases in /health', async () => {
    const res = await system.api('/health');
    expect(res.status).toBe(200);
    expect(res.body.components).toMatchObject({
      mail: { ok: true },
      customersDatabase: { ok: true },
      notificationsDatabase: { ok: true },
    });
  });
});
