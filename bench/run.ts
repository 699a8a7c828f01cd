import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { replaceSection } from '../scripts/readme-section.ts';
import { type FlashSaleOptions, runFlashSale, runScaling } from './flash-sale.ts';
import { load } from './lib/load.ts';
import { startAndStopOnce } from './lib/system-process.ts';

// `npm run bench`: the HTTP and database ceilings, the flash sale with its invariants and the scaling
// curve, all in one run on this machine; results to bench/results/. `--quick` for a short run.
const quick = process.argv.includes('--quick');
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
  // A shop that reorders late (at 2.5 % left): the crowd sells out before each refill arrives, so the
  // run goes through real stock-outs (409s) and refills, twice.
  stock: quick ? 800 : 4000,
  reorderPoint: quick ? 20 : 100,
  reorderQuantity: quick ? 800 : 4000,
  customers: 500,
  factoryStageMs: 20,
  drainTimeoutS: 120,
  warmupCheckouts: quick ? 1000 : 5000,
};

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
const flash = await runFlashSale(flashOptions);
console.log(
  `warm-up (a freshly started system): ${Math.round(flash.warmup.rps)} checkouts/s, p99 ${fmt(flash.warmup.latencyMs.p99, 1)} ms`,
);
console.log(
  `${Math.round(flash.checkout.rps)} checkouts/s answered, ${Math.round(flash.confirmedPerSecond)}/s confirmed; p50 ${fmt(flash.checkout.latencyMs.p50, 1)} ms, p95 ${fmt(flash.checkout.latencyMs.p95, 1)} ms, p99 ${fmt(flash.checkout.latencyMs.p99, 1)} ms`,
);
step('scaling curve');
const scaling = await runScaling([1, 8, 64, 256], [1, 100], quick ? 3 : 5, flashOptions.warmupCheckouts);
for (const row of [...scaling.byConnections, ...scaling.bySkus]) {
  console.log(
    `${row.connections} connections, ${row.skus} sku(s): ${Math.round(row.rps)}/s, p99 ${fmt(row.p99Ms, 1)} ms`,
  );
}

const targets = [
  { name: 'confirmed checkouts/s ≥ 2,000', value: flash.confirmedPerSecond, ok: flash.confirmedPerSecond >= 2000 },
  {
    // The ceiling as the issue defines it: one checkout's statements per transaction. Group commit is the
    // system's way past it; the ratio to the batched ceiling is reported beside it, not as a target.
    name: '≥ 60 % of the checkout-transaction ceiling (one per transaction)',
    value: flash.checkout.rps / db.checkout,
    ok: flash.checkout.rps / db.checkout >= 0.6,
  },
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
];

const date = new Date().toISOString();
const result = {
  date,
  quick,
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
  ceilings: { httpRps: http, db },
  flashSale: flash,
  ratios: {
    toHttpCeiling: flash.checkout.rps / http,
    toCheckoutCeiling: flash.checkout.rps / db.checkout,
    toBatchedCheckoutCeiling: flash.checkout.rps / db.checkoutBatched,
  },
  scaling,
  targets,
};

const dir = path.join(here, 'results');
await mkdir(dir, { recursive: true });
await writeFile(
  path.join(dir, `${date.slice(0, 10)}${quick ? '-quick' : ''}.json`),
  `${JSON.stringify(result, null, 2)}\n`,
);
await writeFile(path.join(dir, 'latest.md'), markdown(result));
await writeFile(path.join(dir, 'latest.svg'), chart(result));
console.log(`\n${markdown(result)}`);
console.log(`results written to ${path.relative(process.cwd(), dir)}/`);
if (!quick) {
  await replaceSection(path.join(here, '..', 'README.md'), 'bench', markdown(result));
  console.log('README benchmark section updated');
}

const broken = flash.invariants.filter((i) => !i.ok);
if (broken.length > 0) {
  console.error(`\nINVARIANTS BROKEN:\n${broken.map((i) => `  ✗ ${i.name}: ${i.detail}`).join('\n')}`);
  process.exit(1);
}

function fmt(n: number, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function markdown(r: typeof result): string {
  const f = r.flashSale;
  const lines = [
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cpus} × ${r.machine.cpu ?? 'cpu'}, Node ${r.machine.node}${r.quick ? ' (quick run)' : ''}.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| HTTP ceiling (bare Hono, 64 connections) | ${fmt(r.ceilings.httpRps)} req/s |`,
    `| DB ceiling: conditional UPDATE alone | ${fmt(r.ceilings.db.update)} /s |`,
    `| DB ceiling: checkout statements, one per transaction | ${fmt(r.ceilings.db.checkout)} /s |`,
    `| DB ceiling: checkout statements, 20 per transaction | ${fmt(r.ceilings.db.checkoutBatched)} /s |`,
    `| warm-up first (a freshly started system, still compiling its hot paths) | ${fmt(f.warmup.requests)} checkouts at ${fmt(f.warmup.rps)} /s, p99 ${fmt(f.warmup.latencyMs.p99, 1)} ms |`,
    `| flash sale: checkouts answered | ${fmt(f.checkout.requests)} in ${fmt(f.checkout.seconds, 1)} s = **${fmt(f.checkout.rps)} /s** |`,
    `| flash sale: confirmed (201) | ${fmt(f.confirmed)} = **${fmt(f.confirmedPerSecond)} /s**${f.confirmed < f.checkout.requests ? ` (the other ${fmt(f.checkout.requests - f.confirmed)}: 409 while sold out)` : ''} |`,
    `| latency p50 / p95 / p99 | ${fmt(f.checkout.latencyMs.p50, 1)} / ${fmt(f.checkout.latencyMs.p95, 1)} / ${fmt(f.checkout.latencyMs.p99, 1)} ms |`,
    `| GET /products alongside | ${fmt(f.reads.rps)} /s, p99 ${fmt(f.reads.latencyMs.p99, 1)} ms |`,
    `| ratio to HTTP ceiling / checkout ceiling, one / 20 per transaction | ${fmt(r.ratios.toHttpCeiling * 100)} % / ${fmt(r.ratios.toCheckoutCeiling * 100)} % / ${fmt(r.ratios.toBatchedCheckoutCeiling * 100)} % |`,
    `| event lag (order placed → counted by customers) p50 / p99 | ${fmt(f.eventLagMs.p50)} / ${fmt(f.eventLagMs.p99)} ms |`,
    `| stock-out → factory order p50 / max | ${fmt(f.stockOutToFactoryOrderMs.p50)} / ${fmt(f.stockOutToFactoryOrderMs.max)} ms (${f.stockOutToFactoryOrderMs.count} orders) |`,
    `| replenishment requested → its stock added (factory order, production, callback, restock) p50 / max | ${fmt(f.refillMs.p50)} / ${fmt(f.refillMs.max)} ms |`,
    `| replenishments during the sale | ${f.replenishments} |`,
    `| CPU, the sale and the queues draining: the system per confirmed checkout / the load generator | ${fmt(f.cpu.perConfirmedMs, 3)} ms / ${fmt(f.cpu.loadGeneratorMs / 1000, 1)} s |`,
    `| CPU of the system by thread (s) | ${Object.entries(f.cpu.byThreadMs)
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => `${name} ${fmt(ms / 1000, 1)}`)
      .join(', ')} |`,
    `| peak RSS during the sale / since start (creating the databases included) | ${fmt(f.saleRssMb)} / ${fmt(f.peakRssMb)} MB |`,
    '',
    '| connections | skus | checkouts/s | p99 ms |',
    '| --- | --- | --- | --- |',
    ...[...r.scaling.byConnections, ...r.scaling.bySkus].map(
      (s) => `| ${s.connections} | ${s.skus} | ${fmt(s.rps)} | ${fmt(s.p99Ms, 1)} |`,
    ),
    '',
    '| invariant | held | detail |',
    '| --- | --- | --- |',
    ...f.invariants.map((i) => `| ${i.name} | ${i.ok ? 'yes' : '**NO**'} | ${i.detail} |`),
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
    ...r.targets.map((t) => `| ${t.name} | ${fmt(t.value, t.value < 10 ? 2 : 0)} | ${t.ok ? 'yes' : 'no'} |`),
    '',
  ];
  return lines.join('\n');
}

function chart(r: typeof result): string {
  const bars = [
    { label: 'HTTP ceiling', value: r.ceilings.httpRps, color: '#9aa5b1' },
    { label: 'DB ceiling, batched', value: r.ceilings.db.checkoutBatched, color: '#9aa5b1' },
    { label: 'DB ceiling, 1 per tx', value: r.ceilings.db.checkout, color: '#9aa5b1' },
    { label: 'flash sale (64 conn)', value: r.flashSale.checkout.rps, color: '#d9480f' },
    ...r.scaling.byConnections.map((s) => ({ label: `${s.connections} conn, 1 sku`, value: s.rps, color: '#1c7ed6' })),
    ...r.scaling.bySkus.map((s) => ({ label: `64 conn, ${s.skus} skus`, value: s.rps, color: '#2f9e44' })),
  ];
  const width = 720;
  const rowH = 26;
  const left = 170;
  const max = Math.max(...bars.map((b) => b.value));
  const height = bars.length * rowH + 50;
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * rowH;
      const w = Math.max(1, ((width - left - 90) * b.value) / max);
      return `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${b.label}</text><rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.color}"/><text x="${(left + w + 6).toFixed(1)}" y="${y + 15}">${fmt(b.value)}/s</text>`;
    })
    .join('\n  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
  <title>Donut-States benchmark ${r.date.slice(0, 10)}: requests per second</title>
  <text x="10" y="18" font-weight="bold">Requests per second (${r.date.slice(0, 10)}, ${r.machine.cpus} cores${r.quick ? ', quick run' : ''})</text>
  ${rows}
</svg>
`;
}
