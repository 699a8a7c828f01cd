import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { fuzzScenario, fuzzSizes } from './scenarios/fuzz.ts';

describe('chaos: property-based requests to every endpoint', () => {
  it('answers no 5xx, every error in the contract shape, no state change from a refused request', async () => {
    expectInvariantsHeld(await fuzzScenario(fuzzSizes.test, chaosContext()), 5);
  }, 180_000);
});
