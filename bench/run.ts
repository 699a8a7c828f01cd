import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type CartSaleOptions, type CartSaleResult, runCartSale } from './cart-sale.ts';
import { type FlashSaleOptions, runFlashSale, runScaling } from './flash-sale.ts';
import { type BenchEngine, engineFromArgs, startEngine } from './lib/engine.ts';
import { load } from './lib/load.ts';
import {
  type BenchResult,
  type CartBenchResult,
  cartMarkdown,
  chart,
  fmt,
  latestPage,
  markdown,
  type Target,
} from './lib/report.ts';
import { startAndStopOnce } from './lib/system-process.ts';

// `npm run bench`: the HTTP and database ceilings, the flash sale and the cart sale with their invariants
// and the scaling curve, all in one run on this machine; results to bench/results/, and a full run's to
// docs/bench-latest.md too. `--quick` for a short run; `--engine postgres` runs the system on the private
// PostgreSQL cluster the tests use (its results are written apart and leave the docs alone); `--carts`
// runs the cart sale alone (its results written apart too).
const quick = process.argv.includes('--quick');
const cartsOnly = process.argv.includes('--carts');
const engineName = engineFromArgs(process.argv);
const suffix = `${cartsOnly ? '-carts' : ''}${quick ? '-quick' : ''}${engineName === 'postgres' ? '-postgres' : ''}`;
const here = import.meta.dirname;
const step = (message: string) => process.stdout.write(`\n== ${message}\n`);

async function httpCeiling(): Promise<number> {
  const child = spawn(process.execPath, [path.join(here, 'hello-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout!.once('data', (d) => resolve(JSON.parse(String(d)).port)),
  );
  try {
    const result = await load({
      url: `http://127.0.0.1:${port}`,
      connections: 64,
      durationS: quick ? 3 : 8,
      request: { method: 'GET', path: '/' },
    });
    return result.rps;
  } finally {
    child.kill();
  }
}

function dbCeiling(): { update: number; checkout: number; checkoutBatched: number } {
  const out = execFileSync(process.execPath, [path.join(here, 'db-ceiling.ts'), quick ? '2' : '5'], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

const flashOptions: FlashSaleOptions = {
  checkouts: quick ? 2000 : 10_000,
  connections: 64,
  readConnections: 4,
  skus: 1,
  // A shop that reorders late: the crowd sells out before each refill arrives, so the
  // run goes through real stock-outs (409s) and refills, twice.
  stock: quick ? 800 : 4000,
  reorderPoint: quick ? 20 : 100,
  reorderQuantity: quick ? 800 : 4000,
  customers: 500,
  factoryStageMs: 20,
  drainTimeoutS: 120,
  warmupCheckouts: quick ? 1000 : 5000,
};

const cartOptions: CartSaleOptions = {
  carts: quick ? 2000 : 10_000,
  connections: 64,
  skus: 20,
  maxLines: 5,
  // Each sku gets about 3/20 of the lines: the skus run out and are refilled during the run, so some
  // carts are refused whole (409) while a line waits for its refill.
  stock: quick ? 200 : 1000,
  reorderPoint: quick ? 20 : 100,
  reorderQuantity: quick ? 200 : 1000,
  customers: 500,
  factoryStageMs: 20,
  drainTimeoutS: 120,
  warmupCarts: quick ? 1000 : 3000,
  seed: 22,
};

const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  memoryGb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
};
const date = new Date().toISOString();
const dir = path.join(here, 'results');

async function cartSale(engine: BenchEngine): Promise<{ result: CartSaleResult; targets: Target[] }> {
  step(
    `cart sale: ${cartOptions.carts} carts of 1 to ${cartOptions.maxLines} lines over ${cartOptions.skus} skus at ${cartOptions.connections} connections`,
  );
  const result = await runCartSale(cartOptions, engine);
  console.log(
    `${Math.round(result.checkout.rps)} carts/s answered, ${Math.round(result.confirmedPerSecond)}/s confirmed (${fmt(result.meanLines, 2)} lines each); p50 ${fmt(result.checkout.latencyMs.p50, 1)} ms, p99 ${fmt(result.checkout.latencyMs.p99, 1)} ms`,
  );
  const targets = [
    {
      name: 'confirmed cart orders/s ≥ 1,200',
      value: result.confirmedPerSecond,
      ok: result.confirmedPerSecond >= 1200,
    },
  ];
  return { result, targets };
}

function exitOnBrokenInvariants(invariants: readonly { name: string; ok: boolean; detail: string }[]): void {
  const broken = invariants.filter((i) => !i.ok);
  if (broken.length > 0) {
    console.error(`\nINVARIANTS BROKEN:\n${broken.map((i) => `  ✗ ${i.name}: ${i.detail}`).join('\n')}`);
    process.exit(1);
  }
}

if (cartsOnly) {
  step(`databases on ${engineName}`);
  const engine = await startEngine(engineName);
  process.once('exit', () => void engine.stop());
  await startAndStopOnce();
  const carts = await cartSale(engine);
  await engine.stop();
  const result: CartBenchResult = {
    date,
    quick,
    engine: engineName,
    machine,
    cartSale: carts.result,
    targets: carts.targets,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${date.slice(0, 10)}${suffix}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${cartMarkdown(result)}`);
  console.log(`results written to ${path.relative(process.cwd(), dir)}/`);
  exitOnBrokenInvariants(carts.result.invariants);
  process.exit(0);
}

step(`databases on ${engineName}`);
const engine = await startEngine(engineName);
process.once('exit', () => void engine.stop());
step("the system started and stopped once, so the measured starts load from Node's compile cache");
await startAndStopOnce();
step('HTTP ceiling: bare Hono on @hono/node-server, 64 connections');
const http = await httpCeiling();
console.log(`${Math.round(http)} requests/s`);
step('database ceilings: file-backed PGlite, in-process loop');
const db = dbCeiling();
console.log(
  `conditional UPDATE ${Math.round(db.update)}/s; checkout statements ${Math.round(db.checkout)}/s alone, ${Math.round(db.checkoutBatched)}/s 20 per transaction`,
);
step(
  `flash sale: ${flashOptions.checkouts} checkouts at ${flashOptions.connections} connections, GET /products alongside`,
);
const flash = await runFlashSale(flashOptions, engine);
console.log(
  `warm-up (a freshly started system): ${Math.round(flash.warmup.rps)} checkouts/s, p99 ${fmt(flash.warmup.latencyMs.p99, 1)} ms`,
);
console.log(
  `${Math.round(flash.checkout.rps)} checkouts/s answered, ${Math.round(flash.confirmedPerSecond)}/s confirmed; p50 ${fmt(flash.checkout.latencyMs.p50, 1)} ms, p95 ${fmt(flash.checkout.latencyMs.p95, 1)} ms, p99 ${fmt(flash.checkout.latencyMs.p99, 1)} ms`,
);
const carts = await cartSale(engine);
step('scaling curve');
const scaling = await runScaling([1, 8, 64, 256], [1, 100], quick ? 3 : 5, flashOptions.warmupCheckouts, engine);
await engine.stop();
for (const row of [...scaling.byConnections, ...scaling.bySkus]) {
  console.log(
    `${row.connections} connections, ${row.skus} sku(s): ${Math.round(row.rps)}/s, p99 ${fmt(row.p99Ms, 1)} ms`,
  );
}

const targets = [
  { name: 'confirmed checkouts/s ≥ 2,000', value: flash.confirmedPerSecond, ok: flash.confirmedPerSecond >= 2000 },
  ...(engineName === 'postgres'
    ? []
    : [
        {
          // The ceiling as the issue defines it: one checkout's statements per transaction. Group commit is the
          // system's way past it; the ratio to the batched ceiling is reported beside it, not as a target.
          name: '≥ 60 % of the checkout-transaction ceiling (one per transaction)',
          value: flash.checkout.rps / db.checkout,
          ok: flash.checkout.rps / db.checkout >= 0.6,
        },
      ]),
  {
    name: 'p99 ≤ 100 ms at 64 connections',
    value: flash.checkout.latencyMs.p99,
    ok: flash.checkout.latencyMs.p99 <= 100,
  },
  { name: 'event lag p99 ≤ 1 s', value: flash.eventLagMs.p99, ok: flash.eventLagMs.p99 <= 1000 },
  {
    name: 'stock-out → factory order ≤ 1 s',
    value: flash.stockOutToFactoryOrderMs.max,
    ok: flash.stockOutToFactoryOrderMs.max <= 1000,
  },
  { name: 'peak RSS ≤ 400 MB (during the sale)', value: flash.saleRssMb, ok: flash.saleRssMb <= 400 },
  ...carts.targets,
];

const result: BenchResult = {
  date,
  quick,
  engine: engineName,
  machine,
  ceilings: { httpRps: http, db },
  flashSale: flash,
  cartSale: carts.result,
  ratios: {
    toHttpCeiling: flash.checkout.rps / http,
    toCheckoutCeiling: flash.checkout.rps / db.checkout,
    toBatchedCheckoutCeiling: flash.checkout.rps / db.checkoutBatched,
  },
  scaling,
  targets,
};

await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, `${date.slice(0, 10)}${suffix}.json`), `${JSON.stringify(result, null, 2)}\n`);
const latest = engineName === 'postgres' ? 'latest-postgres' : 'latest';
await writeFile(path.join(dir, `${latest}.md`), markdown(result));
await writeFile(path.join(dir, `${latest}.svg`), chart(result));
console.log(`\n${markdown(result)}`);
console.log(`results written to ${path.relative(process.cwd(), dir)}/`);
if (!quick && engineName === 'pglite') {
  // The docs keep the last full run on the default engine; a quick run is too short to stand for the system.
  const docs = path.join(here, '..', 'docs');
  await writeFile(path.join(docs, 'bench-latest.md'), latestPage(result, `bench/results/${date.slice(0, 10)}.json`));
  await writeFile(path.join(docs, 'bench-latest.svg'), chart(result));
  console.log('docs/bench-latest.md updated');
}

exitOnBrokenInvariants([...flash.invariants, ...carts.result.invariants]);
