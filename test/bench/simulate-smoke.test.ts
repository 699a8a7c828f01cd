import { describe, expect, inject, it } from 'vitest';
import { pgliteEngineFrom } from '../../bench/lib/engine.ts';
import { fullScenario } from '../../bench/lib/simulation/scenarios.ts';
import { runSimulation, type SimulationScenario } from '../../bench/lib/simulation/simulation.ts';

// The simulation's own run at a smaller size, so it never rots: a surge of eight seconds against a factory
// of four half-second stages. Direction and invariants only, no timings and no target figures.
const smoke: SimulationScenario = {
  ...fullScenario,
  name: 'smoke',
  curve: {
    steadyPerS: 2,
    surgeMultiple: 40,
    steadyBeforeS: 4,
    rampS: 1,
    surgeS: 8,
    decayS: 3,
    decayHalfLifeS: 1,
    steadyAfterS: 2,
  },
  factoryStageMs: 500,
  planning: { defaultLeadTimeS: 2, demandHalfLifeS: 2, coverS: 2 },
  settleS: 3,
  maxArrivals: 3000,
};

describe('demand simulation, smoke size', () => {
  it('refuses fewer units with the adaptive policy than with the fixed one, and keeps every invariant', async () => {
    const result = await runSimulation(smoke, pgliteEngineFrom(inject('pgliteTemplate')));
    for (const invariant of result.invariants)
      expect(invariant.ok, `${invariant.name}: ${invariant.detail}`).toBe(true);
    const { fixed, adaptive } = result.policies;
    // Both faced the same buyers.
    expect(adaptive.demanded).toBe(fixed.demanded);
    expect(fixed.demanded).toBe(result.buyers);
    // The surge outran the fixed batch, so there was something to improve on.
    expect(fixed.refused).toBeGreaterThan(0);
    expect(adaptive.refused).toBeLessThan(fixed.refused);
    expect(adaptive.sold + adaptive.refused).toBe(adaptive.demanded);
    expect(fixed.factoryOrders).toBeGreaterThan(0);
    expect(adaptive.factoryOrders).toBeGreaterThan(0);
  }, 300_000);
});
