import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { forgedCallbacksScenario, forgedSizes } from './scenarios/forged-callbacks.ts';

describe('chaos: forged factory callbacks', () => {
  it('accepts none of hundreds of forgeries and changes nothing', async () => {
    expectInvariantsHeld(await forgedCallbacksScenario(forgedSizes.test, chaosContext()), 3);
  }, 120_000);
});
