import fc from 'fast-check';
import type { FactoryJob } from '../../../src/factory-simulator/simulator.ts';
import { signCallback } from '../../../src/services/warehouse/callback-signature.ts';
import { productBody, type TestSystem, waitFor } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  consumerRecords,
  inParallel,
  isContractError,
  queueDepthsOf,
  rawRequest,
  runScenario,
  type ScenarioResult,
  sleep,
  startChaosSystem,
} from '../harness.ts';

export interface ForgedSize {
  readonly variants: number;
  readonly seed?: number;
}

export const forgedSizes = {
  test: { variants: 250 },
  report: { variants: 1000 },
} satisfies Record<string, ForgedSize>;

interface Forgery {
  readonly kind: string;
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string | undefined;
}

interface Target {
  readonly job: FactoryJob;
  readonly base: string;
  readonly signature: string;
  readonly closed: boolean;
}

/**
 * Forged factory callbacks of every kind against real, signed orders (some still open, one already
 * closed): wrong or missing signatures, unknown ids, tampered counts and skus, replays after the close,
 * oversized and non-JSON bodies, wrong methods. Not one may be accepted, and nothing may change.
 */
export async function forgedCallbacksScenario(size: ForgedSize, context: ChaosContext = {}): Promise<ScenarioResult> {
  return runScenario('Forged callbacks', async (checks, describe) => {
    // The factory never finishes on its own: every callback here is one we send.
    const system = await startChaosSystem(context, { FACTORY_STAGE_MS: '600000' });
    try {
      await run(system, size, checks, describe, context);
    } finally {
      await system.destroy();
    }
  });
}

async function run(
  system: TestSystem,
  size: ForgedSize,
  checks: Checks,
  describe: (load: string, faults: string) => void,
  context: ChaosContext,
) {
  const tag = Date.now().toString(36);
  const skus = [0, 1, 2].map((i) => `FORGE-${tag}-${i}`);
  for (const sku of skus) {
    await system.api(`/products/${sku}`, {
      method: 'PUT',
      json: productBody({ stock: 3, reorderPoint: 1, reorderQuantity: 25 }),
      admin: true,
    });
    await system.api('/checkout', { json: { sku, quantity: 3, customerId: 'forger-victim' } });
  }
  const jobs = await waitFor('the three factory orders', async () => {
    const found = skus.map((sku) =>
      [...system.simulator!.jobs.values()].find((j) => j.body.MessageAttributeProductId === sku),
    );
    return found.every(Boolean) ? (found as FactoryJob[]) : undefined;
  });
  await waitFor('every replenishment ordered', async () => {
    const rows = await system.inventory.db
      .selectFrom('replenishments')
      .select('status')
      .where('sku', 'in', skus)
      .execute();
    return rows.every((r) => r.status === 'ordered');
  });
  // The first one is delivered for real, so it can be replayed after its close.
  const genuine = await fetch(jobs[0]!.body.CallbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(jobs[0]!.body),
  });
  await genuine.body?.cancel();
  await waitFor('the genuine callback to close its replenishment', async () => {
    const row = await system.inventory.db
      .selectFrom('replenishments')
      .select('status')
      .where('sku', '=', skus[0]!)
      .executeTakeFirst();
    return row?.status === 'completed';
  });
  await waitForStockArrivalsIdle(system);

  const targets: Target[] = jobs.map((job, i) => {
    const url = new URL(job.body.CallbackUrl);
    return {
      job,
      base: `${url.origin}${url.pathname}`,
      signature: url.searchParams.get('signature')!,
      closed: i === 0,
    };
  });
  const before = await snapshot(system, skus);
  const arrivalsBefore = await consumerRecords(system, 'stock-arrivals');

  const forgeries = fc.sample(forgery(targets, skus), { numRuns: size.variants, seed: size.seed ?? 20261125 });
  const answers = new Map<string, number>();
  const kinds = new Map<string, number>();
  const accepted: Forgery[] = [];
  const malformed: string[] = [];
  await inParallel(forgeries, 8, async (f) => {
    kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    const res = await rawRequest(f.url, {
      method: f.method,
      headers: f.contentType === undefined ? {} : { 'content-type': f.contentType },
      body: f.body,
    }).catch((error: Error) => {
      throw new Error(`${f.kind}: ${f.method} ${f.url.slice(0, 120)} got no answer: ${error.message}`);
    });
    const text = res.text;
    answers.set(String(res.status), (answers.get(String(res.status)) ?? 0) + 1);
    if (res.status < 400 || res.status >= 500) accepted.push(f);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!isContractError(json)) malformed.push(`${f.kind} → ${res.status} ${text.slice(0, 80)}`);
  });
  // Anything wrongly queued would be consumed within a poll or two.
  await sleep(1500);
  await waitForStockArrivalsIdle(system);
  const after = await snapshot(system, skus);
  const arrivalsAfter = await consumerRecords(system, 'stock-arrivals');
  context.log?.(`forged: ${forgeries.length} sent, answers ${JSON.stringify(Object.fromEntries(answers))}`);

  describe(
    `${forgeries.length} forged callbacks (fast-check, seed ${size.seed ?? 20261125}) against 2 open and 1 closed signed orders`,
    [...kinds.entries()]
      .sort()
      .map(([k, n]) => `${n} ${k}`)
      .join(', '),
  );
  checks.check(
    '0 forged callbacks accepted',
    accepted.length === 0,
    `answers: ${[...answers.entries()]
      .sort()
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ')}${accepted.length ? `; accepted e.g. ${JSON.stringify(accepted[0]).slice(0, 300)}` : ''}`,
  );
  checks.check(
    'every refusal in the contract error shape',
    malformed.length === 0,
    malformed.length
      ? `${malformed.length} not in shape, e.g. ${malformed.slice(0, 3).join(' | ')}`
      : `${forgeries.length} of ${forgeries.length}`,
  );
  checks.check(
    '0 state changes: stock, replenishments, outbox and the stock-arrivals queue untouched',
    JSON.stringify(before) === JSON.stringify(after) &&
      arrivalsAfter.succeeded === arrivalsBefore.succeeded &&
      arrivalsAfter.failed === arrivalsBefore.failed,
    `stock ${before.products.map((p) => p.stock).join('/')} → ${after.products.map((p) => p.stock).join('/')}; ` +
      `replenishments ${before.replenishments.map((r) => r.status).join('/')} → ${after.replenishments.map((r) => r.status).join('/')}; ` +
      `outbox ${before.outbox} → ${after.outbox}; stock arrivals consumed ${arrivalsBefore.succeeded + arrivalsBefore.failed} → ${arrivalsAfter.succeeded + arrivalsAfter.failed}`,
  );
}

async function waitForStockArrivalsIdle(system: TestSystem) {
  await waitFor(
    'stock-arrivals to be idle',
    async () => (await queueDepthsOf(system))['stock-arrivals']!.messages === 0,
  );
}

async function snapshot(system: TestSystem, skus: string[]) {
  const db = system.inventory.db;
  return {
    products: await db
      .selectFrom('products')
      .select(['sku', 'stock'])
      .where('sku', 'in', skus)
      .orderBy('sku')
      .execute(),
    replenishments: await db
      .selectFrom('replenishments')
      .select(['id', 'status', 'produced_quantity'])
      .where('sku', 'in', skus)
      .orderBy('sku')
      .execute(),
    outbox: Number(
      (
        await db
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
  };
}

/** One forged callback, from every family of forgery. */
function forgery(targets: readonly Target[], skus: readonly string[]): fc.Arbitrary<Forgery> {
  const open = targets.filter((t) => !t.closed);
  const closed = targets.find((t) => t.closed)!;
  const anyTarget = fc.constantFrom(...open);
  const json = (value: unknown) => JSON.stringify(value);
  const post = (kind: string, url: string, body: unknown, contentType = 'application/json'): Forgery => ({
    kind,
    method: 'POST',
    url,
    contentType,
    body: typeof body === 'string' ? body : json(body),
  });
  const signed = (t: Target) => `${t.base}?signature=${t.signature}`;
  const printable = fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 120,
  });

  const missingSignature = anyTarget.chain((t) =>
    fc
      .constantFrom(
        t.base,
        `${t.base}?signature=`,
        `${t.base}?sig=${t.signature}`,
        `${t.base}?SIGNATURE=${t.signature}`,
      )
      .map((url) => post('missing signature', url, t.job.body)),
  );
  const wrongSignature = fc
    .tuple(anyTarget, fc.nat(), printable, fc.string({ minLength: 16, maxLength: 40 }), fc.constantFrom(...targets))
    .chain(([t, index, random, secret, other]) => {
      const at = index % t.signature.length;
      const flipped = `${t.signature.slice(0, at)}${t.signature[at] === 'A' ? 'B' : 'A'}${t.signature.slice(at + 1)}`;
      const replenishmentId = t.base.split('/').at(-1)!;
      const order = {
        replenishmentId,
        sku: t.job.body.MessageAttributeProductId,
        quantity: t.job.body.MessageAttributeProductCnt,
      };
      return fc
        .constantFrom(
          encodeURIComponent(random),
          flipped,
          t.signature.slice(0, -1),
          `${t.signature}A`,
          t.signature.toUpperCase() === t.signature ? t.signature.toLowerCase() : t.signature.toUpperCase(),
          signCallback(secret, order),
          other === t ? flipped : other.signature,
          `${encodeURIComponent(random)}&signature=${t.signature}`,
        )
        .map((signature) => post('wrong signature', `${t.base}?signature=${signature}`, t.job.body));
    });
  const unknownId = fc
    .tuple(
      anyTarget,
      fc.oneof(
        fc.uuid(),
        printable.filter((s) => s.length > 0),
      ),
    )
    .map(([t, id]) =>
      post('unknown id', `${t.base.replace(/[^/]+$/, encodeURIComponent(id))}?signature=${t.signature}`, t.job.body),
    );
  const badCount = fc.oneof(
    fc.integer({ min: -1_000_000, max: 1_000_000_000 }),
    fc.double({ noNaN: true }),
    fc.constantFrom('25', null, true, [], {}),
  );
  const tamperedCount = fc
    .tuple(anyTarget, badCount, fc.boolean())
    .filter(([t, count]) => count !== t.job.body.MessageAttributeProductCnt)
    .map(([t, count, legacyField]) =>
      post(
        'tampered count',
        signed(t),
        legacyField ? { ...t.job.body, OrderStockCnt: count } : { ...t.job.body, MessageAttributeProductCnt: count },
      ),
    );
  const tamperedSku = fc
    .tuple(anyTarget, fc.oneof(fc.constantFrom(...skus, 'CP-502101', ''), printable))
    .filter(([t, sku]) => sku !== t.job.body.MessageAttributeProductId)
    .map(([t, sku]) => post('tampered sku', signed(t), { ...t.job.body, MessageAttributeProductId: sku }));
  const replay = fc
    .constantFrom(closed.job.body, { ...closed.job.body, MessageAttributeRequester: 'replayer' })
    .map((body) => post('replay after close', signed(closed), body));
  const oversized = fc
    .tuple(anyTarget, fc.integer({ min: 65 * 1024, max: 256 * 1024 }))
    .map(([t, bytes]) => post('oversized body', signed(t), { ...t.job.body, padding: 'x'.repeat(bytes) }));
  const nonJson = fc.oneof(
    fc
      .tuple(
        anyTarget,
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'multipart/form-data',
          '',
        ),
      )
      .map(([t, type]) => post('non-JSON body', signed(t), json(t.job.body), type)),
    fc
      .tuple(anyTarget, fc.oneof(fc.string(), fc.constantFrom('', 'null', '[]', '42', '"x"', '{"a":', json([{}]))))
      .filter(([, text]) => {
        try {
          const value = JSON.parse(text);
          return typeof value !== 'object' || value === null || Array.isArray(value);
        } catch {
          return true;
        }
      })
      .map(([t, text]) => post('non-JSON body', signed(t), text)),
  );
  const wrongMethod = fc.tuple(anyTarget, fc.constantFrom('PUT', 'PATCH', 'DELETE', 'GET')).map(([t, method]) => ({
    kind: 'wrong method',
    method,
    url: signed(t),
    contentType: 'application/json',
    body: method === 'GET' ? undefined : json(t.job.body),
  }));

  return fc.oneof(
    missingSignature,
    wrongSignature,
    unknownId,
    tamperedCount,
    tamperedSku,
    replay,
    oversized,
    nonJson,
    wrongMethod,
  );
}
