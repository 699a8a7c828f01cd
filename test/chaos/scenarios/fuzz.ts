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
  /** Text, or bytes (e.g. ones that are not UTF-8). */
  readonly body: string | Buffer | undefined;
  /** The hostile inputs it carries (HOSTILE_KINDS), to show each was sent. */
  readonly kinds: readonly HostileKind[];
}

/** Inputs that once reached the database unchecked; the fuzzer must send every one of them. */
const HOSTILE_KINDS = [
  'lone surrogate in a text field',
  'NUL in a text field',
  'overlong text field',
  'number at or past 2^53',
  'duplicate JSON key',
  'body that is not UTF-8',
  'header beyond ASCII or overlong',
] as const;
type HostileKind = (typeof HOSTILE_KINDS)[number];

const FUZZ_SKU = 'FUZZ-1';
/** A full shelf: an order larger than its stock is refused, and must open no replenishment. */
const FULL_SKU = 'FUZZ-FULL';
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
 * valid to garbage, with the inputs that once got through (lone surrogates, NUL and overlong text in
 * every text field, numbers at and past 2^53, duplicate keys, bytes that are not UTF-8, headers beyond
 * ASCII). For every request: no 5xx, every error in the contract shape, and a request that was refused
 * left the inventory database exactly as it was, but for the one replenishment an out_of_stock may open
 * when the stock it found is at or below the reorder point (never above it).
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
  await system.api(`/products/${FULL_SKU}`, {
    method: 'PUT',
    json: productBody({ stock: 100, reorderPoint: 10 }),
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
  const sent = new Map<HostileKind, number>();
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
    for (const kind of request.kinds) sent.set(kind, (sent.get(kind) ?? 0) + 1);
    const after = await snapshot(system);
    if (status >= 400) {
      rejected++;
      const allowed = await allowedChange(system, status, answer.text, request);
      if (!sameExcept(before, after, allowed)) {
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
    'arbitrary methods, path parameters (unicode, SQL, traversal, 2 KB, bytes that are not UTF-8), query ' +
      'strings, headers (auth, Idempotency-Key, correlation id; Latin-1, overlong), content types and bodies ' +
      '(near-valid JSON to garbage, over 64 KiB); in every text field lone surrogates, NUL and overlong text, ' +
      'numbers at and past 2^53, duplicate keys and bytes that are not UTF-8',
  );
  checks.check(
    'every hostile input was sent',
    HOSTILE_KINDS.every((kind) => (sent.get(kind) ?? 0) > 0),
    HOSTILE_KINDS.map((kind) => `${kind} ${sent.get(kind) ?? 0}`).join(', '),
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
    `${stateChanged.length} of ${rejected} rejected requests changed the inventory database (beyond the one ` +
      `replenishment an out_of_stock at or below the reorder point may open)${example(stateChanged)}`,
  );
}

type Snapshot = Record<string, unknown>;

/**
 * What a refusal may change: nothing, except that an out_of_stock that found stock at or below the
 * product's reorder point may open one replenishment (a row and its event).
 */
async function allowedChange(system: TestSystem, status: number, text: string, request: FuzzRequest) {
  if (status !== 409 || !text.includes('"out_of_stock"')) return 0;
  const available = (JSON.parse(text) as { available?: unknown }).available;
  let sku: unknown;
  try {
    // Read as the server read it: a duplicate key counts with its last value.
    sku = (JSON.parse(String(request.body)) as { sku?: unknown }).sku;
  } catch {
    return 0;
  }
  if (typeof sku !== 'string' || typeof available !== 'number') return 0;
  const product = await system.inventory.db
    .selectFrom('products')
    .select('reorder_point')
    .where('sku', '=', sku)
    .executeTakeFirst();
  return product && available <= product.reorder_point ? 1 : 0;
}

/** The same state, but for up to `replenishments` new replenishments, each with its one event. */
function sameExcept(before: Snapshot | undefined, after: Snapshot | undefined, replenishments: number): boolean {
  if (!before || !after) return false;
  const opened = Number(after.replenishments) - Number(before.replenishments);
  const events = Number(after.events) - Number(before.events);
  const rest = (s: Snapshot) => JSON.stringify({ ...s, replenishments: 0, events: 0 });
  return rest(before) === rest(after) && opened === events && opened >= 0 && opened <= replenishments;
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

/** Header text beyond ASCII: HTTP carries Latin-1 bytes (a lone surrogate or NUL cannot be sent at all). */
const latin1 = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength });

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const around = (inner: fc.Arbitrary<string>) =>
  fc.tuple(fc.string({ maxLength: 8 }), inner, fc.string({ maxLength: 8 })).map(([a, x, b]) => `${a}${x}${b}`);

/** Text no request may store: lone surrogates (reversed pairs too), NUL, and text longer than any field takes. */
const hostileText = fc.oneof(
  around(loneSurrogate),
  fc.constantFrom('\ud800', '\udfff', '\udc00\ud800', 'Glazed \ud83c', '\ud83c\ud83c\udf69'),
  around(fc.constant('\u0000')),
  fc.integer({ min: 129, max: 4000 }).map((n) => 'x'.repeat(n)),
);

/** Numbers JavaScript reads inexactly or not at all, as JSON text. */
const BIG_NUMBERS = [
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '18014398509481985',
  '123456789012345678901234567890',
  '1e400',
  '-1e400',
  '1e-400',
  '1.0000000000000001',
  '9007199254740993.5',
];

/** The hostile inputs an object (before JSON.stringify) carries in its keys and values. */
function kindsOf(value: unknown, kinds = new Set<HostileKind>()): Set<HostileKind> {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) kinds.add('lone surrogate in a text field');
    if (value.includes('\u0000')) kinds.add('NUL in a text field');
    if (value.length > 128) kinds.add('overlong text field');
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) && Number.isInteger(value)) kinds.add('number at or past 2^53');
  } else if (Array.isArray(value)) {
    for (const v of value) kindsOf(v, kinds);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      kindsOf(k, kinds);
      kindsOf(v, kinds);
    }
  }
  return kinds;
}

interface FuzzBody {
  readonly body: string | Buffer;
  readonly kinds: readonly HostileKind[];
}

const asJson = (value: unknown): FuzzBody => ({ body: JSON.stringify(value), kinds: [...kindsOf(value)] });

function fuzzRequest(system: TestSystem): fc.Arbitrary<FuzzRequest> {
  const queues = [...system.messaging.queues.keys()];
  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...SQL_PAYLOADS).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('..', '%2e%2e', '.', '%00', '%zz', '%', 'a%2Fb', '~', '') },
    // UTF-8 of a lone surrogate, an overlong NUL, bytes that never start a character: not UTF-8 at all.
    { weight: 1, arbitrary: fc.constantFrom('%ED%A0%80', 'a%ED%BF%BFb', '%C0%80', '%FF%FE', '%F4%90%80%80') },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 2000 }).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.uuid() },
  );
  const known: Record<string, string[]> = {
    sku: ['CP-502101', FUZZ_SKU, FULL_SKU],
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
        return {
          route: `${route.method} ${route.path}`,
          method,
          path: path.startsWith('/') ? path : `/${path}`,
          // The route itself, so its handler reads the body and headers (unless a parameter fails first).
          exact: method === route.method && suffix === '',
        };
      });
  });
  // Routes that read a JSON body, so the hostile bodies meet their checks often enough.
  const bodyRoutePath = routePath.filter((t) => t.exact && (t.method === 'POST' || t.method === 'PUT'));
  const otherPath = fc
    .tuple(fc.array(segment, { maxLength: 4 }), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'))
    .map(([segments, method]) => ({ route: 'other', method, path: `/${segments.join('/')}`, exact: false }));
  const target = fc.oneof(
    { weight: 9, arbitrary: routePath },
    { weight: 3, arbitrary: bodyRoutePath },
    { weight: 1, arbitrary: otherPath },
  );
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
    hostileText,
  );
  const bigNumber = fc.constantFrom(2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 60, Number.MAX_VALUE);
  const checkoutBody = fc.record(
    {
      sku: fc.oneof(fc.constantFrom('CP-502101', FUZZ_SKU), fuzzString, anyJson),
      quantity: fc.oneof(
        fc.integer({ min: -5, max: 1005 }),
        fc.double(),
        fc.string({ maxLength: 5 }),
        anyJson,
        bigNumber,
      ),
      customerId: fc.oneof(fuzzString, fc.string({ minLength: 120, maxLength: 140 }), anyJson),
      extra: anyJson,
    },
    { requiredKeys: [] },
  );
  // Valid but for one field: the hostile value meets the check of exactly that field.
  const nearValidCheckout = fc
    .tuple(fc.constantFrom('sku', 'customerId', 'customerId'), hostileText, fc.integer({ min: 1, max: 3 }))
    .map(([field, value, quantity]) => ({
      sku: FUZZ_SKU,
      quantity,
      customerId: 'fuzz-buyer',
      [field]: value,
    }));
  const tooLargeOrder = fc
    .integer({ min: 101, max: 1000 })
    .map((quantity) => ({ sku: FULL_SKU, quantity, customerId: 'fuzz-large-order' }));
  const productInput = fc.record(
    {
      name: fc.oneof(fuzzString, anyJson),
      price: fc.oneof(fc.double(), fc.integer(), anyJson, bigNumber),
      stock: fc.oneof(fc.integer({ min: -10, max: 2_000_000_000 }), anyJson, bigNumber),
      reorderPoint: fc.oneof(fc.integer({ min: -10, max: 100 }), anyJson),
      reorderQuantity: fc.oneof(fc.integer({ min: -10, max: 100 }), anyJson),
      factoryId: fc.oneof(fuzzString, anyJson),
    },
    { requiredKeys: [] },
  );
  const nearValidProduct = fc
    .tuple(fc.constantFrom('name', 'factoryId'), hostileText)
    .map(([field, value]) => ({ ...productBody({ stock: 1_000_000, reorderPoint: 0 }), [field]: value }));
  // Numbers as JSON text, where JSON.stringify could never write them.
  const bigNumberBody = fc
    .tuple(fc.constantFrom('checkout', 'product'), fc.constantFrom(...BIG_NUMBERS), fc.integer({ min: 0, max: 2 }))
    .map(([kind, number, field]): FuzzBody => {
      const text =
        kind === 'checkout'
          ? `{"sku":"${FUZZ_SKU}","quantity":${number},"customerId":"fuzz-big"}`
          : JSON.stringify(productBody({ stock: 1_000_000, reorderPoint: 0 })).replace(
              ['"price":1.25', '"stock":1000000', '"reorderQuantity":30'][field]!,
              (pair) => `${pair.split(':')[0]}:${number}`,
            );
      return { body: text, kinds: ['number at or past 2^53'] };
    });
  // A key twice, the second time with any value: the server reads the last one, as JSON.parse does.
  const duplicateKeyBody = fc
    .tuple(
      fc.oneof(checkoutBody, nearValidCheckout, productInput, nearValidProduct),
      fc.constantFrom('sku', 'quantity', 'customerId', 'name', 'stock', 'price', 'factoryId'),
      fc.oneof(fuzzString, anyJson, bigNumber),
    )
    .map(([object, key, value]): FuzzBody => {
      const text = JSON.stringify(object);
      const body = `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(value)}}`;
      return { body, kinds: ['duplicate JSON key', ...kindsOf(object), ...kindsOf(value)] };
    });
  // UTF-8 of a lone surrogate, an overlong NUL or a stray byte inside a string of an otherwise valid body.
  const notUtf8Body = fc
    .tuple(
      fc.oneof(nearValidCheckout, nearValidProduct),
      fc.constantFrom([0xed, 0xa0, 0x80], [0xc0, 0x80], [0xff], [0xe2, 0x82]),
    )
    .map(([object, bytes]): FuzzBody => {
      const [before, after] = JSON.stringify({ ...object, note: 'BYTES' }).split('BYTES') as [string, string];
      return {
        body: Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]),
        kinds: ['body that is not UTF-8', ...kindsOf(object)],
      };
    });
  const body: fc.Arbitrary<FuzzBody> = fc.oneof(
    { weight: 4, arbitrary: checkoutBody.map(asJson) },
    { weight: 3, arbitrary: nearValidCheckout.map(asJson) },
    { weight: 2, arbitrary: productInput.map(asJson) },
    { weight: 1, arbitrary: nearValidProduct.map(asJson) },
    { weight: 1, arbitrary: tooLargeOrder.map(asJson) },
    { weight: 1, arbitrary: bigNumberBody },
    { weight: 1, arbitrary: duplicateKeyBody },
    { weight: 1, arbitrary: notUtf8Body },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((body) => ({ body, kinds: [] })) },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }).map((body) => ({ body, kinds: [] })) },
    { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '{', '{"sku": ').map((body) => ({ body, kinds: [] })) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 64 * 1024 + 1, max: 100 * 1024 })
        .map((n) => ({ body: `{"x":"${'y'.repeat(n)}"}`, kinds: [] })),
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
      latin1(40),
    ),
    { freq: 2 },
  );
  // Beyond ASCII (Latin-1, or UTF-8 bytes read as Latin-1), percent-encoded surrogates, or overlong.
  const hostileHeader = fc.oneof(
    latin1(40),
    fc.constantFrom('\xed\xa0\x80', 'caf\xc3\xa9', '%ED%A0%80', '\\ud800'),
    fc.integer({ min: 256, max: 4000 }).map((n) => 'k'.repeat(n)),
  );
  const headerValue = (ordinary: fc.Arbitrary<string>) =>
    fc.oneof(
      { weight: 4, arbitrary: ordinary.map((value) => ({ value, hostile: false })) },
      { weight: 1, arbitrary: hostileHeader.map((value) => ({ value, hostile: true })) },
    );
  const headers = fc
    .record({
      contentType,
      authorization,
      key: fc.option(headerValue(fc.oneof(printable(40), printable(300), fc.constantFrom(...SQL_PAYLOADS))), {
        freq: 3,
      }),
      correlation: fc.option(headerValue(printable(150)), { freq: 4 }),
    })
    .map(({ contentType: type, authorization: auth, key, correlation }) => {
      const out: Record<string, string> = {};
      if (type !== null) out['content-type'] = type;
      if (auth !== null) out.authorization = auth;
      if (key !== null) out['idempotency-key'] = key.value;
      if (correlation !== null) out['x-correlation-id'] = correlation.value;
      const hostile = Boolean(key?.hostile || correlation?.hostile);
      return { headers: out, kinds: hostile ? (['header beyond ASCII or overlong'] as HostileKind[]) : [] };
    });

  return fc.tuple(target, query, headers, fc.option(body, { freq: 6 })).map(([t, q, h, b]) => {
    const bodiless = t.method === 'GET' || t.method === 'HEAD';
    const sentBody = bodiless ? undefined : (b ?? undefined);
    // Counted only where they are read: a body by a route that takes one, a header by checkout.
    const kinds = t.exact ? [...(sentBody?.kinds ?? []), ...(t.route === 'POST /checkout' ? h.kinds : [])] : [];
    return {
      route: t.route,
      method: t.method,
      path: `${t.path}${q}`,
      headers: h.headers,
      body: sentBody?.body,
      kinds: [...new Set(kinds)],
    };
  });
}
