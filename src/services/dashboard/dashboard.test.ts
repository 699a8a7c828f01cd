import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { DashboardSnapshot } from '../../contract/dashboard.ts';
import { createDashboardApp } from './http.ts';
import { LiveFeed } from './live-feed.ts';

const logger = pino({ level: 'silent' });

const snapshot = (n = 0): DashboardSnapshot => ({
  at: new Date(1_800_000_000_000 + n).toISOString(),
  products: [],
  queues: [],
  orders: [],
  mails: [],
  customers: [],
  vipThreshold: 100,
  throughput: { bucketS: 1, orders: [0], units: [0] },
  flow: { checkouts: {}, published: {}, consumed: {} },
});

const app = (read = async () => snapshot()) =>
  createDashboardApp({
    logger,
    snapshot: read,
    openApiDocument: { openapi: '3.1.0' },
    architectureSvg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    intervalMs: 20,
  });

/** Reads server-sent events from a streaming response until `count` arrived. */
async function readEvents(response: Response, count: number): Promise<{ event: string; data: string }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { event: string; data: string }[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) =>
        block
          .split('\n')
          .filter((line) => line.startsWith(`${name}:`))
          .map((line) => line.slice(name.length + 1).trimStart())
          .join('\n');
      events.push({ event: field('event'), data: field('data') });
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return events;
}

describe('dashboard app', () => {
  it('serves the page with a strict content security policy and no inline script', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/dashboard/assets/app.js"></script>');
    expect(html).not.toMatch(/<script>|<script type="module">|\son[a-z]+="/);
    // Every form control has a label.
    for (const [, id] of html.matchAll(/<(?:input|select)[^>]*\sid="([^"]+)"/g)) {
      expect(html, id).toContain(`for="${id}"`);
    }
  });

  it('serves its assets with their types, and 404 for anything else', async () => {
    const dashboard = app();
    const types: Record<string, RegExp> = {
      'app.js': /^text\/javascript/,
      'docs.js': /^text\/javascript/,
      'style.css': /^text\/css/,
      'architecture.svg': /^image\/svg\+xml/,
    };
    for (const [name, type] of Object.entries(types)) {
      const res = await dashboard.request(`/dashboard/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toMatch(type);
    }
    for (const name of ['index.html', 'nope.js', '..%2Fhttp.ts', '%2e%2e%2Fhttp.ts']) {
      const res = await dashboard.request(`/dashboard/assets/${name}`);
      expect(res.status, name).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('not_found');
    }
  });

  it('serves /openapi.json and the /docs page', async () => {
    const dashboard = app();
    expect(await (await dashboard.request('/openapi.json')).json()).toEqual({ openapi: '3.1.0' });
    const docs = await dashboard.request('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/dashboard/assets/docs.js');
  });

  it('pushes snapshots over Server-Sent Events', async () => {
    let n = 0;
    const res = await app(async () => snapshot(n++)).request('/dashboard/events');
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(res, 2);
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'snapshot']);
    const first = JSON.parse(events[0]!.data) as DashboardSnapshot;
    const second = JSON.parse(events[1]!.data) as DashboardSnapshot;
    expect(first.vipThreshold).toBe(100);
    expect(Date.parse(second.at)).toBeGreaterThan(Date.parse(first.at));
  });
});

describe('live feed', () => {
  it('reads once per interval for all listeners, and stops when the last one leaves', async () => {
    const read = vi.fn(async () => ({ ok: true }));
    const feed = new LiveFeed(read, 20, logger);
    const a: string[] = [];
    const b: string[] = [];
    const stopA = feed.subscribe((data) => a.push(data));
    const stopB = feed.subscribe((data) => b.push(data));
    await vi.waitFor(() => expect(b.length).toBeGreaterThanOrEqual(3));
    expect(read.mock.calls.length).toBeLessThanOrEqual(a.length + 1);
    stopA();
    stopB();
    expect(feed.listeners).toBe(0);
    const calls = read.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(read.mock.calls.length).toBeLessThanOrEqual(calls + 1);
  });

  it('keeps going after a failed read', async () => {
    let fail = true;
    const feed = new LiveFeed(
      async () => {
        if (fail) {
          fail = false;
          throw new Error('database away');
        }
        return { ok: true };
      },
      10,
      logger,
    );
    const got: string[] = [];
    const stop = feed.subscribe((data) => got.push(data));
    await vi.waitFor(() => expect(got).toContain('{"ok":true}'));
    stop();
  });
});
