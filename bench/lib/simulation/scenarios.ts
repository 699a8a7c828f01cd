import type { SimulationScenario } from './simulation.ts';

/**
 * The flash sale the simulation replays (`npm run simulate`): half a minute of steady demand, a crowd
 * arriving over a few seconds to 40 times it for a minute, decaying back, then steady demand long
 * enough to see where stock settles. The factory takes four stages of 1.5 s where the real one takes
 * about 10 s each, so the planning periods (docs/planning.md) are the defaults scaled by the same
 * 0.15; the lead time assumed before the factory is measured is its nominal four stages.
 */
export const fullScenario: SimulationScenario = {
  name: 'full',
  seed: 23,
  curve: {
    steadyPerS: 1,
    surgeMultiple: 40,
    steadyBeforeS: 30,
    rampS: 5,
    surgeS: 60,
    decayS: 40,
    decayHalfLifeS: 6,
    steadyAfterS: 70,
  },
  stock: 100,
  reorderPoint: 10,
  reorderQuantity: 100,
  adaptive: {},
  factoryStageMs: 1500,
  planning: { defaultLeadTimeS: 6, demandHalfLifeS: 3, coverS: 18 },
  settleS: 60,
  sampleEveryMs: 100,
  maxArrivals: 20_000,
};

/** `npm run simulate -- --quick`: the same shop and factory, every phase shorter: 45 s of demand. */
export const quickScenario: SimulationScenario = {
  ...fullScenario,
  name: 'quick',
  curve: {
    ...fullScenario.curve,
    steadyBeforeS: 10,
    rampS: 2,
    surgeS: 15,
    decayS: 8,
    decayHalfLifeS: 2,
    steadyAfterS: 10,
  },
  settleS: 6,
};
