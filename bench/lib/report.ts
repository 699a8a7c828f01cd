import type { CartSaleResult } from '../cart-sale.ts';
import type { FlashSaleResult, Invariant } from '../flash-sale.ts';

/** One point of the scaling curve: checkouts at a number of connections over a number of skus. */
export interface ScalingRow {
  connections: number;
  skus: number;
  rps: number;
  p99Ms: number;
}

export interface Target {
  name: string;
  value: number;
  ok: boolean;
}

/** What `npm run bench` stores in bench/results/<date>.json. */
export interface BenchResult {
  date: string;
  quick: boolean;
  /** The database engine the system ran on; PGlite when absent (results before the option existed). */
  engine?: 'pglite' | 'postgres';
  machine: { cpus: number; cpu: string | undefined; memoryGb: number; node: string };
  ceilings: { httpRps: number; db: { update: number; checkout: number; checkoutBatched: number } };
  flashSale: FlashSaleResult;
  /** The cart sale; absent in results from before it was part of the run. */
  cartSale?: CartSaleResult;
  ratios: { toHttpCeiling: number; toCheckoutCeiling: number; toBatchedCheckoutCeiling: number };
  scaling: { byConnections: ScalingRow[]; bySkus: ScalingRow[] };
  targets: Target[];
}

/** What `npm run bench -- --carts` stores: the cart sale alone. */
export interface CartBenchResult {
  date: string;
  quick: boolean;
  engine: 'pglite' | 'postgres';
  machine: BenchResult['machine'];
  cartSale: CartSaleResult;
  targets: Target[];
}

/**
 * The page a full run writes to docs/bench-latest.md (its chart beside it, docs/bench-latest.svg); it
 * names the stored result it was made from, so the page can be checked against it.
 */
export function latestPage(r: BenchResult, resultFile: string): string {
  return [
    '# Benchmark: the latest full run',
    '',
    `Written by \`npm run bench\` from [${resultFile}](../${resultFile}); a full run replaces this page,`,
    'a quick run (`npm run bench:quick`) leaves it alone. How the benchmark works and what each change',
    'bought, version by version: [performance.md](performance.md).',
    '',
    '![requests per second](bench-latest.svg)',
    '',
    markdown(r),
  ].join('\n');
}

/** The results as markdown tables: measures, the scaling curve, the invariants and the targets. */
export function markdown(r: BenchResult): string {
  const f = r.flashSale;
  const lines = [
    measuredOn(r),
    '',
    '| measure | value |',
    '| --- | --- |',
    `| HTTP ceiling (bare Hono, 64 connections) | ${fmt(r.ceilings.httpRps)} req/s |`,
    `| DB ceiling (PGlite): conditional UPDATE alone | ${fmt(r.ceilings.db.update)} /s |`,
    `| DB ceiling (PGlite): checkout statements, one per transaction | ${fmt(r.ceilings.db.checkout)} /s |`,
    `| DB ceiling (PGlite): checkout statements, 20 per transaction | ${fmt(r.ceilings.db.checkoutBatched)} /s |`,
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
    `| CPU of the system by thread (s) | ${byThread(f.cpu.byThreadMs)} |`,
    `| peak RSS during the sale / since start (creating the databases included) | ${fmt(f.saleRssMb)} / ${fmt(f.peakRssMb)} MB |`,
    '',
    '| connections | skus | checkouts/s | p99 ms |',
    '| --- | --- | --- | --- |',
    ...[...r.scaling.byConnections, ...r.scaling.bySkus].map(
      (s) => `| ${s.connections} | ${s.skus} | ${fmt(s.rps)} | ${fmt(s.p99Ms, 1)} |`,
    ),
    '',
    ...invariantTable(f.invariants),
    ...(r.cartSale ? cartSection(r.cartSale) : []),
    ...targetTable(r.targets),
  ];
  return lines.join('\n');
}

/** The cart sale alone (`npm run bench -- --carts`): its measures, invariants and targets. */
export function cartMarkdown(r: CartBenchResult): string {
  return [measuredOn(r), '', ...cartSection(r.cartSale), ...targetTable(r.targets)].join('\n');
}

function measuredOn(r: Pick<BenchResult, 'date' | 'machine' | 'engine' | 'quick'>): string {
  return `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cpus} × ${r.machine.cpu ?? 'cpu'}, Node ${r.machine.node}, databases on ${r.engine === 'postgres' ? 'PostgreSQL' : 'PGlite'}${r.quick ? ' (quick run)' : ''}.`;
}

/** The cart sale's measures and its invariants, under a heading of its own. */
function cartSection(c: CartSaleResult): string[] {
  const o = c.options;
  return [
    `### Cart sale: ${fmt(o.carts)} carts of 1 to ${o.maxLines} lines over ${o.skus} skus, ${o.connections} connections`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| warm-up first (carts over products of their own) | ${fmt(c.warmup.requests)} carts at ${fmt(c.warmup.rps)} /s, p99 ${fmt(c.warmup.latencyMs.p99, 1)} ms |`,
    `| carts answered | ${fmt(c.checkout.requests)} in ${fmt(c.checkout.seconds, 1)} s = **${fmt(c.checkout.rps)} /s** |`,
    `| confirmed orders (201) | ${fmt(c.confirmed)} = **${fmt(c.confirmedPerSecond)} /s**, ${fmt(c.meanLines, 2)} lines each = ${fmt(c.linesPerSecond)} lines/s${c.confirmed < c.checkout.requests ? ` (the other ${fmt(c.checkout.requests - c.confirmed)}: 409, a line did not fit)` : ''} |`,
    `| latency p50 / p95 / p99 | ${fmt(c.checkout.latencyMs.p50, 1)} / ${fmt(c.checkout.latencyMs.p95, 1)} / ${fmt(c.checkout.latencyMs.p99, 1)} ms |`,
    `| event lag (order placed → counted by customers) p50 / p99 | ${fmt(c.eventLagMs.p50)} / ${fmt(c.eventLagMs.p99)} ms |`,
    `| stock-out → factory order p50 / max | ${fmt(c.stockOutToFactoryOrderMs.p50)} / ${fmt(c.stockOutToFactoryOrderMs.max)} ms (${c.stockOutToFactoryOrderMs.count} orders) |`,
    `| replenishments during the sale | ${c.replenishments} |`,
    `| CPU, the sale and the queues draining: the system per confirmed order / the load generator | ${fmt(c.cpu.perConfirmedMs, 3)} ms / ${fmt(c.cpu.loadGeneratorMs / 1000, 1)} s |`,
    `| CPU of the system by thread (s) | ${byThread(c.cpu.byThreadMs)} |`,
    `| peak RSS during the sale | ${fmt(c.saleRssMb)} MB |`,
    '',
    ...invariantTable(c.invariants),
  ];
}

function byThread(byThreadMs: Record<string, number>): string {
  return Object.entries(byThreadMs)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${fmt(ms / 1000, 1)}`)
    .join(', ');
}

function invariantTable(invariants: readonly Invariant[]): string[] {
  return [
    '| invariant | held | detail |',
    '| --- | --- | --- |',
    ...invariants.map((i) => `| ${i.name} | ${i.ok ? 'yes' : '**NO**'} | ${i.detail} |`),
    '',
  ];
}

function targetTable(targets: readonly Target[]): string[] {
  return [
    '| target | measured | met |',
    '| --- | --- | --- |',
    ...targets.map((t) => `| ${t.name} | ${fmt(t.value, t.value < 10 ? 2 : 0)} | ${t.ok ? 'yes' : 'no'} |`),
    '',
  ];
}

/** Requests per second of the ceilings, the sale and the scaling curve, as horizontal bars. */
export function chart(r: BenchResult): string {
  const bars = [
    { label: 'HTTP ceiling', value: r.ceilings.httpRps, color: '#9aa5b1' },
    { label: 'DB ceiling, batched', value: r.ceilings.db.checkoutBatched, color: '#9aa5b1' },
    { label: 'DB ceiling, 1 per tx', value: r.ceilings.db.checkout, color: '#9aa5b1' },
    { label: 'flash sale (64 conn)', value: r.flashSale.checkout.rps, color: '#d9480f' },
    ...(r.cartSale
      ? [
          {
            label: `cart sale, ${r.cartSale.options.connections} conn`,
            value: r.cartSale.checkout.rps,
            color: '#d9480f',
          },
        ]
      : []),
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

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
