import { exponential, seededRandom } from '../random.ts';

/**
 * A flash sale's demand, in units per second over seconds since the replay began: steady, a crowd
 * arriving (a linear ramp), the surge's plateau, an exponential decay back towards steady, steady again.
 */
export interface DemandCurve {
  readonly steadyPerS: number;
  /** Plateau demand as a multiple of steady demand. */
  readonly surgeMultiple: number;
  readonly steadyBeforeS: number;
  readonly rampS: number;
  readonly surgeS: number;
  readonly decayS: number;
  /** Half-life of the surge's excess over steady demand while it decays. */
  readonly decayHalfLifeS: number;
  readonly steadyAfterS: number;
}

/** Where each part of a curve begins, in seconds since the replay began. */
export interface CurvePhases {
  /** The crowd starts arriving. */
  readonly surgeStartS: number;
  readonly plateauStartS: number;
  /** The plateau ends and the decay begins. */
  readonly surgeEndS: number;
  /** Demand is steady again. */
  readonly steadyAgainS: number;
  readonly endS: number;
}

export function curvePhases(curve: DemandCurve): CurvePhases {
  const surgeStartS = curve.steadyBeforeS;
  const plateauStartS = surgeStartS + curve.rampS;
  const surgeEndS = plateauStartS + curve.surgeS;
  const steadyAgainS = surgeEndS + curve.decayS;
  return { surgeStartS, plateauStartS, surgeEndS, steadyAgainS, endS: steadyAgainS + curve.steadyAfterS };
}

/** Demand at `t` seconds, units per second; 0 outside the replay. */
export function demandAt(curve: DemandCurve, t: number): number {
  const p = curvePhases(curve);
  const steady = curve.steadyPerS;
  const peak = steady * curve.surgeMultiple;
  if (t < 0 || t >= p.endS) return 0;
  if (t < p.surgeStartS) return steady;
  if (t < p.plateauStartS) return steady + ((peak - steady) * (t - p.surgeStartS)) / curve.rampS;
  if (t < p.surgeEndS) return peak;
  if (t < p.steadyAgainS) return steady + (peak - steady) * 2 ** (-(t - p.surgeEndS) / curve.decayHalfLifeS);
  return steady;
}

/** The units a curve asks for between `from` and `to` seconds: the integral of its demand. */
export function expectedUnits(curve: DemandCurve, from: number, to: number, stepS = 0.01): number {
  let sum = 0;
  for (let t = from; t < to; t += stepS) {
    const width = Math.min(stepS, to - t);
    sum += demandAt(curve, t + width / 2) * width;
  }
  return sum;
}

/**
 * The moments buyers arrive (seconds since the replay began, ascending): a Poisson process whose rate
 * follows the curve, drawn by thinning a process at the peak rate. The same curve and seed give the same
 * moments. At most `maxArrivals`: the replay is bounded whatever the curve says.
 */
export function arrivals(curve: DemandCurve, seed: number, maxArrivals: number): number[] {
  const random = seededRandom(seed);
  const { endS } = curvePhases(curve);
  const peak = Math.max(curve.steadyPerS, curve.steadyPerS * curve.surgeMultiple);
  const times: number[] = [];
  if (!(peak > 0)) return times;
  for (let t = exponential(random, peak); t < endS && times.length < maxArrivals; t += exponential(random, peak)) {
    if (random() * peak < demandAt(curve, t)) times.push(t);
  }
  return times;
}
