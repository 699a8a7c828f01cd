import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { crashScenario, crashSizes } from './scenarios/crash.ts';

describe('chaos: the whole process SIGKILLed during a flash sale', () => {
  it('keeps every confirmed order, never oversells, counts each order once, loses no event', async () => {
    expectInvariantsHeld(await crashScenario(crashSizes.test, chaosContext()), 12);
  }, 240_000);
});
