import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/chromium.ts';
import { productBody, startTestSystem, type TestSystem, uniqueSku } from '../helpers/system.ts';

const root = path.resolve(import.meta.dirname, '../..');
const artifacts = path.join(root, 'test-results');

describe('dashboard in a browser', () => {
  let system: TestSystem;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const sku = uniqueSku('WEB');

  beforeAll(async () => {
    // Five 600 ms stages: long enough for the 1 s snapshots to catch the factory mid-production, even on a busy machine.
    system = await startTestSystem({ FACTORY_STAGE_MS: '600' });
    const put = await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ name: 'Browser Donut', stock: 8, reorderPoint: 2, reorderQuantity: 20 }),
      admin: true,
    });
    expect(put.status).toBe(201);
    browser = await launchBrowser();
    const { context } = browser;
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    // The browser first: an open event stream would hold the gateway's shutdown.
    await browser?.close();
    await system?.destroy();
  });

  it('follows a stock-out through replenishment, mails and restock', async () => {
    await page.goto(system.url);
    await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('live');
    const card = page.locator(`article[data-sku="${sku}"]`);
    await card.waitFor();
    await expect.poll(() => card.locator('.stock-count').textContent()).toBe('8');
    // The bar marks the reorder point in force; nothing sold yet, so no stock-out is projected.
    expect(await card.locator('.reorder-point').textContent()).toBe('2');
    expect(await card.locator('.reorder-mark').getAttribute('title')).toBe('reorder point 2');
    expect(await card.locator('.stock-out').textContent()).toBe('no demand measured');

    // Buy with the keyboard until the shop says sold out.
    const quantity = card.getByLabel('Quantity');
    const output = card.locator('output');
    let soldOut = false;
    for (let attempt = 0; attempt < 6 && !soldOut; attempt++) {
      await quantity.fill('3');
      await output.evaluate((o) => {
        (o as unknown as { value: string }).value = '';
      });
      await quantity.press('Enter');
      await expect.poll(() => output.textContent()).not.toBe('');
      soldOut = ((await output.textContent()) ?? '').startsWith('Sold out');
    }
    expect(soldOut).toBe(true);

    // The replenishment appears and moves through its steps; record every state the page shows: the
    // current step's name, or 'complete' once every step is done. ('restocked' is also current for a
    // moment: the goods arrived and the stock-arrivals queue has not yet raised the stock.)
    const replenishment = card.locator('.replenishment');
    await replenishment.waitFor({ state: 'visible' });
    const seen: string[] = [];
    const stepState = (step: string) => card.locator(`[data-step="${step}"]`).getAttribute('data-state');
    await expect
      .poll(
        async () => {
          // One read of all five steps, so a refresh between two reads cannot mix states.
          const steps = await card
            .locator('[data-step]')
            .evaluateAll((items) =>
              items.map((i) => [i.getAttribute('data-step'), i.getAttribute('data-state'), i.textContent] as const),
            );
          const current = steps.find(([, state]) => state === 'current');
          const restocked = steps.find(([step]) => step === 'restocked')?.[1] === 'done';
          const state = current?.[0] ?? (restocked ? 'complete' : 'none');
          const detail = (await card.locator('[data-step="production"] .detail').textContent()) ?? '';
          const label = state === 'production' && detail ? `production ${detail}` : state;
          if (seen.at(-1) !== label) seen.push(label);
          return state;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe('complete');
    // Opened first, complete last, and the factory's stages were shown on the way.
    expect(seen[0]).not.toBe('complete');
    expect(seen.some((s) => /^production \w+ [1-5]\/5$/.test(s))).toBe(true);
    const order = ['requested', 'ordered', 'production', 'arrived', 'restocked'];
    const ranks = seen.map((s) => [...order, 'complete'].indexOf(s.split(' ')[0]!));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // Every step done, on the replenishment the page followed (its id and status say which, if not).
    const block = await replenishment.evaluate((el) => ({ id: el.dataset.id, status: el.dataset.status }));
    expect(block.status).toBe('completed');
    for (const step of order)
      expect({ step, state: await stepState(step), seen, ...block }).toMatchObject({ step, state: 'done' });
    expect(await replenishment.locator('[data-step="restocked"] .when').textContent()).toMatch(/^\+\d+(\.\d)? s$/);

    // Stock restored: 2 left at the stock-out plus the 20 ordered.
    await expect.poll(() => card.locator('.stock-count').textContent()).toBe('22');

    // Both mails to the ad manager.
    const mails = page.locator(`#mails li[data-sku="${sku}"]`);
    await expect
      .poll(() => mails.locator('[data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))))
      .toEqual(['resume_ads', 'pause_ads']);
    expect(await page.locator(`#mails li[data-sku="${sku}"][data-kind="pause_ads"] .subject`).textContent()).toContain(
      sku,
    );

    // The orders, the buyer and the live diagram counts.
    expect(await page.locator('#orders tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#customers li').count()).toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => page.locator('#diagram [data-live="consume:factory-orders"]').textContent())
      .toMatch(/^[1-9]\d* done/);
    await expect
      .poll(() => page.locator('#diagram [data-live="http:sales"]').textContent())
      .toMatch(/^[1-9]\d* orders?$/);

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows an order the factory never answered as unconfirmed, not as ordered', async () => {
    const simulator = system.simulator!;
    // The factory answers after the system gave up waiting (FACTORY_TIMEOUT_MS), and never finishes here.
    simulator.faults = { ...simulator.faults, extraLatencyMs: 1500 };
    simulator.stageMs = 600_000;
    try {
      const slow = uniqueSku('WEBSLOW');
      await system.api(`/products/${slow}`, {
        method: 'PUT',
        json: productBody({ name: 'Slow Donut', stock: 1, reorderPoint: 0, reorderQuantity: 10 }),
        admin: true,
      });
      await page.goto(system.url);
      const card = page.locator(`article[data-sku="${slow}"]`);
      await card.waitFor();
      expect((await system.api('/checkout', { json: { sku: slow, quantity: 1, customerId: 'web' } })).status).toBe(201);
      const ordered = card.locator('[data-step="ordered"]');
      await expect
        .poll(() => card.locator('.replenishment').getAttribute('data-status'), { timeout: 30_000 })
        .toBe('unconfirmed');
      expect(await ordered.getAttribute('data-state')).toBe('current');
      expect(await ordered.locator('.detail').textContent()).toMatch(/unconfirmed/);
      expect(pageErrors).toEqual([]);
    } finally {
      simulator.faults = { ...simulator.faults, extraLatencyMs: 0 };
      simulator.stageMs = 600;
    }
  });

  it('labels every control and answers a redrive with the admin token from the page', async () => {
    for (const control of await page.locator('input, select').all()) {
      const id = await control.getAttribute('id');
      expect(await page.locator(`label[for="${id}"]`).count(), `label for #${id}`).toBe(1);
    }
    await page.getByRole('button', { name: 'Redrive dead letters of factory-orders' }).click();
    await expect.poll(() => page.locator('#queue-status').textContent()).toContain('admin token first');
    await page.getByLabel('Admin token').fill('test-admin-token');
    await page.getByLabel('Admin token').press('Enter');
    await page.getByRole('button', { name: 'Redrive dead letters of factory-orders' }).click();
    await expect
      .poll(() => page.locator('#queue-status').textContent())
      .toBe('Moved 0 messages back to factory-orders.');
    expect(await page.evaluate(() => sessionStorage.getItem('donut-admin-token'))).toBe('test-admin-token');
  });

  it('polls the snapshot while every stream slot is taken (429), and goes live once one frees', async () => {
    // The page's own stream goes first, so the slots taken below are all of them.
    await page.goto('about:blank');
    await expect
      .poll(
        async () => (await (await fetch(`${system.url}/metrics`)).text()).match(/^donut_dashboard_streams (\d+)/m)?.[1],
      )
      .toBe('0');
    // Responses kept referenced: an unreferenced unread body may be collected and its stream closed.
    const held: { controller: AbortController; response: Response }[] = [];
    try {
      // Take every slot the system allows (DASHBOARD_MAX_STREAMS, 100 by default).
      for (let i = 0; i <= 100; i++) {
        const controller = new AbortController();
        const response = await fetch(`${system.url}/dashboard/events`, { signal: controller.signal });
        if (response.status === 429) {
          await response.body?.cancel();
          break;
        }
        held.push({ controller, response });
      }
      expect((await fetch(`${system.url}/dashboard/events`)).status).toBe(429);
      await page.goto(system.url);
      await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('polling');
      await expect.poll(() => page.locator(`article[data-sku="${sku}"] .stock-count`).textContent()).toBe('22');
    } finally {
      for (const { controller } of held) controller.abort();
    }
    await expect.poll(() => page.locator('#connection').getAttribute('data-state'), { timeout: 40_000 }).toBe('live');
    expect(pageErrors).toEqual([]);
  });

  it('renders the API docs page from /openapi.json', async () => {
    await page.goto(`${system.url}/docs`);
    await expect.poll(() => page.locator('.operation').count()).toBeGreaterThan(10);
    expect(await page.locator('#post-checkout h3').textContent()).toContain('/checkout');
    expect(pageErrors).toEqual([]);
  });
});
