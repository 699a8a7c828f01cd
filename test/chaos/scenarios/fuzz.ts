import fc from 'fast-check';
import { sql } from 'kysely';
import { topology } from '../../../src/topology.ts';
import { ADMIN_TOKEN, productBody, type TestSystem } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  isContractError,
  type RawAnswer,
  rawRequest,
  runOnSystem,
  type ScenarioResult,
} from '../harness.ts';

export interface FuzzSize {
  readonly requests: number;
  readonly seed?: number;
}

export const fuzzSizes = {
  test: { requests: 1000 },
  report: { requests: 10_000 },
} satisfies Record<string, FuzzSize>;

interface FuzzRequest {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

const FUZZ_SKU = 'FUZZ-1';
const SQL_PAYLOADS = [
  "'; DROP TABLE products; --",
  "x' OR '1'='1",
  '1; DELETE FROM orders',
  "CP-502101' --",
  '$1',
  '\\x00',
];

/**
 * Property-based requests (fast-check) to every route in the topology, and to paths that are none:
 * arbitrary methods, path parameters, query strings, headers, content types and bodies, from nearly
 * valid to garbage. For every request: no 5xx, every error in the contract shape, and a request that
 * was refused left the inventory database exactly as it was.
 */
export async function fuzzScenario(size: FuzzSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runOnSystem(
    'Fuzz (every endpoint)',
    context,
    { FACTORY_STAGE_MS: '600000', REPLENISHMENT_TIMEOUT_S: '100000' },
    (system, checks, describe) => run(system, size, checks, describe, context),
  );
}

async function run(
  system: TestSystem,
  size: FuzzSize,
  checks: Checks,
  describe: (load: string, faults: string) => void,
  context: ChaosContext,
) {
  await system.api(`/products/${FUZZ_SKU}`, {
    method: 'PUT',
    json: productBody({ stock: 1_000_000, reorderPoint: 0 }),
    admin: true,
  });
  const seed = size.seed ?? 20261125;
  const requests = fc.sample(fuzzRequest(system), { numRuns: size.requests, seed });
  const statuses = new Map<string, number>();
  const perRoute = new Map<string, number>();
  const serverErrors: string[] = [];
  const badShapes: string[] = [];
  const stateChanged: string[] = [];
  const noAnswer: string[] = [];
  let rejected = 0;
  let before = await snapshot(system);
  let done = 0;
  for (const request of requests) {
    perRoute.set(request.route, (perRoute.get(request.route) ?? 0) + 1);
    let answer: RawAnswer;
    try {
      answer = await rawRequest(`${system.url}${request.path}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
      });
    } catch (error) {
      noAnswer.push(`${describeRequest(request)}: ${(error as Error).message}`);
      continue;
    }
    const status = answer.status;
    statuses.set(`${Math.floor(status / 100)}xx`, (statuses.get(`${Math.floor(status / 100)}xx`) ?? 0) + 1);
    const shown = () => `${describeRequest(request)} → ${status} ${answer.text.slice(0, 120)}`;
    if (status >= 500) serverErrors.push(shown());
    if (status >= 400 && request.method !== 'HEAD') {
      let json: unknown;
      try {
        json = JSON.parse(answer.text);
      } catch {
        json = undefined;
      }
      if (!isContractError(json) || !answer.contentType.startsWith('application/json')) badShapes.push(shown());
    }
    const after = await snapshot(system);
    // out_of_stock may open a replenishment by design; every other refusal must change nothing.
    const outOfStock = status === 409 && answer.text.includes('"out_of_stock"');
    if (status >= 400 && !outOfStock) {
      rejected++;
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        stateChanged.push(`${shown()}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
      }
    }
    before = after;
    if (++done % 2000 === 0) context.log?.(`fuzz: ${done}/${requests.length}`);
  }

  const routes = topology.routes.length;
  describe(
    `${requests.length.toLocaleString('en-US')} generated requests (fast-check, seed ${seed}) over all ${routes} routes ` +
      `and unknown paths; answers ${[...statuses.entries()]
        .sort()
        .map(([s, n]) => `${n} ${s}`)
        .join(', ')}`,
    'arbitrary methods, path parameters (unicode, SQL, traversal, 2 KB), query strings, headers (auth, ' +
      'Idempotency-Key, correlation id), content types and bodies (near-valid JSON to garbage, over 64 KiB)',
  );
  checks.check(
    'every route was exercised',
    topology.routes.every((r) => (perRoute.get(`${r.method} ${r.path}`) ?? 0) > 0),
    topology.routes.map((r) => `${r.method} ${r.path} ${perRoute.get(`${r.method} ${r.path}`) ?? 0}`).join(', ') +
      `, other ${perRoute.get('other') ?? 0}`,
  );
  checks.check(
    'every request answered',
    noAnswer.length === 0,
    `${noAnswer.length} without an answer${example(noAnswer)}`,
  );
  checks.check('0 responses 5xx', serverErrors.length === 0, `${serverErrors.length} 5xx${example(serverErrors)}`);
  checks.check(
    'every error in the contract shape',
    badShapes.length === 0,
    `${badShapes.length} of ${(statuses.get('4xx') ?? 0) + (statuses.get('5xx') ?? 0)} errors not {"error": {code, message}}${example(badShapes)}`,
  );
  checks.check(
    '0 state changes from rejected requests',
    stateChanged.length === 0,
    `${stateChanged.length} of ${rejected} rejected requests changed the inventory database${example(stateChanged)}`,
  );
}

const example = (list: readonly string[]) => (list.length ? `; e.g. ${list.slice(0, 3).join(' | ')}` : '');

function describeRequest(r: FuzzRequest): string {
  const headers = Object.entries(r.headers)
    .map(([k, v]) => `${k}: ${v.slice(0, 40)}`)
    .join(', ');
  return `${r.method} ${r.path.slice(0, 100)} [${headers}] ${r.body === undefined ? '' : r.body.slice(0, 80)}`;
}

/** Everything a refused request must leave alone, in one round trip. */
async function snapshot(system: TestSystem) {
  const { rows } = await sql<Record<string, unknown>>`select
      (select count(*) from orders) as orders,
      (select count(*) from replenishments) as replenishments,
      (select count(*) from idempotency_keys) as keys,
      (select count(*) from outbox) as events,
      (select md5(coalesce(string_agg(concat_ws('|', sku, name, price, stock, reorder_point, reorder_quantity, factory_id), ',' order by sku), ''))
         from products) as products`.execute(system.inventory.db);
  return rows[0];
}

const printable = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

function fuzzRequest(system: TestSystem): fc.Arbitrary<FuzzRequest> {
  const queues = [...system.messaging.queues.keys()];
  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...SQL_PAYLOADS).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('..', '%2e%2e', '.', '%00', '%zz', '%', 'a%2Fb', '~', '') },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 2000 }).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.uuid() },
  );
  const known: Record<string, string[]> = {
    sku: ['CP-502101', FUZZ_SKU],
    queue: queues,
    replenishmentId: ['00000000-0000-4000-8000-000000000000'],
    id: ['fuzz-customer'],
    file: ['app.js', 'style.css', 'index.html'],
  };
  const paramValue = (name: string) =>
    fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...(known[name] ?? ['x'])) }, { weight: 3, arbitrary: segment });
  const routePath = fc.constantFrom(...topology.routes).chain((route) => {
    const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    return fc
      .tuple(
        fc.tuple(...names.map(paramValue)),
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(route.method as string) },
          { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
        ),
        fc.oneof(
          { weight: 4, arbitrary: fc.constant('') },
          { weight: 1, arbitrary: fc.constantFrom('/', '//x', '/extra') },
        ),
      )
      .map(([values, method, suffix]) => {
        let i = 0;
        const path = route.path.replace(/:([A-Za-z]+)/g, () => values[i++]!) + suffix;
        return { route: `${route.method} ${route.path}`, method, path: path.startsWith('/') ? path : `/${path}` };
      });
  });
  const otherPath = fc
    .tuple(fc.array(segment, { maxLength: 4 }), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'))
    .map(([segments, method]) => ({ route: 'other', method, path: `/${segments.join('/')}` }));
  const target = fc.oneof({ weight: 9, arbitrary: routePath }, { weight: 1, arbitrary: otherPath });
  const query = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.webQueryParameters().map((q) => `?${q}`) },
    { weight: 1, arbitrary: segment.map((s) => `?signature=${s}`) },
  );

  const anyJson = fc.jsonValue({ maxDepth: 3 });
  const fuzzString = fc.oneof(
    fc.string({ maxLength: 150 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom(...SQL_PAYLOADS),
    fc.constant(''),
  );
  const checkoutBody = fc.record(
    {
      sku: fc.oneof(fc.constantFrom('CP-502101', FUZZ_SKU), fuzzString, anyJson),
      quantity: fc.oneof(fc.integer({ min: -5, max: 1005 }), fc.double(), fc.string({ maxLength: 5 }), anyJson),
      customerId: fc.oneof(fuzzString, fc.string({ minLength: 120, maxLength: 140 }), anyJson),
      extra: anyJson,
    },
    { requiredKeys: [] },
  );
  const productInput = fc.record(
    {
      name: fc.oneof(fuzzString, anyJson),
      price: fc.oneof(fc.double(), fc.integer(), anyJson),
      stock: fc.oneof(fc.integer({ min: -10, max: 2_000_000_000 }), anyJson),
      reorderPoint: fc.oneof(fc.integer({ min: -10, max: 100 }), anyJson),
      reorderQuantity: fc.oneof(fc.integer({ min: -10, max: 100 }), anyJson),
      factoryId: fc.oneof(fuzzString, anyJson),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    { weight: 4, arbitrary: checkoutBody.map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: productInput.map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '{', '{"sku": ') },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 64 * 1024 + 1, max: 100 * 1024 }).map((n) => `{"x":"${'y'.repeat(n)}"}`),
    },
  );
  const contentType = fc.option(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/merge-patch+json',
        ),
      },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'APPLICATION/JSON',
          '',
        ),
      },
      { weight: 1, arbitrary: printable(60) },
    ),
    { freq: 5 },
  );
  const authorization = fc.option(
    fc.oneof(
      fc.constantFrom(
        `Bearer ${ADMIN_TOKEN}`,
        `bearer ${ADMIN_TOKEN}`,
        'Bearer wrong-token',
        `Bearer ${ADMIN_TOKEN}x`,
        `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
        `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
        'Bearer ',
      ),
      printable(80),
    ),
    { freq: 2 },
  );
  const headers = fc
    .record({
      contentType,
      authorization,
      key: fc.option(fc.oneof(printable(40), printable(300), fc.constantFrom(...SQL_PAYLOADS)), { freq: 3 }),
      correlation: fc.option(printable(150), { freq: 4 }),
    })
    .map(({ contentType: type, authorization: auth, key, correlation }) => {
      const out: Record<string, string> = {};
      if (type !== null) out['content-type'] = type;
      if (auth !== null) out.authorization = auth;
      if (key !== null) out['idempotency-key'] = key;
      if (correlation !== null) out['x-correlation-id'] = correlation;
      return out;
    });

  return fc.tuple(target, query, headers, fc.option(body, { freq: 6 })).map(([t, q, h, b]) => {
    const bodiless = t.method === 'GET' || t.method === 'HEAD';
    return {
      route: t.route,
      method: t.method,
      path: `${t.path}${q}`,
      headers: h,
      body: bodiless ? undefined : (b ?? undefined),
    };
  });
}
