import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { DashboardSnapshot } from '../../contract/dashboard.ts';
import { createDashboardApp } from './http.ts';
import { LiveFeed, type LiveFeedOptions } from './live-feed.ts';

const logger = pino({ level: 'silent' });

const snapshot = (n = 0): DashboardSnapshot => ({
  at: new Date(1_800_000_000_000 + n).toISOString(),
  products: [],
  queues: [],
  orders: [],
  mails: [],
  customers: [],
  vipThreshold: 100,
  cancellations: 0,
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
    snapshotMaxAgeMs: 10,
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

  it('sends the pages and assets exactly their security headers, the policy unchanged', async () => {
    const dashboard = app();
    for (const path of ['/', '/docs']) {
      const res = await dashboard.request(path);
      expect(res.headers.get('content-security-policy'), path).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      // Nothing the pages did not send before: no framing or isolation header that could break them.
      expect(res.headers.get('x-frame-options'), path).toBeNull();
      expect(res.headers.get('cross-origin-resource-policy'), path).toBeNull();
    }
    const asset = await dashboard.request('/dashboard/assets/app.js');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    expect(asset.headers.get('content-security-policy')).toBeNull();
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

  it('serves every module the dashboard script imports, as JavaScript', async () => {
    const dashboard = app();
    const seen = new Set<string>();
    const pending = ['app.js'];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const res = await dashboard.request(`/dashboard/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toMatch(/^text\/javascript/);
      for (const [, imported] of (await res.text()).matchAll(/from '\.\/([\w-]+\.js)'/g)) pending.push(imported!);
    }
    // One module per panel beside the entry.
    expect(seen.size).toBeGreaterThan(5);
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
  const bytes = (text: string) => new TextEncoder().encode(text);
  const text = (frame: Uint8Array) => new TextDecoder().decode(frame);

  /** A stream whose reader takes each write at once, or (when `stuck`) never. */
  const stream = (stuck = false) => {
    const got: string[] = [];
    let closed = false;
    return {
      got,
      closed: () => closed,
      stream: {
        write: (frame: Uint8Array) => {
          got.push(text(frame));
          return stuck ? new Promise<void>(() => {}) : Promise.resolve();
        },
        close: () => {
          closed = true;
        },
      },
    };
  };
  const feed = (read: () => Promise<Uint8Array>, options: Partial<LiveFeedOptions> = {}) => {
    const counts = { sent: 0, skipped: 0, refused: 0, dropped: 0, open: 0 };
    const live = new LiveFeed({
      read,
      intervalMs: 10,
      maxStreams: 10,
      stallTimeoutMs: 60_000,
      logger,
      observer: {
        streams: (open) => (counts.open = open),
        write: (outcome) => (counts[outcome] += 1),
        refused: () => (counts.refused += 1),
        dropped: () => (counts.dropped += 1),
      },
      ...options,
    });
    return { live, counts };
  };

  it('reads once per interval for all listeners, hands each the same bytes, and stops when the last one leaves', async () => {
    const frames: Uint8Array[] = [];
    const read = vi.fn(async () => {
      frames.push(bytes(`frame ${frames.length}`));
      return frames.at(-1)!;
    });
    const seen: Uint8Array[][] = [[], []];
    const { live } = feed(read);
    const leaveA = live.join({ write: async (f) => seen[0]!.push(f), close: () => {} })!;
    const leaveB = live.join({ write: async (f) => seen[1]!.push(f), close: () => {} })!;
    await vi.waitFor(() => expect(seen[1]!.length).toBeGreaterThanOrEqual(3));
    expect(read.mock.calls.length).toBeLessThanOrEqual(seen[0]!.length + 1);
    // The very same buffer for every stream: encoded once per tick.
    for (const frame of seen[1]!) expect(frames).toContain(frame);
    expect(seen[0]!.filter((f) => seen[1]!.includes(f)).length).toBeGreaterThanOrEqual(2);
    leaveA();
    leaveB();
    expect(live.streams).toBe(0);
    const calls = read.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(read.mock.calls.length).toBeLessThanOrEqual(calls + 1);
  });

  it('keeps going after a failed read', async () => {
    let fail = true;
    const { live } = feed(async () => {
      if (fail) {
        fail = false;
        throw new Error('database away');
      }
      return bytes('ok');
    });
    const s = stream();
    const leave = live.join(s.stream)!;
    await vi.waitFor(() => expect(s.got).toContain('ok'));
    leave();
  });

  it('skips a stream whose reader has not taken the last snapshot, and writes to the others', async () => {
    let n = 0;
    const { live, counts } = feed(async () => bytes(`frame ${n++}`));
    const slow = stream(true);
    const fast = stream();
    const leaveSlow = live.join(slow.stream)!;
    const leaveFast = live.join(fast.stream)!;
    await vi.waitFor(() => expect(fast.got.length).toBeGreaterThanOrEqual(5));
    expect(slow.got).toHaveLength(1);
    expect(counts.skipped).toBeGreaterThanOrEqual(3);
    expect(slow.closed()).toBe(false);
    leaveSlow();
    leaveFast();
  });

  it('closes a stream whose reader took nothing for stallTimeoutMs, freeing its slot', async () => {
    const { live, counts } = feed(async () => bytes('frame'), { stallTimeoutMs: 50, maxStreams: 1 });
    const slow = stream(true);
    live.join(slow.stream);
    expect(live.full).toBe(true);
    await vi.waitFor(() => expect(slow.closed()).toBe(true));
    expect(counts.dropped).toBe(1);
    expect(live.streams).toBe(0);
    expect(live.full).toBe(false);
  });

  it('refuses a stream beyond maxStreams and takes one again once a slot is free', async () => {
    const { live, counts } = feed(async () => bytes('frame'), { maxStreams: 2 });
    const leaves = [live.join(stream().stream)!, live.join(stream().stream)!];
    expect(counts.open).toBe(2);
    expect(live.join(stream().stream)).toBeUndefined();
    expect(counts.refused).toBe(1);
    leaves[0]!();
    const again = live.join(stream().stream);
    expect(again).toBeTypeOf('function');
    again!();
    leaves[1]!();
    expect(counts.open).toBe(0);
  });
});

describe('dashboard app limits', () => {
  it('serves one snapshot read to a crowd of requests', async () => {
    const read = vi.fn(async () => snapshot());
    const dashboard = createDashboardApp({
      logger,
      snapshot: read,
      openApiDocument: {},
      architectureSvg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    });
    const answers = await Promise.all(Array.from({ length: 50 }, () => dashboard.request('/dashboard/snapshot')));
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(read).toHaveBeenCalledTimes(1);
  });
});
