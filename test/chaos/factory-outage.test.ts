import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { outageScenario, outageSizes } from './scenarios/factory-outage.ts';

describe('chaos: the factory down for half the run', () => {
  it('parks orders in the DLQ, redrives them through the ops API, completes every replenishment once', async () => {
    expectInvariantsHeld(await outageScenario(outageSizes.test, chaosContext()), 6);
  }, 120_000);
});
