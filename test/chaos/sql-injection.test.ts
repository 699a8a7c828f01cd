import { describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/system.ts';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { parameterizationCheck, sqlInjectionScenario } from './scenarios/sql-injection.ts';

describe('regression: SQL built from strings', () => {
  it('sends user strings to the database only as parameters', async () => {
    const check = await parameterizationCheck(chaosContext().pgliteTemplate);
    expect(check.ok, check.detail).toBe(true);
  });

  it.each(ENGINES)(
    'on %s, rejects injection payloads or stores them verbatim, and every table survives',
    async (engine) => {
      expectInvariantsHeld(await sqlInjectionScenario([engine], chaosContext(), { parameterization: false }), 4);
    },
    120_000,
  );
});
