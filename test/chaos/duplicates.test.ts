import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { duplicatesScenario, duplicatesSizes } from './scenarios/duplicates.ts';

describe('chaos: callbacks ×3 and queue redelivery', () => {
  it('raises stock once, sends one pause and one resume mail, counts each customer once', async () => {
    expectInvariantsHeld(await duplicatesScenario(duplicatesSizes.test, chaosContext()), 6);
  }, 120_000);
});
