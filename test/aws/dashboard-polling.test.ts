import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/chromium.ts';
import { httpApiEvent, type LambdaHttpApi, lambdaContext, serveLambdaHttpApi } from '../helpers/lambda.ts';
import { startTestSystem, type TestSystem } from '../helpers/system.ts';

const SKU = 'CP-502101';

let system: TestSystem;
let api: LambdaHttpApi;

beforeAll(async () => {
  system = await startTestSystem();
  api = await serveLambdaHttpApi(system);
}, 120_000);
afterAll(async () => {
  await api?.close();
  await system?.destroy();
});

describe('the dashboard behind API Gateway and Lambda, which buffer every response', () => {
  it('answers /dashboard/events with 204 at once through the Lambda adapter, where the embedded gateway streams', async () => {
    const { plan, event } = httpApiEvent('GET', '/dashboard/events', { accept: 'text/event-stream' }, undefined);
    expect(plan.service).toBe('dashboard');
    const started = performance.now();
    const result = await api.handler(plan)(event, lambdaContext);
    // A stream would hold the invocation until the function's timeout; this one ends at once.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.statusCode).toBe(204);
    expect(result.body ?? '').toBe('');
    expect(String(result.headers?.['content-type'] ?? '')).not.toContain('text/event-stream');

    // The embedded gateway streams the very same route.
    const local = await fetch(`${system.url}/dashboard/events`, { signal: AbortSignal.timeout(10_000) });
    expect(local.status).toBe(200);
    expect(local.headers.get('content-type')).toContain('text/event-stream');
    const reader = local.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: snapshot');
    await reader.cancel();
  });

  it('serves the page flagged to poll on Lambda and to stream locally, and the snapshot on both', async () => {
    const lambdaPage = await (await fetch(`${api.url}/`)).text();
    expect(lambdaPage).toContain('<meta name="dashboard-feed" content="poll">');
    const localPage = await (await fetch(`${system.url}/`)).text();
    expect(localPage).toContain('<meta name="dashboard-feed" content="stream">');

    const snapshot = await fetch(`${api.url}/dashboard/snapshot`);
    expect(snapshot.status).toBe(200);
    const body = (await snapshot.json()) as { at: string; products: { sku: string }[] };
    expect(body.products.map((p) => p.sku)).toContain(SKU);
  });

  describe('in a browser', () => {
    let browser: { context: BrowserContext; close(): Promise<void> };

    beforeAll(async () => {
      browser = await launchBrowser();
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('polls the snapshot, shows fresh stock, and never opens the event stream', async () => {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const requested: string[] = [];
      page.on('request', (request) => requested.push(new URL(request.url()).pathname));

      await page.goto(api.url);
      await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('polling');
      const stock = page.locator(`article[data-sku="${SKU}"] .stock-count`);
      await stock.waitFor();
      const before = Number(await stock.textContent());

      const sale = await system.api('/checkout', { json: { sku: SKU, quantity: 1, customerId: 'polling-page' } });
      expect(sale.status).toBe(201);
      await expect.poll(async () => Number(await stock.textContent()), { timeout: 15_000 }).toBe(before - 1);

      const snapshots = requested.filter((p) => p === '/dashboard/snapshot').length;
      expect(snapshots).toBeGreaterThanOrEqual(2);
      expect(requested).not.toContain('/dashboard/events');
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
