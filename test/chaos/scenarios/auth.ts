import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { secretsEqual } from '../../../src/platform/http/guards.ts';
import { topology } from '../../../src/topology.ts';
import { ADMIN_TOKEN, productBody, type TestSystem } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  isContractError,
  queueDepthsOf,
  rawRequest,
  runOnSystem,
  type ScenarioResult,
} from '../harness.ts';

export interface AuthSize {
  /** Also time secretsEqual (report only: timings have no place in a test). */
  readonly measureTiming: boolean;
}

export const authSizes = {
  test: { measureTiming: false },
  report: { measureTiming: true },
} satisfies Record<string, AuthSize>;

const root = path.resolve(import.meta.dirname, '../../..');

/** Ways to present something other than the admin token, each applied to every admin route. */
function credentials(token: string): [string, { headers: Record<string, string>; query?: string }][] {
  const flipped = `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
  return [
    ['no credentials', { headers: {} }],
    ['empty Authorization', { headers: { authorization: '' } }],
    ['"Bearer" alone', { headers: { authorization: 'Bearer' } }],
    ['"Bearer " and spaces', { headers: { authorization: 'Bearer    ' } }],
    ['a wrong token', { headers: { authorization: 'Bearer wrong-token' } }],
    ['the token with its last character changed', { headers: { authorization: `Bearer ${flipped}` } }],
    ['the token minus its last character', { headers: { authorization: `Bearer ${token.slice(0, -1)}` } }],
    ['the token plus a character', { headers: { authorization: `Bearer ${token}x` } }],
    ['the token in upper case', { headers: { authorization: `Bearer ${token.toUpperCase()}` } }],
    ['the token twice', { headers: { authorization: `Bearer ${token} ${token}` } }],
    ['the token without a scheme', { headers: { authorization: token } }],
    [
      'Basic with the token',
      { headers: { authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` } },
    ],
    ['another scheme', { headers: { authorization: `Token ${token}` } }],
    ['the token in X-Admin-Token', { headers: { 'x-admin-token': token } }],
    ['the token in a cookie', { headers: { cookie: `token=${token}; admin_token=${token}` } }],
    ['the token in the query', { headers: {}, query: `?token=${token}&access_token=${token}` }],
    ['Proxy-Authorization', { headers: { 'proxy-authorization': `Bearer ${token}` } }],
  ];
}

/**
 * Every admin and ops route in the topology, with every way of not quite presenting the admin token:
 * 401 in the contract shape each time, and nothing changes (no product written, no dead letter purged
 * or redriven). The comparison itself is checked to hash both sides and use timingSafeEqual.
 */
export async function authScenario(size: AuthSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runOnSystem(
    'Auth (admin and ops endpoints)',
    context,
    { FACTORY_STAGE_MS: '600000' },
    (system, checks, describe) => run(system, size, checks, describe),
  );
}

async function run(
  system: TestSystem,
  size: AuthSize,
  checks: Checks,
  describe: (load: string, faults: string) => void,
) {
  const admin = topology.routes.filter((r) => r.auth === 'admin');
  const sku = `AUTH-${Date.now().toString(36)}`;
  const queue = 'factory-orders';
  // A dead letter that an unauthorised purge or redrive would remove.
  await system.clients.sqs.send(
    new SendMessageCommand({ QueueUrl: system.messaging.queues.get(queue)!.deadLetter.url, MessageBody: 'parked' }),
  );
  // An order that an unauthorised cancel would cancel, on a product of its own.
  const orderSku = `${sku}-ORDERED`;
  await system.api(`/products/${orderSku}`, { method: 'PUT', admin: true, json: productBody() });
  const placed = await system.api('/checkout', {
    method: 'POST',
    json: { sku: orderSku, quantity: 2, customerId: 'auth-chaos' },
  });
  if (placed.status !== 201) throw new Error(`could not place the order the scenario guards: ${placed.status}`);
  const orderId: string = placed.body.order.id;
  const pathOf = (route: (typeof admin)[number]) =>
    route.path.replace(':sku', sku).replace(':queue', queue).replace(':id', orderId);
  const bodyOf = (route: (typeof admin)[number]) =>
    route.method === 'PUT' || route.method === 'POST' ? JSON.stringify(productBody()) : undefined;

  const variants = credentials(ADMIN_TOKEN);
  const notRefused: string[] = [];
  let attempts = 0;
  for (const route of admin) {
    for (const [name, { headers, query }] of variants) {
      attempts++;
      const body = bodyOf(route);
      const res = await rawRequest(`${system.url}${pathOf(route)}${query ?? ''}`, {
        method: route.method,
        headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
        body,
      });
      let json: unknown;
      try {
        json = JSON.parse(res.text);
      } catch {
        json = undefined;
      }
      const ok =
        res.status === 401 &&
        isContractError(json) &&
        (json as { error: { code: string } }).error.code === 'unauthorized';
      if (!ok) notRefused.push(`${route.method} ${route.path} with ${name} → ${res.status}`);
    }
  }
  describe(
    `${admin.length} admin/ops routes × ${variants.length} credential variants = ${attempts} requests, then the real token`,
    variants.map(([name]) => name).join(', '),
  );
  checks.check(
    'every admin/ops route answers 401 unauthorized without the token or with a wrong one',
    notRefused.length === 0,
    `${attempts - notRefused.length}/${attempts} refused (${admin.map((r) => `${r.method} ${r.path}`).join(', ')})` +
      (notRefused.length ? `; not refused: ${notRefused.slice(0, 5).join('; ')}` : ''),
  );
  const product = await system.api(`/products/${sku}`);
  const dlq = (await queueDepthsOf(system))[queue]!.dlq;
  const order = await system.api(`/orders/${orderId}`, { admin: true });
  const ordered = await system.api(`/products/${orderSku}`);
  const orderIntact = order.body?.order?.status === 'placed' && ordered.body?.stock === 48;
  checks.check(
    'refused requests changed nothing',
    product.status === 404 && dlq === 1 && orderIntact,
    `product ${sku} ${product.status === 404 ? 'not written' : 'WRITTEN'}; the parked dead letter ${dlq === 1 ? 'still there' : `count ${dlq}`}; ` +
      `order ${orderIntact ? 'still placed, its stock still sold' : `CHANGED (${order.body?.order?.status}, stock ${ordered.body?.stock})`}`,
  );

  // The real token opens every route (the last one purges the DLQ, so it runs last).
  const opened: string[] = [];
  for (const route of [...admin].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'))) {
    const body = bodyOf(route);
    const res = await rawRequest(`${system.url}${pathOf(route)}`, {
      method: route.method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body,
    });
    if (res.status < 300) opened.push(`${route.method} ${route.path}`);
  }
  checks.equal('the real token opens every admin/ops route', opened.length, admin.length, 'routes answering 2xx');

  const source = await readFile(path.join(root, 'src/platform/http/guards.ts'), 'utf8');
  const fn = /export function secretsEqual[\s\S]*?\n}\n/.exec(source)?.[0] ?? '';
  const guard = /export const requireAdmin[\s\S]*?\n {2}};\n/.exec(source)?.[0] ?? '';
  const hashesBoth = (fn.match(/createHash\('sha256'\)/g) ?? []).length === 2;
  const usesTimingSafe = /timingSafeEqual\(/.test(fn) && !/===|!==|==/.test(fn);
  const behaves =
    secretsEqual(ADMIN_TOKEN, ADMIN_TOKEN) &&
    !secretsEqual(`${ADMIN_TOKEN}x`, ADMIN_TOKEN) &&
    !secretsEqual('', ADMIN_TOKEN) &&
    !secretsEqual(ADMIN_TOKEN.slice(0, -1), ADMIN_TOKEN) &&
    !secretsEqual('x'.repeat(10_000), ADMIN_TOKEN);
  let timing = '';
  if (size.measureTiming) timing = `; informational timing: ${timeCompare()}`;
  checks.check(
    'the token is compared in constant time (SHA-256 of both sides, then timingSafeEqual)',
    hashesBoth && usesTimingSafe && /secretsEqual\(/.test(guard) && behaves,
    `secretsEqual hashes both sides: ${hashesBoth}; compares with timingSafeEqual and no ===: ${usesTimingSafe}; ` +
      `requireAdmin uses it: ${/secretsEqual\(/.test(guard)}; equal/unequal/other-length behave: ${behaves}${timing}`,
  );
}

/** Median time of a comparison failing at the first byte versus at the last (after hashing: no difference). */
function timeCompare(): string {
  const expected = ADMIN_TOKEN.repeat(4);
  const early = `x${expected.slice(1)}`;
  const late = `${expected.slice(0, -1)}x`;
  const sample = (presented: string) => {
    const runs: number[] = [];
    for (let r = 0; r < 15; r++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 20_000; i++) secretsEqual(presented, expected);
      runs.push(Number(process.hrtime.bigint() - start) / 20_000);
    }
    return runs.sort((a, b) => a - b)[7]!;
  };
  sample(early);
  const a = sample(early);
  const b = sample(late);
  return `${a.toFixed(0)} ns when the first character differs, ${b.toFixed(0)} ns when the last does (ratio ${(b / a).toFixed(2)})`;
}
