import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { inventoryMigrations } from '../../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../../src/databases/inventory/tables.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';
import { createProduct } from '../admin-api.ts';
import { type BenchEngine, databaseUrl, pgliteEngine } from '../engine.ts';
import { percentile } from '../load.ts';
import { startSystemProcess } from '../system-process.ts';
import { arrivals, type CurvePhases, curvePhases, type DemandCurve } from './demand-curve.ts';
import { type PlanSample, type ReplayClock, replayDemand, type Samples, sampleProducts, startClock } from './replay.ts';
import {
  type CheckoutAnswer,
  type FactoryOrder,
  type PolicySummary,
  type SimulationTarget,
  simulationTargets,
  summarizePolicy,
} from './summary.ts';

/** Everything one replay depends on; the same scenario and seed replay the same buyers. */
export interface SimulationScenario {
  readonly name: string;
  readonly seed: number;
  readonly curve: DemandCurve;
  /** Both products start with this stock and these operator values. */
  readonly stock: number;
  readonly reorderPoint: number;
  readonly reorderQuantity: number;
  /** What the adaptive product's operator adds (PUT /products/{sku}); the system's defaults where absent. */
  readonly adaptive: {
    readonly serviceLevel?: number;
    readonly orderMultiple?: number;
    readonly maxOrderQuantity?: number;
  };
  /** The built-in factory's time per stage: its lead time is four of them plus the system's own hops. */
  readonly factoryStageMs: number;
  /** The system's planning settings (PLANNING_* variables, docs/planning.md). */
  readonly planning: { readonly defaultLeadTimeS: number; readonly demandHalfLifeS: number; readonly coverS: number };
  /** Stock must have settled this long after demand is steady again. */
  readonly settleS: number;
  readonly sampleEveryMs: number;
  readonly maxArrivals: number;
}

export type Policy = 'fixed' | 'adaptive';
export const POLICIES: readonly Policy[] = ['fixed', 'adaptive'];
export const SKUS: Record<Policy, string> = { fixed: 'SIM-FIXED', adaptive: 'SIM-ADAPTIVE' };

export interface Invariant {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** A series of [seconds since the replay began, value] pairs. */
export type Series = [number, number][];

export interface SimulationResult {
  readonly date: string;
  readonly scenario: SimulationScenario;
  readonly machine: { readonly cpus: number; readonly cpu: string | undefined; readonly node: string };
  readonly phases: CurvePhases;
  /** The whole simulation, starting the system to checking its databases. */
  readonly wallS: number;
  /** Buyers; each asked for one unit of each product. */
  readonly buyers: number;
  /** How late the load generator sent arrivals, milliseconds. */
  readonly lateMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** The order the adaptive product planned at steady demand, just before the surge. */
  readonly steadyOrderQuantity: number;
  /** The factory's lead time as its deliveries in this run measured it: median seconds, from how many. */
  readonly leadTime: { readonly medianS: number | null; readonly deliveries: number };
  readonly policies: Record<Policy, PolicySummary>;
  readonly orders: Record<Policy, FactoryOrder[]>;
  readonly series: {
    readonly stock: Record<Policy, Series>;
    /** The adaptive product's reorder point in force. */
    readonly adaptiveReorderPoint: Series;
    /** Demand as the system measured it for the adaptive product, units per second. */
    readonly adaptiveMeasuredDemand: Series;
  };
  readonly targets: SimulationTarget[];
  readonly invariants: Invariant[];
}

/**
 * Runs the real system (its launcher, its own DATA_DIR, the built-in factory simulator at `factoryStageMs`
 * per stage, loopback only) with two products that start alike, one with the fixed policy and one with
 * the adaptive one, and replays one seeded demand curve against both at once: every buyer asks for one
 * unit of each, so both policies face the same buyers at the same moments and the same factory. Stock
 * is read from GET /products meanwhile; afterwards, with the system stopped, its inventory database is
 * checked against what the buyers were told.
 */
export async function runSimulation(
  scenario: SimulationScenario,
  engine: BenchEngine = pgliteEngine,
): Promise<SimulationResult> {
  const began = performance.now();
  const phases = curvePhases(scenario.curve);
  const times = arrivals(scenario.curve, scenario.seed, scenario.maxArrivals);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-simulate-'));
  try {
    const databases = await engine.databases(dataDir);
    const system = await startSystemProcess(
      {
        ...databases,
        DATA_DIR: dataDir,
        FACTORY_STAGE_MS: String(scenario.factoryStageMs),
        PLANNING_DEFAULT_LEAD_TIME_S: String(scenario.planning.defaultLeadTimeS),
        PLANNING_DEMAND_HALF_LIFE_S: String(scenario.planning.demandHalfLifeS),
        PLANNING_COVER_S: String(scenario.planning.coverS),
        QUEUE_VISIBILITY_TIMEOUT_S: '5',
        // A factory call must fit in that visibility timeout (checked at start); the simulator answers at once.
        FACTORY_TIMEOUT_MS: '3000',
      },
      180,
    );
    let replay: Awaited<ReturnType<typeof replayDemand>>;
    let sampled: Samples;
    let clock: ReplayClock;
    try {
      for (const policy of POLICIES) {
        await createProduct(system.url, SKUS[policy], {
          name: `Simulated ${policy}`,
          price: 2.5,
          stock: scenario.stock,
          reorderPoint: scenario.reorderPoint,
          reorderQuantity: scenario.reorderQuantity,
          factoryId: 'factory-1',
          reorderPolicy: policy,
          ...(policy === 'adaptive' ? scenario.adaptive : {}),
        });
      }
      // Both products start alike at the same moment: the replay's clock starts now.
      clock = startClock();
      const sampling = new AbortController();
      const reading = sampleProducts(system.url, Object.values(SKUS), clock, scenario.sampleEveryMs, sampling.signal);
      replay = await replayDemand({
        url: system.url,
        skus: POLICIES.map((p) => SKUS[p]),
        arrivals: times,
        clock,
        requestTimeoutMs: 10_000,
        maxInFlight: 2000,
      });
      sampling.abort();
      sampled = await reading;
    } finally {
      await system.stop();
    }
    const recorded = await readInventory(dataDir, databases, clock.startedAtEpochMs);
    const samples = sampled.bySku;
    const window = { fromS: 0, toS: phases.endS, settledFromS: phases.steadyAgainS + scenario.settleS };
    const policies = Object.fromEntries(
      POLICIES.map((p) => [
        p,
        summarizePolicy(replay.answers[SKUS[p]]!, samples[SKUS[p]]!, recorded.orders[p], window),
      ]),
    ) as Record<Policy, PolicySummary>;
    const beforeSurge = samples[SKUS.adaptive]!.filter((s) => s.t < phases.surgeStartS).at(-1);
    const steadyOrderQuantity = beforeSurge?.orderQuantity ?? scenario.reorderQuantity;
    const compact = (list: readonly PlanSample[], value: (s: PlanSample) => number): Series =>
      list.map((s) => [Math.round(s.t * 100) / 100, value(s)]);
    return {
      date: new Date().toISOString(),
      scenario,
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
      phases,
      wallS: (performance.now() - began) / 1000,
      buyers: times.length,
      lateMs: {
        p50: percentile(replay.lateMs, 50),
        p99: percentile(replay.lateMs, 99),
        max: replay.lateMs.at(-1) ?? 0,
      },
      steadyOrderQuantity,
      leadTime: recorded.leadTime,
      policies,
      orders: recorded.orders,
      series: {
        stock: {
          fixed: compact(samples[SKUS.fixed]!, (s) => s.stock),
          adaptive: compact(samples[SKUS.adaptive]!, (s) => s.stock),
        },
        adaptiveReorderPoint: compact(samples[SKUS.adaptive]!, (s) => s.reorderPoint),
        adaptiveMeasuredDemand: compact(samples[SKUS.adaptive]!, (s) => Math.round(s.demandPerS * 100) / 100),
      },
      targets: simulationTargets(policies.fixed, policies.adaptive, steadyOrderQuantity),
      invariants: [
        ...checkInvariants(scenario, times.length, replay, samples, recorded),
        {
          name: 'every stock reading (GET /products) answered 200',
          ok: sampled.failed === 0,
          detail: `${samples[SKUS.fixed]!.length} answered, ${sampled.failed} failed`,
        },
      ],
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface Recorded {
  readonly orders: Record<Policy, FactoryOrder[]>;
  readonly leadTime: { medianS: number | null; deliveries: number };
  /** Per sku: final stock, units sold (order rows and their quantities), units delivered. */
  readonly books: Record<Policy, { stock: number; orderRows: number; sold: number; delivered: number }>;
  /** Per sku: two replenishments open at once (0 when the rule held). */
  readonly overlaps: Record<Policy, number>;
}

/** The inventory database of the stopped system: orders, replenishments and final stock of both products. */
async function readInventory(
  dataDir: string,
  databases: Record<string, string>,
  startedAtEpochMs: number,
): Promise<Recorded> {
  const inventory = await openDatabase<InventoryTables>({
    dataDir: path.join(dataDir, 'inventory'),
    url: databaseUrl(databases, 'inventory'),
    migrations: inventoryMigrations,
    thread: false,
  });
  const seconds = (at: Date | string) => (new Date(at).getTime() - startedAtEpochMs) / 1000;
  try {
    const orders = {} as Record<Policy, FactoryOrder[]>;
    const books = {} as Recorded['books'];
    const overlaps = {} as Recorded['overlaps'];
    const leadTimes: number[] = [];
    for (const policy of POLICIES) {
      const sku = SKUS[policy];
      const product = await inventory.db
        .selectFrom('products')
        .select('stock')
        .where('sku', '=', sku)
        .executeTakeFirstOrThrow();
      const sold = await inventory.db
        .selectFrom('order_items')
        .select((eb) => [
          eb.fn.countAll<number>().as('rows'),
          eb.fn.coalesce(eb.fn.sum<number>('quantity'), eb.lit(0)).as('units'),
        ])
        .where('sku', '=', sku)
        .executeTakeFirstOrThrow();
      const replenishments = await inventory.db
        .selectFrom('replenishments')
        .selectAll()
        .where('sku', '=', sku)
        .orderBy('requested_at')
        .execute();
      orders[policy] = replenishments.map((r) => ({
        requestedS: seconds(r.requested_at),
        completedS: r.completed_at ? seconds(r.completed_at) : null,
        quantity: r.quantity,
        status: r.status,
      }));
      books[policy] = {
        stock: product.stock,
        orderRows: Number(sold.rows),
        sold: Number(sold.units),
        delivered: replenishments
          .filter((r) => r.status === 'completed')
          .reduce((sum, r) => sum + (r.produced_quantity ?? 0), 0),
      };
      let overlapping = 0;
      for (let i = 1; i < replenishments.length; i++) {
        const previous = replenishments[i - 1]!;
        const closedAt = previous.completed_at;
        if (!closedAt || new Date(replenishments[i]!.requested_at) < new Date(closedAt)) overlapping += 1;
      }
      overlaps[policy] = overlapping;
      for (const r of replenishments) if (r.lead_time_s !== null) leadTimes.push(r.lead_time_s);
    }
    leadTimes.sort((a, b) => a - b);
    return {
      orders,
      books,
      overlaps,
      leadTime: { medianS: leadTimes.length > 0 ? percentile(leadTimes, 50) : null, deliveries: leadTimes.length },
    };
  } finally {
    await inventory.close();
  }
}

function checkInvariants(
  scenario: SimulationScenario,
  buyers: number,
  replay: Awaited<ReturnType<typeof replayDemand>>,
  samples: Record<string, PlanSample[]>,
  recorded: Recorded,
): Invariant[] {
  return POLICIES.flatMap((policy) => {
    const sku = SKUS[policy];
    const answers: CheckoutAnswer[] = replay.answers[sku]!;
    const books = recorded.books[policy];
    const confirmed = answers.filter((a) => a.status === 201).length;
    const unexpected = answers.filter((a) => !(a.status === 201 || (a.status === 409 && a.code === 'out_of_stock')));
    const seen = [
      ...samples[sku]!.map((s) => s.stock),
      ...answers.flatMap((a) => (a.stock === null ? [] : [a.stock])),
      books.stock,
    ];
    const lowest = Math.min(...seen);
    return [
      {
        name: `${policy}: every checkout sent and answered 201 or 409 out_of_stock`,
        ok: replay.unsent === 0 && answers.length === buyers && unexpected.length === 0,
        detail: `${answers.length} of ${buyers} sent, ${replay.unsent} unsent, ${unexpected.length} other answers${unexpected.length > 0 ? ` (${[...new Set(unexpected.map((a) => a.status))].join(', ')})` : ''}`,
      },
      {
        name: `${policy}: every 201 is an order`,
        ok: confirmed === books.orderRows && books.sold === confirmed,
        detail: `${confirmed} confirmed, ${books.orderRows} orders of ${books.sold} units`,
      },
      {
        name: `${policy}: stock = start + delivered − sold`,
        ok: books.stock === scenario.stock + books.delivered - books.sold,
        detail: `${books.stock} = ${scenario.stock} + ${books.delivered} − ${books.sold}`,
      },
      {
        name: `${policy}: stock never negative`,
        ok: lowest >= 0,
        detail: `lowest of ${seen.length} readings: ${lowest}`,
      },
      {
        name: `${policy}: one open replenishment at a time`,
        ok: recorded.overlaps[policy] === 0,
        detail: `${recorded.orders[policy].length} replenishments, ${recorded.overlaps[policy]} opened while another was open`,
      },
    ];
  });
}
