import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { authScenario, authSizes } from './scenarios/auth.ts';

describe('chaos: admin and ops endpoints without the right token', () => {
  it('answer 401 to every wrong credential and change nothing; the token is compared in constant time', async () => {
    expectInvariantsHeld(await authScenario(authSizes.test, chaosContext()), 4);
  }, 120_000);
});
