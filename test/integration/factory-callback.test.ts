import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FactoryJob } from '../../src/factory-simulator/simulator.ts';
import {
  describeOnEachEngine,
  productBody,
  startTestSystem,
  type TestSystem,
  uniqueSku,
  waitFor,
} from '../helpers/system.ts';

describeOnEachEngine('factory callback on %s', (engine) => {
  let system: TestSystem;

  beforeAll(async () => {
    // The simulator never finishes on its own here: each test delivers the callback itself.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600000' }, engine);
  });
  afterAll(async () => system?.destroy());

  /** Sells a fresh product out and waits for the factory to receive the order. */
  async function stockOut(): Promise<{ sku: string; job: FactoryJob }> {
    const sku = uniqueSku('CB');
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 3, reorderPoint: 1, reorderQuantity: 25 }),
      admin: true,
    });
    expect((await system.api('/checkout', { json: { sku, quantity: 3, customerId: 'cb' } })).status).toBe(201);
    const job = await waitFor('the factory order', async () =>
      [...system.simulator!.jobs.values()].find((j) => j.body.MessageAttributeProductId === sku),
    );
    return { sku, job };
  }

  const post = (url: string, body: unknown, contentType = 'application/json') =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const product = async (sku: string) => (await system.api(`/products/${sku}`)).body;

  it('hands the factory the contract body with a signed CallbackUrl under PUBLIC_URL', async () => {
    const { sku, job } = await stockOut();
    expect(job.body).toMatchObject({
      MessageGroupId: 'stock-arrival-group',
      MessageAttributeProductId: sku,
      MessageAttributeProductCnt: 25,
      OrderStockCnt: 25,
      MessageAttributeFactoryId: 'factory-test',
      MessageAttributeRequester: 'donut-states',
    });
    const replenishmentId = (await product(sku)).replenishment.id;
    expect(job.body.CallbackUrl).toMatch(
      new RegExp(`^http://localhost:${system.port}/factory/callbacks/${replenishmentId}\\?signature=[A-Za-z0-9_-]+$`),
    );
    await waitFor('status ordered', async () => (await product(sku)).replenishment?.status === 'ordered');
  });

  it('the same callback delivered 3 times raises stock once and closes the replenishment', async () => {
    const { sku, job } = await stockOut();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await post(job.body.CallbackUrl, job.body)).status);
    expect(answers[0]).toBe(202);
    await waitFor('the restock', async () => (await product(sku)).replenishment === null);
    // Once closed, a replay is refused; before that, a duplicate is accepted and ignored by the consumer.
    for (const status of answers.slice(1)) expect([202, 409]).toContain(status);
    const late = await post(job.body.CallbackUrl, job.body);
    expect(late.status).toBe(409);
    // Give any queued duplicate time to be consumed, then check stock was raised exactly once.
    await waitFor('the stock-arrivals queue to drain', async () => {
      const { Messages } = await system.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: system.messaging.queues.get('stock-arrivals')!.url,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
        }),
      );
      return !Messages || Messages.length === 0;
    });
    expect((await product(sku)).stock).toBe(25);
    const rows = await system.inventory.db.selectFrom('replenishments').selectAll().where('sku', '=', sku).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'completed', produced_quantity: 25 });
  });

  it('rejects forged, unknown and tampered callbacks with 401/403/404 and changes nothing', async () => {
    const { sku, job } = await stockOut();
    const url = new URL(job.body.CallbackUrl);
    const signature = url.searchParams.get('signature')!;
    const base = `${url.origin}${url.pathname}`;
    const otherId = '00000000-0000-4000-8000-000000000000';
    const before = await product(sku);

    const cases: [string, string, unknown, number][] = [
      ['missing signature', base, job.body, 401],
      ['wrong signature', `${base}?signature=${'A'.repeat(signature.length)}`, job.body, 403],
      ['signature of another length', `${base}?signature=abc`, job.body, 403],
      ['unknown id', `${url.origin}/factory/callbacks/${otherId}?signature=${signature}`, job.body, 404],
      ['id that is not a uuid', `${url.origin}/factory/callbacks/not-a-uuid?signature=${signature}`, job.body, 404],
      ['tampered count', job.body.CallbackUrl, { ...job.body, MessageAttributeProductCnt: 2500 }, 403],
      ['tampered sku', job.body.CallbackUrl, { ...job.body, MessageAttributeProductId: 'CP-502101' }, 403],
      // Regression (chaos suite): the legacy count field was not checked, so this one was accepted.
      ['tampered legacy count (OrderStockCnt)', job.body.CallbackUrl, { ...job.body, OrderStockCnt: 2500 }, 403],
    ];
    for (const [name, target, body, status] of cases) {
      const res = await post(target, body);
      expect(res.status, name).toBe(status);
      const json = (await res.json()) as { error: { code: string } };
      expect(json.error.code, name).toEqual(expect.any(String));
    }
    expect((await post(job.body.CallbackUrl, 'not json')).status).toBe(400);
    expect((await post(job.body.CallbackUrl, JSON.stringify(job.body), 'text/plain')).status).toBe(415);

    // Nothing changed: same stock, the same replenishment still open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await product(sku);
    expect(after.stock).toBe(before.stock);
    expect(after.replenishment?.id).toBe(before.replenishment.id);
  });
});
