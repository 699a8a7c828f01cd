import type { SimulationScenario } from './simulation.ts';

/**
 * The flash sale the simulation replays (`npm run simulate`): a minute of steady demand, a crowd
 * arriving over a few seconds to 40 times it for a minute, decaying back, then steady demand long
 * enough to see where stock settles. The factory takes four stages of 1.5 s (the real one about 10 s
 * each), so the planning settings are scaled to that shorter lead time.
 */
export const fullScenario: SimulationScenario = {
  name: 'full',
  seed: 23,
  curve: {
    steadyPerS: 1,
    surgeMultiple: 40,
    steadyBeforeS: 60,
    rampS: 5,
    surgeS: 60,
    decayS: 45,
    decayHalfLifeS: 8,
    steadyAfterS: 75,
  },
  stock: 100,
  reorderPoint: 10,
  reorderQuantity: 100,
  adaptive: {},
  factoryStageMs: 1500,
  planning: { defaultLeadTimeS: 6, demandHalfLifeS: 5, coverS: 20 },
  settleS: 60,
  sampleEveryMs: 100,
  maxArrivals: 20_000,
};

/** `npm run simulate -- --quick`: the same shop and factory, every phase shorter; about a minute in all. */
export const quickScenario: SimulationScenario = {
  ...fullScenario,
  name: 'quick',
  curve: {
    ...fullScenario.curve,
    steadyBeforeS: 12,
    rampS: 2,
    surgeS: 15,
    decayS: 8,
    decayHalfLifeS: 2,
    steadyAfterS: 15,
  },
  settleS: 10,
};
