import { readdirSync, readFileSync } from 'node:fs';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { Logger } from 'pino';
import type { DashboardSnapshot } from '../../contract/dashboard.ts';
import { NotFoundError } from '../../contract/errors.ts';
import { CachedRead } from '../../platform/cached-read.ts';
import { createServiceApp } from '../../platform/http/service-app.ts';
import { TooManyStreamsError } from './errors.ts';
import { type FeedObserver, LiveFeed } from './live-feed.ts';

export interface DashboardDeps {
  readonly logger: Logger;
  /** The read model (read-model.ts), given its sources by the composition root: the dashboard reads other services only through it. */
  readonly snapshot: () => Promise<DashboardSnapshot>;
  readonly openApiDocument: unknown;
  /** The architecture diagram generated from the topology. */
  readonly architectureSvg: string;
  /** How often open dashboards get a snapshot; 1 s by default. */
  readonly intervalMs?: number | undefined;
  /** Event streams open at once (DASHBOARD_MAX_STREAMS); one more gets 429. 100 by default. */
  readonly maxStreams?: number | undefined;
  /**
   * A snapshot is served to everyone for this long (1 s, or the interval when shorter): anonymous requests
   * never read the system more often.
   */
  readonly snapshotMaxAgeMs?: number | undefined;
  /** A stream whose reader takes nothing for this long is closed; 30 s by default. */
  readonly stallTimeoutMs?: number | undefined;
  /** Told about streams and writes, for metrics. */
  readonly feedObserver?: FeedObserver | undefined;
  /**
   * How open dashboards get their snapshots: `stream` (Server-Sent Events on `/dashboard/events`, the
   * default), or `poll` where a response reaches the browser only once complete (API Gateway's HTTP API
   * in front of Lambda buffers it): the page then polls `/dashboard/snapshot` and `/dashboard/events`
   * answers 204 at once, which tells an EventSource not to reconnect.
   */
  readonly feed?: DashboardFeed | undefined;
}

export type DashboardFeed = 'stream' | 'poll';

/** Seconds a client refused a stream is asked to wait before trying again. */
const RETRY_AFTER_S = 10;

/** The snapshot, serialized once per read: as the JSON body and as the Server-Sent Event every stream gets. */
interface EncodedSnapshot {
  readonly json: string;
  readonly event: Uint8Array;
}

function encode(snapshot: DashboardSnapshot): EncodedSnapshot {
  // JSON.stringify leaves no line break in the text, so the whole snapshot is one `data:` line.
  const json = JSON.stringify(snapshot);
  return { json, event: new TextEncoder().encode(`event: snapshot\ndata: ${json}\n\n`) };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/** hono's secure headers with every header off: each response below turns on only what it sets. */
const NO_HEADERS = {
  crossOriginEmbedderPolicy: false,
  crossOriginResourcePolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
} as const;

/** The pages: everything they load comes from this origin; nothing inline, so a strict policy fits. */
const pageHeaders = secureHeaders({
  ...NO_HEADERS,
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
  },
  xContentTypeOptions: true,
  referrerPolicy: true,
});

/** The assets: served with their exact type, never sniffed as another. */
const assetHeaders = secureHeaders({ ...NO_HEADERS, xContentTypeOptions: true });

interface Asset {
  readonly type: string;
  readonly body: string;
}

/** The page names its feed in `<meta name="dashboard-feed">`; the committed page says `stream`. */
const FEED_META = '<meta name="dashboard-feed" content="stream">';

/** The committed assets, read once at start: plain ES modules and CSS, no build step. */
function loadAssets(architectureSvg: string, feed: DashboardFeed): Map<string, Asset> {
  const dir = new URL('./assets/', import.meta.url);
  const assets = new Map<string, Asset>();
  // Every file of a known type: the pages, one ES module per panel, the style sheet.
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (type) assets.set(name, { type, body: readFileSync(new URL(name, dir), 'utf8') });
  }
  assets.set('architecture.svg', { type: TYPES['.svg']!, body: architectureSvg });
  const index = assets.get('index.html')!;
  if (!index.body.includes(FEED_META)) throw new Error(`index.html lost its ${FEED_META}`);
  assets.set('index.html', { ...index, body: index.body.replace(FEED_META, FEED_META.replace('stream', feed)) });
  return assets;
}

/** `/` (the dashboard), its assets, the live feed (SSE), `/openapi.json` and `/docs`. */
export function createDashboardApp(deps: DashboardDeps) {
  const app = createServiceApp(deps.logger);
  const feedKind = deps.feed ?? 'stream';
  const assets = loadAssets(deps.architectureSvg, feedKind);
  const intervalMs = deps.intervalMs ?? 1000;
  // The feed reads once per interval anyway; a shorter interval is not held back by an older cache.
  const maxAgeMs = deps.snapshotMaxAgeMs ?? Math.min(1000, intervalMs);
  const current = new CachedRead(async () => encode(await deps.snapshot()), maxAgeMs);
  const feed = new LiveFeed({
    read: async () => (await current.read()).event,
    intervalMs,
    maxStreams: deps.maxStreams ?? 100,
    stallTimeoutMs: deps.stallTimeoutMs ?? 30_000,
    logger: deps.logger,
    observer: deps.feedObserver,
  });

  const page = (name: string) => {
    const asset = assets.get(name)!;
    return new Response(asset.body, {
      headers: { 'content-type': asset.type },
    });
  };
  app.get('/', pageHeaders, () => page('index.html'));
  app.get('/docs', pageHeaders, () => page('docs.html'));
  app.get('/openapi.json', (c) => c.json(deps.openApiDocument));

  app.get('/dashboard/assets/:file', assetHeaders, (c) => {
    const name = c.req.param('file');
    // Only the names loaded above exist; the HTML pages are served at their own paths.
    const asset = name.endsWith('.html') ? undefined : assets.get(name);
    if (!asset) throw new NotFoundError('not_found', 'no such asset');
    return c.body(asset.body, 200, {
      'content-type': asset.type,
      'cache-control': 'no-cache',
    });
  });

  app.get('/dashboard/snapshot', async (c) =>
    c.body((await current.read()).json, 200, { 'content-type': 'application/json' }),
  );

  app.get('/dashboard/events', (c) => {
    // No stream can reach the page here; 204 is the answer after which an EventSource stops for good.
    if (feedKind === 'poll') return c.body(null, 204, { 'cache-control': 'no-store' });
    if (feed.full) {
      feed.refused();
      const error = new TooManyStreamsError(deps.maxStreams ?? 100);
      return c.json(error.toJSON(), 429, { 'retry-after': String(RETRY_AFTER_S) });
    }
    return streamSSE(c, async (stream) => {
      // Joined in the same synchronous run as the check above, so no other request takes the slot between.
      const leave = feed.join({ write: (frame) => stream.write(frame), close: () => stream.abort() });
      if (!leave) return;
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      // A closed tab is noticed at once, not only at the next write: shutdown need not wait for it.
      c.req.raw.signal.addEventListener('abort', () => stream.abort(), { once: true });
      try {
        await closed;
      } finally {
        leave();
      }
    });
  });
  return app;
}
