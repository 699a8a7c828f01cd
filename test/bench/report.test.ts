import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CartSaleResult } from '../../bench/cart-sale.ts';
import { smallCartSale } from '../../bench/cart-sale.ts';
import {
  type BenchResult,
  type CartBenchResult,
  cartMarkdown,
  chart,
  latestPage,
  markdown,
} from '../../bench/lib/report.ts';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFile(path.join(root, file), 'utf8');

async function pageAndResult() {
  const page = await read('docs/bench-latest.md');
  const resultFile = /from \[(bench\/results\/[^\]]+\.json)\]/.exec(page)?.[1];
  expect(resultFile, 'docs/bench-latest.md names the stored result it was made from').toBeDefined();
  const result = JSON.parse(await read(resultFile!)) as BenchResult;
  return { page, resultFile: resultFile!, result };
}

describe('benchmark report', () => {
  it('docs/bench-latest.md and its chart are what the renderer makes of the full run they name', async () => {
    const { page, resultFile, result } = await pageAndResult();
    expect(result.quick).toBe(false);
    expect(page).toBe(latestPage(result, resultFile));
    expect(await read('docs/bench-latest.svg')).toBe(chart(result));
  });

  it('shows a broken invariant and a missed target, never hides them', async () => {
    const { result } = await pageAndResult();
    const broken: BenchResult = structuredClone(result);
    broken.flashSale.invariants[0]!.ok = false;
    broken.targets[0]!.ok = false;
    const text = markdown(broken);
    expect(text).toContain(`| ${broken.flashSale.invariants[0]!.name} | **NO** |`);
    expect(text).toMatch(new RegExp(`\\| ${broken.targets[0]!.name} \\| [^|]+ \\| no \\|`));
    expect(markdown(result)).not.toContain('**NO**');
  });

  it('shows the cart sale when the run has one, its invariants and target with the others', async () => {
    const { result } = await pageAndResult();
    const withCarts: BenchResult = { ...structuredClone(result), cartSale: cartSale() };
    withCarts.targets.push({ name: 'confirmed cart orders/s ≥ 1,200', value: 1234.5, ok: true });
    const text = markdown(withCarts);
    expect(text).toContain('### Cart sale: 300 carts of 1 to 5 lines over 20 skus, 16 connections');
    expect(text).toContain('| confirmed orders (201) | 250 = **1,250 /s**, 3.00 lines each = 3,750 lines/s');
    expect(text).toContain('| every confirmed (201) cart is an order | **NO** | 250 confirmed, 249 orders |');
    expect(text).toMatch(/\| confirmed cart orders\/s ≥ 1,200 \| 1,235 \| yes \|/);
    expect(chart(withCarts)).toContain('cart sale, 16 conn');
    // Without a cart sale (every stored result before it) nothing of it appears.
    const withoutCarts: BenchResult = structuredClone(result);
    delete withoutCarts.cartSale;
    expect(markdown(withoutCarts)).not.toContain('Cart sale');
    expect(chart(withoutCarts)).not.toContain('cart sale');
  });

  it('renders a run of the cart sale alone', () => {
    const alone: CartBenchResult = {
      date: '2026-12-06T10:00:00.000Z',
      quick: true,
      engine: 'postgres',
      machine: { cpus: 2, cpu: 'cpu', memoryGb: 8, node: 'v26' },
      cartSale: cartSale(),
      targets: [{ name: 'confirmed cart orders/s ≥ 1,200', value: 1250, ok: true }],
    };
    const text = cartMarkdown(alone);
    expect(text).toMatch(
      /^Measured 2026-12-06 10:00 UTC on 2 × cpu, Node v26, databases on PostgreSQL \(quick run\)\./,
    );
    expect(text).toContain('### Cart sale');
    expect(text).toContain('| confirmed cart orders/s ≥ 1,200 | 1,250 | yes |');
  });
});

/** A cart sale's result with round numbers, one invariant broken. */
function cartSale(): CartSaleResult {
  const latency = { p50: 10, p95: 20, p99: 30, max: 40 };
  const run = {
    requests: 300,
    seconds: 0.2,
    rps: 1500,
    statuses: { 201: 250, 409: 50 },
    errors: 0,
    latencyMs: latency,
  };
  return {
    options: smallCartSale,
    warmup: { ...run, requests: 100, statuses: { 201: 100 } },
    checkout: run,
    confirmed: 250,
    confirmedPerSecond: 1250,
    linesPerSecond: 3750,
    meanLines: 3,
    eventLagMs: { p50: 100, p99: 200, max: 300 },
    stockOutToFactoryOrderMs: { p50: 50, max: 90, count: 20 },
    refillMs: { p50: 200, max: 300 },
    replenishments: 20,
    cpu: {
      systemMs: 1000,
      perConfirmedMs: 4,
      loadGeneratorMs: 500,
      byThreadMs: { database: 600, 'node-MainThread': 400 },
    },
    saleRssMb: 300,
    peakRssMb: 310,
    invariants: [
      { name: 'every confirmed (201) cart is an order', ok: false, detail: '250 confirmed, 249 orders' },
      { name: 'stock never negative', ok: true, detail: 'lowest final stock 0' },
    ],
  };
}
