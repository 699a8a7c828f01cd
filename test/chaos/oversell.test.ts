import { describe, it } from 'vitest';
import { ENGINES } from '../helpers/system.ts';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { oversellScenario, oversellSizes } from './scenarios/oversell.ts';

describe('regression: select-then-update oversold under concurrency', () => {
  it.each(ENGINES)(
    'on %s, concurrent checkouts far beyond stock never oversell',
    async (engine) => {
      expectInvariantsHeld(await oversellScenario(oversellSizes.test, [engine], chaosContext()), 4);
    },
    120_000,
  );
});
