import { expect, inject } from 'vitest';
import type { ChaosContext, ScenarioResult } from './harness.ts';

/** What the global setups provide: the test PostgreSQL server and an empty PGlite cluster to copy. */
export const chaosContext = (): ChaosContext => ({
  postgresUrl: inject('postgresUrl'),
  pgliteTemplate: inject('pgliteTemplate'),
});

/** Every invariant held; a failure lists each broken one with its numbers. */
export function expectInvariantsHeld(result: ScenarioResult, atLeast = 1): void {
  const broken = result.invariants.filter((i) => !i.ok).map((i) => `${i.name} — ${i.detail}`);
  expect(broken, `${result.scenario}: ${result.load} | ${result.faults}`).toEqual([]);
  expect(result.invariants.length).toBeGreaterThanOrEqual(atLeast);
}
