import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { poisonScenario, poisonSizes } from './scenarios/poison.ts';

describe('chaos: poison messages on every queue', () => {
  it('dead-letters each after max receives, exactly as sent, while the rest keeps flowing', async () => {
    expectInvariantsHeld(await poisonScenario(poisonSizes.test, chaosContext()), 5);
  }, 120_000);
});
