import { describe, expect, it } from 'vitest';
import { envelope, tickStep } from '../../bench/lib/simulation/chart.ts';
import { resultJson } from '../../bench/lib/simulation/result-file.ts';
import {
  type CheckoutAnswer,
  type PolicySummary,
  refusalReduction,
  type StockSample,
  simulationTargets,
  stepStats,
  summarizePolicy,
} from '../../bench/lib/simulation/summary.ts';

const samples: StockSample[] = [
  { t: 0, stock: 10 },
  { t: 2, stock: 0 },
  { t: 5, stock: 30 },
  { t: 6, stock: 20 },
];

describe('stock read as a step function', () => {
  it('measures time at zero, the time-weighted mean and the largest value over a window', () => {
    // 10 for 2 s, 0 for 3 s, 30 for 1 s, 20 for 4 s.
    expect(stepStats(samples, 0, 10)).toEqual({ secondsAtZero: 3, mean: (20 + 0 + 30 + 80) / 10, max: 30 });
  });

  it('lets a value read before the window hold into it, and ignores what comes after', () => {
    // 0 from 3 to 5, 30 from 5 to 6.
    expect(stepStats(samples, 3, 6)).toEqual({ secondsAtZero: 2, mean: 10, max: 30 });
    expect(stepStats(samples, 7, 9)).toEqual({ secondsAtZero: 0, mean: 20, max: 20 });
  });

  it('counts nothing before the first reading', () => {
    expect(stepStats([{ t: 4, stock: 0 }], 0, 6)).toEqual({ secondsAtZero: 2, mean: 0, max: 0 });
    expect(stepStats([], 0, 6)).toEqual({ secondsAtZero: 0, mean: 0, max: 0 });
  });
});

describe('a policy summary', () => {
  const answer = (t: number, status: number, code: string | null = null): CheckoutAnswer => ({
    t,
    status,
    code,
    stock: null,
  });

  it('counts sales, refusals as lost sales, and the orders placed within the window', () => {
    const summary = summarizePolicy(
      [answer(0.5, 201), answer(1, 201), answer(2.5, 409, 'out_of_stock'), answer(3, 409, 'out_of_stock')],
      samples,
      [
        { requestedS: 1.9, completedS: 4.9, quantity: 100, status: 'completed' },
        { requestedS: 12, completedS: null, quantity: 300, status: 'ordered' },
      ],
      { fromS: 0, toS: 10, settledFromS: 6 },
    );
    expect(summary).toEqual({
      demanded: 4,
      sold: 2,
      refused: 2,
      secondsOutOfStock: 3,
      meanStock: 13,
      maxStock: 30,
      maxStockSettled: 20,
      factoryOrders: 1,
      unitsOrdered: 100,
    });
  });

  it('does not count an unanswered checkout as a refusal', () => {
    const summary = summarizePolicy([answer(1, 0), answer(2, 503)], samples, [], {
      fromS: 0,
      toS: 10,
      settledFromS: 6,
    });
    expect(summary.refused).toBe(0);
    expect(summary.sold).toBe(0);
    expect(summary.demanded).toBe(2);
  });
});

describe('simulation targets', () => {
  const summary = (refused: number, maxStock: number, maxStockSettled = maxStock): PolicySummary => ({
    demanded: 1000,
    sold: 1000 - refused,
    refused,
    secondsOutOfStock: 0,
    meanStock: 0,
    maxStock,
    maxStockSettled,
    factoryOrders: 0,
    unitsOrdered: 0,
  });

  it('meets the refusal target at 80 % fewer and misses it just short of that', () => {
    expect(refusalReduction(summary(1000, 110), summary(200, 900))).toBeCloseTo(0.8);
    expect(simulationTargets(summary(1000, 110), summary(200, 900, 150), 100)[0]!.ok).toBe(true);
    expect(simulationTargets(summary(1000, 110), summary(201, 900, 150), 100)[0]!.ok).toBe(false);
  });

  it("holds settled adaptive stock to fixed's largest plus one steady order", () => {
    const [, pile] = simulationTargets(summary(1000, 110), summary(0, 900, 210), 100);
    expect(pile).toMatchObject({ value: 210, limit: 210, ok: true });
    expect(simulationTargets(summary(1000, 110), summary(0, 900, 211), 100)[1]!.ok).toBe(false);
  });

  it('does not call a run without refusals an improvement unless adaptive refused none either', () => {
    expect(simulationTargets(summary(0, 110), summary(0, 110), 100)[0]!.ok).toBe(true);
    expect(simulationTargets(summary(0, 110), summary(3, 110), 100)[0]!.ok).toBe(false);
  });
});

describe('chart helpers', () => {
  it('keeps each column’s lowest and highest point, so a brief stock-out survives', () => {
    const series: [number, number][] = Array.from({ length: 1000 }, (_, i) => [i / 100, 50]);
    series[503] = [5.03, 0];
    const drawn = envelope(series, 0, 10, 20);
    expect(drawn.length).toBeLessThanOrEqual(40);
    expect(drawn).toContainEqual([5.03, 0]);
    for (let i = 1; i < drawn.length; i++) expect(drawn[i]![0]).toBeGreaterThan(drawn[i - 1]![0]);
  });

  it('picks round tick steps', () => {
    expect(tickStep(245, 8)).toBe(50);
    expect(tickStep(52, 8)).toBe(10);
    expect(tickStep(1800, 5)).toBe(500);
    expect(tickStep(0, 5)).toBe(1);
  });
});

describe('stored result', () => {
  it('reads back as written, each series on one line', () => {
    const result = {
      date: 'd',
      series: {
        stock: {
          fixed: [
            [0, 1],
            [0.1, 2],
          ] as [number, number][],
        },
      },
      n: [1, 2],
    };
    const text = resultJson(result as never);
    expect(JSON.parse(text)).toEqual(result);
    expect(text).toContain('"fixed": [[0,1],[0.1,2]]');
  });
});
