import type { CheckoutAnswer, StockSample } from './summary.ts';

/** The replay's clock: moments are seconds since `startedAt` (performance.now() milliseconds). */
export interface ReplayClock {
  readonly startedAt: number;
  /** The same moment on the wall clock (Date.now()), to place database timestamps on the replay's axis. */
  readonly startedAtEpochMs: number;
}

export function startClock(): ReplayClock {
  return { startedAt: performance.now(), startedAtEpochMs: Date.now() };
}

export const secondsSince = (clock: ReplayClock, now = performance.now()) => (now - clock.startedAt) / 1000;

export interface ReplayOptions {
  readonly url: string;
  /** Every buyer asks for one unit of each of these skus at the same moment. */
  readonly skus: readonly string[];
  /** Arrival moments, seconds since the clock started, ascending. */
  readonly arrivals: readonly number[];
  readonly clock: ReplayClock;
  /** A checkout not answered within this is counted as unanswered. */
  readonly requestTimeoutMs: number;
  /** More checkouts than this waiting for answers: the system is not keeping up, the replay stops. */
  readonly maxInFlight: number;
}

export interface ReplayResult {
  readonly answers: Record<string, CheckoutAnswer[]>;
  /** How late each arrival was sent, milliseconds, ascending: the load generator's own accuracy. */
  readonly lateMs: number[];
  /** Arrivals not sent because too many checkouts were waiting (0 in a sound run). */
  readonly unsent: number;
}

/**
 * Open-loop demand: each arrival sends its checkouts at its moment whether or not earlier ones have been
 * answered, as independent buyers would; a 409 is a buyer turned away, not retried. Bounded by the
 * arrivals given and by `maxInFlight`.
 */
export async function replayDemand(options: ReplayOptions): Promise<ReplayResult> {
  const answers: Record<string, CheckoutAnswer[]> = Object.fromEntries(options.skus.map((sku) => [sku, []]));
  const lateMs: number[] = [];
  const pending = new Set<Promise<void>>();
  let unsent = 0;
  let buyer = 0;
  const checkout = async (sku: string, t: number): Promise<void> => {
    buyer += 1;
    let answer: CheckoutAnswer;
    try {
      const res = await fetch(`${options.url}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku, quantity: 1, customerId: `buyer-${buyer % 500}` }),
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      const body = (await res.json().catch(() => ({}))) as {
        remaining?: number;
        available?: number;
        error?: { code?: string };
      };
      answer = {
        t,
        status: res.status,
        code: body.error?.code ?? null,
        stock: body.remaining ?? body.available ?? null,
      };
    } catch {
      answer = { t, status: 0, code: null, stock: null };
    }
    answers[sku]!.push(answer);
  };

  for (let i = 0; i < options.arrivals.length; ) {
    const due = options.clock.startedAt + options.arrivals[i]! * 1000;
    const wait = due - performance.now();
    if (wait > 1) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    // Every arrival already due goes now: a late timer must not thin the crowd.
    const now = performance.now();
    for (; i < options.arrivals.length && options.clock.startedAt + options.arrivals[i]! * 1000 <= now + 1; i++) {
      const t = options.arrivals[i]!;
      if (pending.size >= options.maxInFlight) {
        unsent += 1;
        continue;
      }
      lateMs.push(Math.max(0, now - (options.clock.startedAt + t * 1000)));
      for (const sku of options.skus) {
        const sent = checkout(sku, t);
        pending.add(sent);
        void sent.finally(() => pending.delete(sent));
      }
    }
  }
  await Promise.all(pending);
  for (const list of Object.values(answers)) list.sort((a, b) => a.t - b.t);
  lateMs.sort((a, b) => a - b);
  return { answers, lateMs, unsent };
}

/** What a sample of GET /products holds per product, besides its stock. */
export interface PlanSample extends StockSample {
  /** The reorder point in force (planned for an adaptive product). */
  readonly reorderPoint: number;
  readonly orderQuantity: number;
  readonly demandPerS: number;
  readonly leadTimeS: number;
}

interface ListedProduct {
  sku: string;
  stock: number;
  planning: { effectiveReorderPoint: number; orderQuantity: number; demandPerSecond: number; leadTimeS: number };
}

export interface Samples {
  readonly bySku: Record<string, PlanSample[]>;
  /** Reads not answered 200 with products (skipped; the next one followed). */
  readonly failed: number;
}

/**
 * Reads GET /products every `everyMs` until `signal` aborts: each product's stock and plan over time,
 * placed at the middle of each request. A read that fails is counted and skipped.
 */
export async function sampleProducts(
  url: string,
  skus: readonly string[],
  clock: ReplayClock,
  everyMs: number,
  signal: AbortSignal,
): Promise<Samples> {
  const samples: Record<string, PlanSample[]> = Object.fromEntries(skus.map((sku) => [sku, []]));
  let failed = 0;
  while (!signal.aborted) {
    const sent = performance.now();
    try {
      const res = await fetch(`${url}/products`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET /products answered ${res.status}`);
      const { products } = (await res.json()) as { products: ListedProduct[] };
      const t = secondsSince(clock, (sent + performance.now()) / 2);
      for (const p of products) {
        samples[p.sku]?.push({
          t,
          stock: p.stock,
          reorderPoint: p.planning.effectiveReorderPoint,
          orderQuantity: p.planning.orderQuantity,
          demandPerS: p.planning.demandPerSecond,
          leadTimeS: p.planning.leadTimeS,
        });
      }
    } catch {
      failed += 1;
    }
    const wait = sent + everyMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return { bySku: samples, failed };
}
