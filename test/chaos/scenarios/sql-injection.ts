import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SQSRecord } from 'aws-lambda';
import { type CompiledQuery, Kysely, sql } from 'kysely';
import type { CustomersTables } from '../../../src/databases/customers/tables.ts';
import { inventoryMigrations } from '../../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../../src/databases/inventory/tables.ts';
import { migrateToLatest } from '../../../src/platform/db/database.ts';
import { PGliteDialect } from '../../../src/platform/db/pglite-dialect.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { createCustomersService, customersMigrations } from '../../../src/services/customers/index.ts';
import { createSalesService } from '../../../src/services/sales/index.ts';
import { createCallbackIntakeApp } from '../../../src/services/warehouse/http.ts';
import { type Engine, productBody, type TestSystem, waitFor } from '../../helpers/system.ts';
import {
  type ChaosContext,
  type Checks,
  copyEmptyPglite,
  type Invariant,
  runScenario,
  type ScenarioResult,
  startChaosSystem,
  tempDir,
} from '../harness.ts';

/** Every payload carries the marker `zqx`, so it can be found in SQL text and in parameters alike. */
export const SQL_INJECTIONS = [
  "zqx'; DROP TABLE products; --",
  "zqx' OR '1'='1",
  'zqx); DELETE FROM orders; --',
  "zqx' UNION SELECT key, request_hash FROM idempotency_keys --",
  "Robert'); DROP TABLE customers; -- zqx",
  "zqx\\'; DROP TABLE outbox; --",
  'zqx $1 $2 ::text',
  "zqx' || (SELECT pg_sleep(3)) || '",
  'zqx"; DROP TABLE "replenishments',
] as const;

const INVENTORY_TABLES = ['products', 'orders', 'idempotency_keys', 'replenishments', 'outbox'] as const;
const CUSTOMER_TABLES = ['customers', 'processed_orders', 'outbox'] as const;

/**
 * The seed built SQL from strings once. Here, hostile strings go in everywhere a user can put one:
 * path parameters, customer ids, Idempotency-Keys, correlation ids, product names and factory ids,
 * callback ids and signatures, queue names. Each is rejected or stored verbatim, every table is still
 * there, and (on one engine) every statement the services send carries the strings as parameters only.
 */
export async function sqlInjectionScenario(
  engines: readonly Engine[],
  context: ChaosContext = {},
  options: { parameterization?: boolean } = {},
): Promise<ScenarioResult> {
  return runScenario('SQL injection (regression)', async (checks, describe) => {
    let statements = 0;
    if (options.parameterization ?? true) {
      const parameterized = await parameterizationCheck(context.pgliteTemplate);
      checks.check(parameterized.name, parameterized.ok, parameterized.detail);
      statements = parameterized.statements;
    }
    for (const engine of engines) {
      const system = await startChaosSystem(context, { FACTORY_STAGE_MS: '600000' }, engine);
      try {
        await blackBox(system, engine, checks);
      } finally {
        await system.destroy();
      }
    }
    describe(
      `${SQL_INJECTIONS.length} payloads × 9 entry points over HTTP on ${engines.join(' and ')}; ${statements} statements inspected`,
      'DROP TABLE, OR 1=1, UNION SELECT, stacked DELETE, pg_sleep, quote and placeholder tricks in every user-supplied string',
    );
  });
}

async function blackBox(system: TestSystem, engine: Engine, checks: Checks) {
  const tag = Date.now().toString(36);
  const sku = `SQLI-${tag}`;
  await system.api(`/products/${sku}`, {
    method: 'PUT',
    json: productBody({ stock: 10_000, reorderPoint: 0 }),
    admin: true,
  });
  const rejectedSkus: string[] = [];
  const notVerbatim: string[] = [];
  const serverErrors: string[] = [];
  let slowest = 0;
  const call = async (what: string, run: () => ReturnType<TestSystem['api']>) => {
    const started = Date.now();
    const res = await run();
    slowest = Math.max(slowest, Date.now() - started);
    if (res.status >= 500) serverErrors.push(`${what} → ${res.status}`);
    return res;
  };

  for (const [i, payload] of SQL_INJECTIONS.entries()) {
    const encoded = encodeURIComponent(payload);
    // A sku is letters, digits and . _ - only: every payload is refused before any database.
    const skuAnswers = [
      await call('GET /products/{payload}', () => system.api(`/products/${encoded}`)),
      await call('PUT /products/{payload}', () =>
        system.api(`/products/${encoded}`, { method: 'PUT', json: productBody(), admin: true }),
      ),
      await call('checkout sku', () =>
        system.api('/checkout', { json: { sku: payload, quantity: 1, customerId: 'c' } }),
      ),
    ];
    if (skuAnswers.every((r) => r.status === 400)) rejectedSkus.push(payload);

    // Free text is stored verbatim.
    const productSku = `${sku}-${i}`;
    await call('PUT product with payload name', () =>
      system.api(`/products/${productSku}`, {
        method: 'PUT',
        json: productBody({ name: payload, factoryId: payload, stock: 5, reorderPoint: 0 }),
        admin: true,
      }),
    );
    const product = await call('GET product', () => system.api(`/products/${productSku}`));
    if (product.body?.name !== payload || product.body?.factoryId !== payload)
      notVerbatim.push(`product name/factoryId ${payload}`);

    const headers = { 'Idempotency-Key': payload, 'X-Correlation-Id': payload };
    const first = await call('checkout', () =>
      system.api('/checkout', { json: { sku, quantity: 1, customerId: payload }, headers }),
    );
    const replay = await call('checkout replay', () =>
      system.api('/checkout', { json: { sku, quantity: 1, customerId: payload }, headers }),
    );
    const orderId = first.body?.order?.id as string | undefined;
    const row = orderId
      ? await system.inventory.db
          .selectFrom('orders')
          .select(['customer_id'])
          .where('id', '=', orderId)
          .executeTakeFirst()
      : undefined;
    const key = await system.inventory.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('key', '=', payload)
      .executeTakeFirst();
    if (
      first.status !== 201 ||
      replay.body?.order?.id !== orderId ||
      row?.customer_id !== payload ||
      key?.key !== payload
    ) {
      notVerbatim.push(`checkout customerId/Idempotency-Key ${payload} (${first.status})`);
    }
    const customer = await waitFor(`customer ${payload} counted`, async () => {
      const res = await call('GET /customers/{payload}', () => system.api(`/customers/${encoded}`));
      return res.status === 200 ? res : undefined;
    }).catch(() => undefined);
    if (customer?.body.id !== payload || customer.body.purchasedQuantity !== 1) notVerbatim.push(`customer ${payload}`);

    const elsewhere = [
      await call('GET /ops/dlq/{payload}', () => system.api(`/ops/dlq/${encoded}`, { admin: true })),
      await call('POST /factory/callbacks/{payload}', () =>
        system.api(`/factory/callbacks/${encoded}?signature=${encoded}`, {
          json: { MessageAttributeProductId: payload },
        }),
      ),
      await call('POST /factory/callbacks/{uuid}?signature={payload}', () =>
        system.api(`/factory/callbacks/${randomUUID()}?signature=${encoded}`, {
          json: {
            MessageGroupId: 'g',
            MessageAttributeProductId: payload,
            MessageAttributeProductCnt: 1,
            MessageAttributeFactoryId: payload,
            MessageAttributeRequester: payload,
            CallbackUrl: 'http://127.0.0.1/x',
          },
        }),
      ),
    ];
    if (!elsewhere.every((r) => r.status >= 400 && r.status < 500)) notVerbatim.push(`ops/callback ${payload}`);
  }

  const missing: string[] = [];
  for (const table of INVENTORY_TABLES) {
    const { rows } = await sql<{ t: string | null }>`select to_regclass(${`public.${table}`})::text as t`.execute(
      system.inventory.db,
    );
    if (!rows[0]?.t) missing.push(`inventory.${table}`);
  }
  for (const table of CUSTOMER_TABLES) {
    const { rows } = await sql<{ t: string | null }>`select to_regclass(${`public.${table}`})::text as t`.execute(
      system.customers.db,
    );
    if (!rows[0]?.t) missing.push(`customers.${table}`);
  }
  const seeded = await system.inventory.db
    .selectFrom('products')
    .select('sku')
    .where('sku', '=', 'CP-502101')
    .executeTakeFirst();
  const orders = await system.inventory.db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const dynamic = await dynamicSqlInFunctions(system);

  checks.equal(
    `${engine}: every payload refused as a sku (400)`,
    rejectedSkus.length,
    SQL_INJECTIONS.length,
    'payloads refused on GET/PUT /products/{sku} and in checkout',
  );
  checks.check(
    `${engine}: payloads in free text stored and read back verbatim`,
    notVerbatim.length === 0,
    notVerbatim.length
      ? `not verbatim: ${notVerbatim.join('; ')}`
      : `${SQL_INJECTIONS.length} × (product name, factoryId, customerId, Idempotency-Key replayed, GET /customers/{id}); ` +
          `queue names and callback ids answered 4xx`,
  );
  checks.check(
    `${engine}: every table still there, nothing deleted, no 5xx, no injected sleep`,
    missing.length === 0 &&
      seeded !== undefined &&
      Number(orders.n) === SQL_INJECTIONS.length &&
      serverErrors.length === 0 &&
      slowest < 2500,
    `${INVENTORY_TABLES.length + CUSTOMER_TABLES.length - missing.length}/${INVENTORY_TABLES.length + CUSTOMER_TABLES.length} tables present` +
      `${missing.length ? ` (missing ${missing.join(', ')})` : ''}; seeded product ${seeded ? 'present' : 'GONE'}; ${orders.n} orders (expected ${SQL_INJECTIONS.length}); ` +
      `${serverErrors.length} 5xx; slowest answer ${slowest} ms`,
  );
  checks.check(
    `${engine}: no database function builds SQL from strings (no EXECUTE)`,
    dynamic.length === 0,
    dynamic.length
      ? `dynamic SQL in ${dynamic.join(', ')}`
      : 'place_orders, count_purchases and every other function: static SQL only',
  );
}

/** Functions of the service schemas that run dynamic SQL (EXECUTE), which would bypass parameters. */
async function dynamicSqlInFunctions(system: TestSystem): Promise<string[]> {
  const found: string[] = [];
  for (const db of [system.inventory.db, system.customers.db, system.notifications.db] as Kysely<any>[]) {
    const { rows } = await sql<{ name: string }>`select p.proname as name from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and p.prosrc ~* '\\mexecute\\M'`.execute(db);
    found.push(...rows.map((r) => r.name));
  }
  return found;
}

/**
 * Drives the real service code (checkout, products, purchases, customers, callback intake) on a
 * PGlite database whose every compiled statement is recorded, with the payloads as input. Passes when
 * no statement's SQL text contains any payload and the payloads did reach the database as parameters.
 */
export async function parameterizationCheck(template?: string): Promise<Invariant & { statements: number }> {
  const name = 'every statement the services send is parameterized (user strings only in parameters)';
  const dir = await tempDir('donut-sqli-');
  const captured: CompiledQuery[] = [];
  const open = async <T>(sub: string, migrations: Parameters<typeof migrateToLatest>[1]) => {
    await copyEmptyPglite(path.join(dir.dir, sub), template);
    const pglite = await PGlite.create(path.join(dir.dir, sub));
    const db = new Kysely<T>({
      dialect: new PGliteDialect(pglite),
      log: (event) => {
        if (event.level === 'query') captured.push(event.query);
      },
    });
    await migrateToLatest(db as Kysely<any>, migrations);
    return db;
  };
  const inventory = await open<InventoryTables>('inventory', inventoryMigrations);
  const customers = await open<CustomersTables>('customers', customersMigrations);
  try {
    captured.length = 0;
    const logger = createLogger('silent');
    const sales = createSalesService({ db: inventory, outboxSignal: () => {}, logger, idempotencyTtlS: 86_400 }).http!;
    const customerService = createCustomersService({
      db: customers,
      logger,
      outboxSignal: () => {},
      vipThreshold: 2,
      marketingWebhookUrl: undefined,
    });
    const intake = createCallbackIntakeApp({
      db: inventory,
      logger,
      secret: 'a-secret-of-sixteen-chars',
      sendToQueue: async () => {},
      stockArrivalsQueue: 'stock-arrivals',
    });
    const json = (method: string, body: unknown, headers: Record<string, string> = {}) => ({
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const answers: number[] = [];
    for (const [i, payload] of SQL_INJECTIONS.entries()) {
      const sku = `SQLI-${i}`;
      answers.push(
        (
          await sales.request(
            `/products/${sku}`,
            json('PUT', productBody({ name: payload, factoryId: payload, stock: 3, reorderPoint: 1 })),
          )
        ).status,
      );
      for (let n = 0; n < 2; n++) {
        answers.push(
          (
            await sales.request(
              '/checkout',
              json(
                'POST',
                { sku, quantity: 1, customerId: payload },
                { 'idempotency-key': payload, 'x-correlation-id': payload },
              ),
            )
          ).status,
        );
      }
      // Too much: the out-of-stock path (and the replenishment it opens) runs too.
      answers.push((await sales.request('/checkout', json('POST', { sku, quantity: 50, customerId: payload }))).status);
      await sales.request(`/products/${sku}`);
      await sales.request('/products');
      await customerService.consumers!.recordPurchase!({
        messageId: randomUUID(),
        body: JSON.stringify({
          id: randomUUID(),
          type: 'order.placed',
          occurredAt: new Date().toISOString(),
          correlationId: payload,
          data: {
            orderId: randomUUID(),
            sku,
            quantity: 2,
            customerId: payload,
            remaining: 1,
            createdAt: new Date().toISOString(),
          },
        }),
      } as SQSRecord);
      answers.push((await customerService.http!.request(`/customers/${encodeURIComponent(payload)}`)).status);
      await intake.request(
        `/factory/callbacks/${randomUUID()}?signature=${encodeURIComponent(payload)}`,
        json('POST', {
          MessageGroupId: payload,
          MessageAttributeProductId: payload,
          MessageAttributeProductCnt: 1,
          MessageAttributeFactoryId: payload,
          MessageAttributeRequester: payload,
          CallbackUrl: 'http://127.0.0.1/cb',
        }),
      );
    }
    const inText = captured.filter((q) => q.sql.includes('zqx') || SQL_INJECTIONS.some((p) => q.sql.includes(p)));
    const asParameters = captured.filter((q) => JSON.stringify(q.parameters).includes('zqx'));
    const expectedAnswers = answers.every((s) => s === 200 || s === 201 || s === 409);
    const ok = captured.length > 0 && inText.length === 0 && asParameters.length > 0 && expectedAnswers;
    return {
      name,
      ok,
      statements: captured.length,
      detail:
        `${captured.length} statements recorded from checkout (placed, replayed, out of stock), product upsert and reads, ` +
        `purchase recording, customer lookup and callback intake: ${inText.length} with a payload in the SQL text, ` +
        `${asParameters.length} carrying payloads as parameters; answers ${[...new Set(answers)].join('/')}` +
        (inText.length ? `; e.g. ${inText[0]!.sql.slice(0, 200)}` : ''),
    };
  } finally {
    await inventory.destroy();
    await customers.destroy();
    await dir.remove();
  }
}
