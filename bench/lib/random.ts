/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same sequence on every machine,
 * so a replayed demand curve, a cart sale or a chaos scenario makes the same choices. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exponentially distributed wait with the given rate (events per unit of time), from a uniform source. */
export function exponential(random: () => number, rate: number): number {
  // 1 − u lies in (0, 1], so the logarithm is finite.
  return -Math.log(1 - random()) / rate;
}
