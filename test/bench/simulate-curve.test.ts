import { describe, expect, it } from 'vitest';
import { exponential, seededRandom } from '../../bench/lib/random.ts';
import {
  arrivals,
  curvePhases,
  type DemandCurve,
  demandAt,
  expectedUnits,
} from '../../bench/lib/simulation/demand-curve.ts';

const curve: DemandCurve = {
  steadyPerS: 2,
  surgeMultiple: 40,
  steadyBeforeS: 10,
  rampS: 4,
  surgeS: 20,
  decayS: 12,
  decayHalfLifeS: 3,
  steadyAfterS: 14,
};

describe('seeded random source', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = seededRandom(23);
    const b = seededRandom(23);
    const c = seededRandom(24);
    const first = Array.from({ length: 50 }, () => a());
    expect(Array.from({ length: 50 }, () => b())).toEqual(first);
    expect(Array.from({ length: 50 }, () => c())).not.toEqual(first);
    for (const value of first) expect(value >= 0 && value < 1).toBe(true);
  });

  it('draws exponential waits with the mean of the rate', () => {
    const random = seededRandom(1);
    const waits = Array.from({ length: 20_000 }, () => exponential(random, 4));
    const mean = waits.reduce((sum, w) => sum + w, 0) / waits.length;
    expect(mean).toBeGreaterThan(0.24);
    expect(mean).toBeLessThan(0.26);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
  });
});

describe('demand curve', () => {
  it('places its phases one after another', () => {
    expect(curvePhases(curve)).toEqual({
      surgeStartS: 10,
      plateauStartS: 14,
      surgeEndS: 34,
      steadyAgainS: 46,
      endS: 60,
    });
  });

  it('is steady, ramps to the surge, holds it, halves its excess every half-life, and is steady again', () => {
    expect(demandAt(curve, 0)).toBe(2);
    expect(demandAt(curve, 9.99)).toBe(2);
    expect(demandAt(curve, 12)).toBeCloseTo(2 + (80 - 2) / 2);
    expect(demandAt(curve, 14)).toBe(80);
    expect(demandAt(curve, 33.9)).toBe(80);
    expect(demandAt(curve, 34)).toBe(80);
    expect(demandAt(curve, 37)).toBeCloseTo(2 + 78 / 2);
    expect(demandAt(curve, 40)).toBeCloseTo(2 + 78 / 4);
    expect(demandAt(curve, 46)).toBe(2);
    expect(demandAt(curve, 59.9)).toBe(2);
  });

  it('asks for nothing outside the replay', () => {
    expect(demandAt(curve, -0.1)).toBe(0);
    expect(demandAt(curve, 60)).toBe(0);
  });

  it('integrates to the units each phase asks for', () => {
    expect(expectedUnits(curve, 0, 10)).toBeCloseTo(20, 6);
    expect(expectedUnits(curve, 10, 14)).toBeCloseTo(((2 + 80) / 2) * 4, 6);
    expect(expectedUnits(curve, 14, 34)).toBeCloseTo(80 * 20, 6);
    const decay = 2 * 12 + (78 * 3 * (1 - 2 ** -4)) / Math.LN2;
    expect(expectedUnits(curve, 34, 46)).toBeCloseTo(decay, 1);
  });
});

describe('arrivals', () => {
  it('are the same for the same seed, ascending, within the replay', () => {
    const first = arrivals(curve, 7, 100_000);
    expect(arrivals(curve, 7, 100_000)).toEqual(first);
    expect(arrivals(curve, 8, 100_000)).not.toEqual(first);
    for (let i = 1; i < first.length; i++) expect(first[i]!).toBeGreaterThan(first[i - 1]!);
    expect(first[0]!).toBeGreaterThan(0);
    expect(first.at(-1)!).toBeLessThan(60);
  });

  it('follow the curve: about its units in each phase, within four standard deviations of a Poisson count', () => {
    const times = arrivals(curve, 11, 100_000);
    const phases: [number, number][] = [
      [0, 10],
      [10, 14],
      [14, 34],
      [34, 46],
      [46, 60],
    ];
    for (const [from, to] of phases) {
      const expected = expectedUnits(curve, from, to);
      const counted = times.filter((t) => t >= from && t < to).length;
      expect(Math.abs(counted - expected), `${from}–${to} s`).toBeLessThanOrEqual(4 * Math.sqrt(expected) + 1);
    }
  });

  it('stop at the bound whatever the curve asks for', () => {
    expect(arrivals(curve, 7, 50)).toEqual(arrivals(curve, 7, 100_000).slice(0, 50));
  });

  it('are none for a curve without demand', () => {
    expect(arrivals({ ...curve, steadyPerS: 0 }, 7, 100)).toEqual([]);
  });
});
