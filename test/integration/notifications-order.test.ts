import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeOnEachEngine,
  productBody,
  queueDepth,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
  waitForQueueDrained,
} from '../helpers/system.ts';

/**
 * A "pause ads" mail that waited out an SES outage in the dead-letter queue must not reach the ad
 * manager after the replenishment's "resume ads": the ads would stay paused for nothing.
 */
describeOnEachEngine('a pause mail redriven after its resume on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // The factory never calls back on its own: the test delivers the goods when the pause sits in the DLQ.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000', QUEUE_MAX_RECEIVE_COUNT: '2' }, engine);
  });
  afterAll(async () => {
    system?.mail.setDown(false);
    await system?.destroy();
  });

  const dlq = async () => (await system.api('/ops/dlq/ad-notifications', { admin: true })).body;
  const mailsFor = async (id: string) => (await system.mail.list()).filter((mail) => mail.text?.includes(id));

  it('is dropped, not sent, and leaves the queue', async () => {
    const sku = uniqueSku('ORDER');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 2, reorderPoint: 0, reorderQuantity: 10 }),
      admin: true,
    });

    system.mail.setDown(true);
    expect((await system.api('/checkout', { json: { sku, quantity: 2, customerId: 'order-a' } })).status).toBe(201);
    const opened = await waitFor(
      'a replenishment',
      async () => (await system.api(`/products/${sku}`)).body.replenishment,
    );
    const replenishmentId: string = opened.id;
    await waitFor(
      'the pause mail in the DLQ',
      async () => (await dlq()).messages.some((m: { body: string }) => m.body.includes(replenishmentId)),
      30_000,
    );

    // The factory delivers while SES is still down; the replenishment closes.
    const job = await waitFor('the factory order', async () =>
      [...system.simulator!.jobs.values()].find((j) => j.body.MessageAttributeProductId === sku),
    );
    const callback = await fetch(job.body.CallbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job.body),
    });
    expect(callback.status).toBe(202);
    await waitFor('the restock', async () => (await system.api(`/products/${sku}`)).body.replenishment === null);

    system.mail.setDown(false);
    await waitFor('the resume mail', async () =>
      (await mailsFor(replenishmentId)).some((m) => m.subject.startsWith('Resume ads')),
    );

    const redriven = await system.api('/ops/dlq/ad-notifications/redrive', { method: 'POST', admin: true });
    expect(redriven.status).toBe(200);
    expect(redriven.body.moved).toBeGreaterThanOrEqual(1);
    const queue = system.messaging.queues.get('ad-notifications')!;
    await waitForQueueDrained(system, 'ad-notifications');
    // Drained because the pause was handled as a no-op, not because it failed back into the DLQ.
    expect(await queueDepth(system, queue.deadLetter.url)).toBe(0);
    expect((await dlq()).messages).toEqual([]);

    expect((await mailsFor(replenishmentId)).map((m) => m.subject.split(' ')[0])).toEqual(['Resume']);
    const listed = (await system.api('/ops/notifications', { admin: true })).body.notifications.filter(
      (n: { replenishmentId: string }) => n.replenishmentId === replenishmentId,
    );
    expect(listed.map((n: { kind: string }) => n.kind)).toEqual(['resume_ads']);
    const pause = await system.notifications.db
      .selectFrom('notifications')
      .select(['status', 'sent_at'])
      .where('replenishment_id', '=', replenishmentId)
      .where('kind', '=', 'pause_ads')
      .executeTakeFirstOrThrow();
    expect(pause).toEqual({ status: 'dropped', sent_at: null });
  });
});
